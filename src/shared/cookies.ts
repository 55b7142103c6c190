/**
 * A request's cookies by name, read strictly. A name sent twice (a cookie planted for a parent
 * domain or another path beside ours) counts as absent: we cannot tell which one is ours. An
 * oversized header is no cookies at all.
 */
export function parseCookies(header: unknown): Map<string, string> {
  const found = new Map<string, string>()
  const repeated = new Set<string>()
  if (typeof header !== 'string' || header.length > 8192) return found
  for (const part of header.split(';')) {
    const at = part.indexOf('=')
    if (at <= 0) continue
    const name = part.slice(0, at).trim()
    if (found.has(name)) repeated.add(name)
    found.set(name, part.slice(at + 1).trim())
  }
  for (const name of repeated) found.delete(name)
  return found
}
