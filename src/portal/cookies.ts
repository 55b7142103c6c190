/**
 * The portal's cookies, read strictly and written under `__Host-` names (Secure, Path=/, no
 * Domain), so a sibling subdomain can neither plant nor shadow them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parseCookies } from '../shared/index.ts'

export interface CookieOptions {
  readonly maxAgeSeconds: number
  readonly httpOnly: boolean
  readonly sameSite: 'Strict' | 'Lax'
}

/** The request's cookies by name (`parseCookies`: a repeated name counts as absent). */
export function readCookies(request: FastifyRequest): ReadonlyMap<string, string> {
  return parseCookies(request.headers.cookie)
}

/** Adds a Set-Cookie header, keeping those already set on the reply. */
export function setCookie(
  reply: FastifyReply,
  name: `__Host-${string}`,
  value: string,
  options: CookieOptions,
): void {
  const cookie = [
    `${name}=${value}`,
    'Path=/',
    'Secure',
    `SameSite=${options.sameSite}`,
    `Max-Age=${options.maxAgeSeconds}`,
    ...(options.httpOnly ? ['HttpOnly'] : []),
  ].join('; ')
  const before = reply.getHeader('set-cookie')
  const list = before === undefined ? [] : Array.isArray(before) ? before : [String(before)]
  // One cookie of a name per reply: a second call replaces the first.
  const kept = list.filter((line) => !line.startsWith(`${name}=`))
  // Fastify appends to an existing Set-Cookie: clear it first, then set the whole list.
  reply.removeHeader('set-cookie')
  reply.header('set-cookie', [...kept, cookie])
}
