/**
 * Forms and cross-site request forgery. Every browser gets a random secret in an HttpOnly
 * `__Host-` cookie; each form carries a token, the HMAC of that secret under the portal's key,
 * as a hidden field. A forged post from another site can make the browser send the cookie but
 * cannot read it, so it cannot compute the token (the "signed double-submit cookie" of the OWASP
 * cheat sheet). The key never leaves the server, so a cookie planted by a sibling subdomain
 * (which `__Host-` already prevents) would not give a valid token either.
 *
 * Before the token, the browser's own word on where the post comes from is checked
 * (`Sec-Fetch-Site`, `Origin`): a post from another site is refused even with a token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { PlatformError } from '../platform/index.ts'
import { readCookies, setCookie } from './cookies.ts'

export const CSRF_COOKIE = '__Host-estate_csrf'
/** The hidden field every portal form carries. */
export const CSRF_FIELD = '_csrf'

const SECRET = /^[A-Za-z0-9_-]{43}$/ // 32 random bytes, base64url
const WEEK = 7 * 24 * 3600
const LABEL = 'e-state/portal/csrf/v1\n'

export interface Csrf {
  /** The token for this browser's forms; gives the browser a secret when it has none yet. */
  tokenFor(request: FastifyRequest, reply: FastifyReply): string
  /** Throws CSRF_TOKEN_INVALID unless the posted token matches this browser's secret. */
  verify(request: FastifyRequest): void
}

export function createCsrf(key: Buffer): Csrf {
  // A short key would make the tokens guessable; this is a wiring mistake, refused at start.
  if (!Buffer.isBuffer(key) || key.length < 32)
    throw new TypeError('the portal secret must be a Buffer of at least 32 bytes')
  const issued = new WeakMap<FastifyRequest, string>()
  const tokenOf = (browserSecret: string) =>
    createHmac('sha256', key).update(LABEL).update(browserSecret).digest('base64url')

  const secretOf = (request: FastifyRequest): string | undefined => {
    const value = issued.get(request) ?? readCookies(request).get(CSRF_COOKIE)
    return value !== undefined && SECRET.test(value) ? value : undefined
  }

  return {
    tokenFor(request, reply) {
      const secret = secretOf(request) ?? randomBytes(32).toString('base64url')
      issued.set(request, secret)
      // Renewed on every page, so a form stays good for a week after the last page view.
      setCookie(reply, CSRF_COOKIE, secret, {
        maxAgeSeconds: WEEK,
        httpOnly: true,
        sameSite: 'Lax',
      })
      return tokenOf(secret)
    },
    verify(request) {
      const secret = secretOf(request)
      const sent = (request.body as Record<string, unknown> | null | undefined)?.[CSRF_FIELD]
      // Compared as text: base64url decoding would ignore stray characters.
      const given = Buffer.from(typeof sent === 'string' ? sent : '')
      const expected = secret === undefined ? undefined : Buffer.from(tokenOf(secret))
      if (
        expected === undefined ||
        given.length !== expected.length ||
        !timingSafeEqual(given, expected)
      )
        throw new PlatformError(
          'CSRF_TOKEN_INVALID',
          'the form carries no valid token for this browser: open the page again and resend it',
        )
    },
  }
}

/**
 * A post must come from our own pages. Browsers say where a request comes from; clients that
 * are not browsers send neither header and are left to the token.
 */
export function refuseCrossSite(request: FastifyRequest, publicOrigin: string): void {
  const site = request.headers['sec-fetch-site']
  const origin = request.headers.origin
  const crossSite = typeof site === 'string' && site !== 'same-origin' && site !== 'none'
  const otherOrigin = typeof origin === 'string' && origin !== publicOrigin
  if (crossSite || otherOrigin)
    throw new PlatformError('CROSS_SITE_REFUSED', 'this form must be sent from e-state itself', {
      ...(typeof origin === 'string' ? { origin } : {}),
    })
}
