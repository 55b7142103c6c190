/**
 * Logging in with e-ID (the Web eID protocol): a single-use challenge, bound to the browser by
 * an HttpOnly cookie; the token the card signed for this origin and that challenge; then a
 * session cookie (Secure, HttpOnly, SameSite=Strict). Logout ends this session or all of them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { isPersonalCode, ProblemSchema } from '../shared/index.ts'
import type { Store } from '../storage/index.ts'
import { IdentityError } from './errors.ts'
import type { Passkeys } from './passkeys.ts'
import { rolesOf } from './roles.ts'
import {
  cookiesOf,
  createRateLimiter,
  decodedCookie,
  requireSession,
  requireStepUp,
  sessionCookie as cookie,
  SESSION_COOKIE,
  type SessionNeeds,
} from './session-http.ts'
import type { WebEidValidator } from './web-eid.ts'

/** A person's mandates from the registers: minor children and board seats (asked through the exchange). */
export interface Mandates {
  readonly children: readonly { readonly personalCode: string; readonly name: string }[]
  readonly companies: readonly { readonly registryCode: string; readonly name: string }[]
}

/** What login and the session routes ask of the platform. */
export interface IdentityNeeds extends SessionNeeds {
  readonly store: Store
  readonly webEid: WebEidValidator
  readonly passkeys: Passkeys
  readonly instance: string
  /** The person's mandates, asked of the registers that keep them (the state portal's call). */
  readonly mandatesOf: (personalCode: string) => Promise<Mandates>
}

const CHALLENGE_COOKIE = '__Host-estate_challenge'
const PASSKEY_COOKIE = '__Host-estate_webauthn'

const SessionSchema = Type.Object({
  personalCode: Type.String(),
  givenName: Type.String(),
  surname: Type.String(),
  method: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
})

export function registerIdentityRoutes(app: FastifyInstance, platform: () => IdentityNeeds): void {
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
        throw new IdentityError(
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
      const person = await webEid.validate(authToken, platform().publicOrigin, nonce)
      // A session is a resident of this instance: another country's PNOxx-<same digits> is not
      // the person with that code here.
      if (person.country !== platform().instance || !isPersonalCode(person.personalCode))
        throw new IdentityError(
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
      const mandates = await platform().mandatesOf(session.personalCode)
      return { roles: await rolesOf(platform().store.db, session.personalCode), ...mandates }
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
