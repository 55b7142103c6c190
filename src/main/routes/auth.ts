/**
 * Logging in with e-ID (the Web eID protocol): a single-use challenge, bound to the browser by
 * an HttpOnly cookie; the token the card signed for this origin and that challenge; then a
 * session cookie (Secure, HttpOnly, SameSite=Strict). Logout ends this session or all of them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { EStateError, isPersonalCode } from '../../shared/index.ts'
import type { Config } from '../config.ts'
import { rolesOf } from '../../identity/index.ts'
import { MANDATE_REGISTRIES } from '../../registries/index.ts'
import type { Platform } from '../platform.ts'
import { portalCallerOf } from './caller.ts'
import { callRegister } from './exchange.ts'
import { ProblemSchema } from './schemas.ts'

// `__Host-` names: the browser keeps them only if Secure, for the whole site (Path=/) and for
// this host alone (no Domain) — a sibling subdomain cannot plant or shadow them.
export const SESSION_COOKIE = '__Host-estate_session'
const CHALLENGE_COOKIE = '__Host-estate_challenge'
const PASSKEY_COOKIE = '__Host-estate_webauthn'

const SessionSchema = Type.Object({
  personalCode: Type.String(),
  givenName: Type.String(),
  surname: Type.String(),
  method: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
})

export function registerAuth(app: FastifyInstance, config: Config, platform: () => Platform): void {
  const origin = new URL(config.publicUrl).origin
  const cookie = (name: string, value: string, maxAge: number) =>
    `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`

  const challengeLimiter = createRateLimiter({ perMinute: 120, addresses: 100_000 })
  app.post(
    '/auth/challenge',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'A Web eID challenge nonce (single use, five minutes)',
        response: { 200: Type.Object({ nonce: Type.String() }) },
      },
    },
    async (request, reply) => {
      // Each challenge is a row until used or expired: a flood from one address is cut off.
      if (!challengeLimiter.take(request.ip, Date.now()))
        throw new EStateError(
          'CHALLENGES_TOO_MANY',
          'too many login attempts from here: wait a minute',
        )
      const nonce = await platform().sessions.issueChallenge()
      reply.header('set-cookie', cookie(CHALLENGE_COOKIE, encodeURIComponent(nonce), 300))
      return { nonce }
    },
  )

  app.post(
    '/auth/web-eid',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'Log in with a Web eID authentication token for the challenge this browser holds',
        body: Type.Object({ authToken: Type.Unknown() }, { additionalProperties: false }),
        response: {
          200: SessionSchema,
          400: ProblemSchema,
          401: ProblemSchema,
          503: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { authToken } = request.body as { authToken: unknown }
      const nonce = decodedCookie(cookiesOf(request).get(CHALLENGE_COOKIE))
      const { sessions, webEid } = platform()
      await sessions.consumeChallenge(nonce)
      const person = await webEid.validate(authToken, origin, nonce)
      // A session is a resident of this instance: another country's PNOxx-<same digits> is not
      // the person with that code here.
      if (person.country !== platform().instance || !isPersonalCode(person.personalCode))
        throw new EStateError(
          'WEBEID_CERTIFICATE_WRONG_PURPOSE',
          `log in with an e-ID of ${platform().instance} naming a valid personal code`,
        )
      const { id, session } = await sessions.start({
        personalCode: person.personalCode,
        givenName: person.givenName,
        surname: person.surname,
        method: 'web-eid',
      })
      request.log.info({ personalCode: person.personalCode, method: 'web-eid' }, 'logged in')
      reply.header('set-cookie', [
        cookie(SESSION_COOKIE, id, 8 * 3600),
        cookie(CHALLENGE_COOKIE, '', 0),
      ])
      return session
    },
  )

  const passkeyBody = {
    body: Type.Object({ response: Type.Unknown() }, { additionalProperties: false }),
  }
  app.post(
    '/auth/passkeys/register/options',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'Options to register a passkey (after a recent e-ID login)',
      },
    },
    async (request, reply) => {
      const session = await requireStepUp(request, platform())
      const { options, challenge } = await platform().passkeys.registrationOptions(session)
      reply.header('set-cookie', cookie(PASSKEY_COOKIE, challenge, 300))
      return options
    },
  )
  app.post(
    '/auth/passkeys/register',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'Register a passkey for later logins',
        ...passkeyBody,
        response: {
          200: Type.Object({ id: Type.String() }),
          400: ProblemSchema,
          401: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const session = await requireStepUp(request, platform())
      const challenge = cookiesOf(request).get(PASSKEY_COOKIE) ?? ''
      const registered = await platform().passkeys.register(
        session,
        challenge,
        (request.body as { response: unknown }).response,
      )
      reply.header('set-cookie', cookie(PASSKEY_COOKIE, '', 0))
      return registered
    },
  )
  app.post(
    '/auth/passkeys/login/options',
    { schema: { tags: ['Authentication'], summary: 'Options to log in with a passkey' } },
    async (_request, reply) => {
      const { options, challenge } = await platform().passkeys.loginOptions()
      reply.header('set-cookie', cookie(PASSKEY_COOKIE, challenge, 300))
      return options
    },
  )
  app.post(
    '/auth/passkeys/login',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'Log in with a passkey registered earlier',
        ...passkeyBody,
        response: { 200: SessionSchema, 400: ProblemSchema, 401: ProblemSchema },
      },
    },
    async (request, reply) => {
      const challenge = cookiesOf(request).get(PASSKEY_COOKIE) ?? ''
      const person = await platform().passkeys.login(
        challenge,
        (request.body as { response: unknown }).response,
      )
      const { id, session } = await platform().sessions.start({ ...person, method: 'passkey' })
      request.log.info({ personalCode: person.personalCode, method: 'passkey' }, 'logged in')
      reply.header('set-cookie', [
        cookie(SESSION_COOKIE, id, 8 * 3600),
        cookie(PASSKEY_COOKIE, '', 0),
      ])
      return session
    },
  )

  app.get(
    '/auth/mandates',
    {
      schema: {
        tags: ['Authentication'],
        summary:
          'What the logged-in person may act in: roles given by agencies, and mandates from the registries (parent of a minor, board member)',
        response: {
          200: Type.Object({
            roles: Type.Array(Type.Object({ role: Type.String(), agency: Type.String() })),
            children: Type.Array(Type.Object({ personalCode: Type.String(), name: Type.String() })),
            companies: Type.Array(
              Type.Object({ registryCode: Type.String(), name: Type.String() }),
            ),
          }),
          401: ProblemSchema,
        },
      },
    },
    async (request) => {
      const session = await requireSession(request, platform())
      // The portal asks each register that keeps mandates, through the exchange (once-only).
      const caller = await portalCallerOf(session.personalCode, platform())
      const [population, business] = await Promise.all(
        MANDATE_REGISTRIES.map((registry) =>
          callRegister(app, platform(), caller, registry, 'mandates', {}),
        ),
      )
      return {
        roles: await rolesOf(platform().store.db, session.personalCode),
        children: (population.children ?? []) as { personalCode: string; name: string }[],
        companies: (business.companies ?? []) as { registryCode: string; name: string }[],
      }
    },
  )

  app.get(
    '/auth/session',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'Who is logged in (renews the idle timer)',
        response: { 200: SessionSchema, 401: ProblemSchema },
      },
    },
    async (request) => requireSession(request, platform()),
  )

  const logout = (everywhere: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const id = cookiesOf(request).get(SESSION_COOKIE) ?? ''
    const session = await requireSession(request, platform())
    const ended = everywhere ? await platform().sessions.endAll(session.personalCode) : 1
    if (!everywhere) await platform().sessions.end(id)
    reply.header('set-cookie', cookie(SESSION_COOKIE, '', 0))
    return { ended }
  }
  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['Authentication'],
        summary: 'End this session',
        response: { 200: Type.Object({ ended: Type.Integer() }), 401: ProblemSchema },
      },
    },
    logout(false),
  )
  app.post(
    '/auth/logout-everywhere',
    {
      schema: {
        tags: ['Authentication'],
        summary: "End all of this person's sessions",
        response: { 200: Type.Object({ ended: Type.Integer() }), 401: ProblemSchema },
      },
    },
    logout(true),
  )
}

export async function requireSession(request: FastifyRequest, platform: Platform) {
  refuseCrossSite(request, platform)
  const session = await platform.sessions.find(cookiesOf(request).get(SESSION_COOKIE) ?? '')
  if (session === undefined)
    throw new EStateError('SESSION_REQUIRED', 'log in with your e-ID first')
  return session
}

const STEP_UP_SECONDS = 10 * 60

/** A sensitive act: the session must come from an e-ID login in the last ten minutes. */
export async function requireStepUp(request: FastifyRequest, platform: Platform) {
  const session = await requireSession(request, platform)
  const age = (platform.clock.now().getTime() - Date.parse(session.createdAt)) / 1000
  if (session.method !== 'web-eid' || age > STEP_UP_SECONDS)
    throw new EStateError('STEP_UP_REQUIRED', 'confirm this with your e-ID: log in with it again')
  return session
}

/** A percent-encoded cookie value; a malformed one counts as absent (never a 500). */
function decodedCookie(value: string | undefined): string {
  try {
    return decodeURIComponent(value ?? '')
  } catch {
    return ''
  }
}

export function cookiesOf(request: FastifyRequest): Map<string, string> {
  const found = new Map<string, string>()
  const repeated = new Set<string>()
  const header = request.headers.cookie
  if (typeof header !== 'string' || header.length > 8192) return found
  for (const part of header.split(';')) {
    const at = part.indexOf('=')
    if (at <= 0) continue
    const name = part.slice(0, at).trim()
    if (found.has(name)) repeated.add(name)
    found.set(name, part.slice(at + 1).trim())
  }
  // A name sent twice (a cookie planted for a parent domain or path beside ours) is no cookie.
  for (const name of repeated) found.delete(name)
  return found
}

/**
 * A cookie-authenticated act must come from our own pages: a browser says where a request comes
 * from (`Sec-Fetch-Site`, `Origin`), and another site's page is refused even where SameSite
 * would not stop it (an older browser, a sibling subdomain). Clients that are not browsers send
 * neither header and are not affected.
 */
function refuseCrossSite(request: FastifyRequest, platform: Platform): void {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return
  const site = request.headers['sec-fetch-site']
  const origin = request.headers.origin
  const crossSite = typeof site === 'string' && site !== 'same-origin' && site !== 'none'
  const otherOrigin = typeof origin === 'string' && origin !== platform.publicOrigin
  if (crossSite || otherOrigin)
    throw new EStateError(
      'CROSS_SITE_REFUSED',
      'this act must be made from the state portal itself',
    )
}

/**
 * A token bucket per client address: `perMinute` requests, refilled continuously. Bounded in
 * memory: beyond `addresses` buckets the oldest are dropped.
 */
export function createRateLimiter(options: { perMinute: number; addresses: number }) {
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
