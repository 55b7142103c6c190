/**
 * Access rights, deny by default, decided at the provider: a right names a service, an
 * endpoint (a method or `*`, and a path pattern) and a client — a subsystem, or a group from
 * the global configuration. Path patterns are matched segment by segment against the
 * normalised path (each segment decoded once, no `.` or `..`): a literal matches itself, `*`
 * any one segment, and a final `**` any number of segments (none included). Nothing else is
 * special, so a pattern can never reach across into another endpoint.
 */

export interface AccessRight {
  readonly service: string
  /** A subsystem id, or `group:<code>`. */
  readonly client: string
  /** An HTTP method, or `*`. */
  readonly method: string
  /** `/`-separated pattern, e.g. `/persons/*` or `/**`. */
  readonly path: string
}

export function isAllowed(
  rights: readonly AccessRight[],
  request: {
    readonly service: string
    readonly client: string
    readonly groups: readonly string[]
    readonly method: string
    readonly path: string
  },
): boolean {
  const clients = new Set([request.client, ...request.groups.map((group) => `group:${group}`)])
  return rights.some(
    (right) =>
      right.service === request.service &&
      clients.has(right.client) &&
      (right.method === '*' || right.method === request.method) &&
      pathMatches(right.path, request.path),
  )
}

export function pathMatches(pattern: string, path: string): boolean {
  const wanted = segmentsOf(pattern)
  const actual = segmentsOf(path)
  for (let index = 0; index < wanted.length; index++) {
    const part = wanted[index]
    if (part === '**' && index === wanted.length - 1) return true
    if (index >= actual.length) return false
    if (part !== '*' && part !== actual[index]) return false
  }
  return wanted.length === actual.length
}

/** A pattern as stored: starts with `/`, `**` only last, no empty, `.` or `..` segments. */
export function validPathPattern(pattern: string): boolean {
  if (!pattern.startsWith('/') || pattern.length > 1000) return false
  const parts = segmentsOf(pattern)
  return parts.every(
    (part, index) =>
      part !== '' &&
      part !== '.' &&
      part !== '..' &&
      (part !== '**' || index === parts.length - 1) &&
      !/[\s?#]/.test(part),
  )
}

function segmentsOf(path: string): string[] {
  return path === '/' ? [] : path.replace(/^\//, '').split('/')
}
