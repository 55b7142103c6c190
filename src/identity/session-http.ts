/**
 * The session half of the HTTP edge, for every module that acts for a logged-in person: the
 * session cookie, `requireSession` (a live session, and for acts a request from our own pages),
 * `requireStepUp` (an e-ID login in the last ten minutes), cookie parsing and a small rate
 * limiter. Modules import these from `identity`; none reads the cookie itself.
 */
import type { FastifyRequest } from 'fastify'
import { parseCookies, type Clock } from '../shared/index.ts'
import { IdentityError } from './errors.ts'
import type { Session, SessionStore } from './sessions.ts'

// `__Host-` names: the browser keeps them only if Secure, for the whole site (Path=/) and for
// this host alone (no Domain) — a sibling subdomain cannot plant or shadow them.
export const SESSION_COOKIE = '__Host-estate_session'

/** What checking a session asks of the platform. */
export interface SessionNeeds {
  readonly sessions: SessionStore
  readonly clock: Clock
  /** The origin the portal's pages are served from (cookie-authenticated acts must come from it). */
  readonly publicOrigin: string
}

/** A cookie as our pages set it: Secure, HttpOnly, SameSite=Strict, for the whole site. */
export function sessionCookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`
}

export async function requireSession(
  request: FastifyRequest,
  platform: SessionNeeds,
): Promise<Session> {
  refuseCrossSite(request, platform)
  const session = await platform.sessions.find(cookiesOf(request).get(SESSION_COOKIE) ?? '')
  if (session === undefined)
    throw new IdentityError('SESSION_REQUIRED', 'log in with your e-ID first')
  return session
}

const STEP_UP_SECONDS = 10 * 60

/** A sensitive act: the session must come from an e-ID login in the last ten minutes. */
export async function requireStepUp(
  request: FastifyRequest,
  platform: SessionNeeds,
): Promise<Session> {
  const session = await requireSession(request, platform)
  const age = (platform.clock.now().getTime() - Date.parse(session.createdAt)) / 1000
  if (session.method !== 'web-eid' || age > STEP_UP_SECONDS)
    throw new IdentityError('STEP_UP_REQUIRED', 'confirm this with your e-ID: log in with it again')
  return session
}

/** A percent-encoded cookie value; a malformed one counts as absent (never a 500). */
export function decodedCookie(value: string | undefined): string {
  try {
    return decodeURIComponent(value ?? '')
  } catch {
    return ''
  }
}

export function cookiesOf(request: FastifyRequest): Map<string, string> {
  return parseCookies(request.headers.cookie)
}

/**
 * A cookie-authenticated act must come from our own pages: a browser says where a request comes
 * from (`Sec-Fetch-Site`, `Origin`), and another site's page is refused even where SameSite
 * would not stop it (an older browser, a sibling subdomain). Clients that are not browsers send
 * neither header and are not affected.
 */
export function refuseCrossSite(
  request: FastifyRequest,
  platform: Pick<SessionNeeds, 'publicOrigin'>,
): void {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return
  const site = request.headers['sec-fetch-site']
  const origin = request.headers.origin
  const crossSite = typeof site === 'string' && site !== 'same-origin' && site !== 'none'
  const otherOrigin = typeof origin === 'string' && origin !== platform.publicOrigin
  if (crossSite || otherOrigin)
    throw new IdentityError(
      'CROSS_SITE_REFUSED',
      'this act must be made from the state portal itself',
    )
}

/**
 * A token bucket per client address: `perMinute` requests, refilled continuously. Bounded in
 * memory: beyond `addresses` buckets the oldest are dropped.
 */
export function createRateLimiter(options: { perMinute: number; addresses: number }): {
  take(address: string, now: number): boolean
} {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take(address: string, now: number): boolean {
      const bucket = buckets.get(address) ?? { tokens: options.perMinute, at: now }
      bucket.tokens = Math.min(
        options.perMinute,
        bucket.tokens + ((now - bucket.at) / 60_000) * options.perMinute,
      )
      bucket.at = now
      buckets.delete(address)
      if (buckets.size >= options.addresses) buckets.delete(buckets.keys().next().value as string)
      buckets.set(address, bucket)
      if (bucket.tokens < 1) return false
      bucket.tokens -= 1
      return true
    },
  }
}
