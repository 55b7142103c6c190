/**
 * "Log in with e-ID" for other applications: an OpenID Connect provider (`oidc-provider`) whose
 * interactive login is e-state's e-ID login. Authorization code flow with PKCE only; ID tokens
 * carry `sub` = the country code and personal code (`EE38001085718`, as Estonia's TARA does),
 * `given_name`, `family_name` and `date_of_birth`. Clients are registered by operators
 * (`registerOidcClient`); the provider keeps its state in the store (`oidc_payloads`).
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Kysely } from 'kysely'
import { parsePersonalCode, type Clock } from '../shared/index.ts'
import type { Schema } from '../storage/index.ts'

export interface OidcOptions {
  readonly db: Kysely<Schema>
  readonly clock: Clock
  /** The issuer: this node's public URL. */
  readonly issuer: string
  /** The ID-token signing key, a private JWK (ES256). */
  readonly signingKey: Record<string, unknown>
  /** Secrets for the provider's own cookies. */
  readonly cookieKeys: readonly string[]
  readonly country: string
}

export interface OidcProvider {
  /** Handles `/.well-known/openid-configuration` and `/oidc/*` (Node request and response). */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>
  /** The login step: who is logged in here answers the pending interaction. */
  interaction(
    request: IncomingMessage,
    response: ServerResponse,
    person: { personalCode: string; createdAt?: string; method?: string } | undefined,
  ): Promise<'finished' | 'login-needed'>
  /** Builds the provider now rather than at the first OpenID Connect request. */
  ready(): Promise<void>
}

export async function registerOidcClient(
  db: Kysely<Schema>,
  client: {
    clientId: string
    clientSecret: string
    redirectUris: readonly string[]
    name?: string
  },
): Promise<void> {
  for (const uri of client.redirectUris) {
    const url = new URL(uri)
    if (url.protocol !== 'https:' && url.hostname !== '127.0.0.1' && url.hostname !== 'localhost')
      throw new Error(`a redirect URI must be https (or loopback): ${uri}`)
  }
  const payload = {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    client_name: client.name ?? client.clientId,
    redirect_uris: [...client.redirectUris],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }
  await db
    .insertInto('oidc_payloads')
    .values({
      model: 'Client',
      id: client.clientId,
      payload: JSON.stringify(payload),
      expires_at: null,
      grant_id: null,
      uid: null,
      user_code: null,
      consumed_at: null,
    })
    .onConflict((conflict) =>
      conflict.columns(['model', 'id']).doUpdateSet({ payload: JSON.stringify(payload) }),
    )
    .execute()
}

/**
 * The provider, built at its first request (or `ready()`, which a serving node calls before it
 * says it is ready): loading and configuring oidc-provider is about a fifth of a second that a
 * command or a test app that never speaks OpenID Connect does not pay.
 */
export function createOidcProvider(options: OidcOptions): OidcProvider {
  let built: Promise<Omit<OidcProvider, 'ready'>> | undefined
  const provider = () => (built ??= buildOidcProvider(options))
  return {
    handle: async (request, response) => (await provider()).handle(request, response),
    interaction: async (request, response, person) =>
      (await provider()).interaction(request, response, person),
    ready: async () => {
      await provider()
    },
  }
}

async function buildOidcProvider(options: OidcOptions): Promise<Omit<OidcProvider, 'ready'>> {
  const { default: Provider } = await import('oidc-provider')
  const { db, clock } = options
  const now = () => clock.now().getTime()

  class StoreAdapter {
    readonly model: string
    constructor(model: string) {
      this.model = model
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      const row = {
        payload: JSON.stringify(payload),
        expires_at:
          expiresIn === undefined ? null : new Date(now() + expiresIn * 1000).toISOString(),
        grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
        uid: typeof payload.uid === 'string' ? payload.uid : null,
        user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
      }
      await db
        .insertInto('oidc_payloads')
        .values({ model: this.model, id, consumed_at: null, ...row })
        .onConflict((conflict) => conflict.columns(['model', 'id']).doUpdateSet(row))
        .execute()
    }
    private async findWhere(column: 'id' | 'uid' | 'user_code', value: string) {
      const row = await db
        .selectFrom('oidc_payloads')
        .select(['payload', 'expires_at', 'consumed_at'])
        .where('model', '=', this.model)
        .where(column, '=', value)
        .executeTakeFirst()
      if (row === undefined || (row.expires_at !== null && Date.parse(row.expires_at) <= now()))
        return undefined
      const payload = JSON.parse(row.payload) as Record<string, unknown>
      return row.consumed_at === null
        ? payload
        : { ...payload, consumed: Math.floor(Date.parse(row.consumed_at) / 1000) }
    }
    find(id: string) {
      return this.findWhere('id', id)
    }
    findByUid(uid: string) {
      return this.findWhere('uid', uid)
    }
    findByUserCode(userCode: string) {
      return this.findWhere('user_code', userCode)
    }
    async consume(id: string) {
      await db
        .updateTable('oidc_payloads')
        .set({ consumed_at: new Date(now()).toISOString() })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .execute()
    }
    async destroy(id: string) {
      await db
        .deleteFrom('oidc_payloads')
        .where('model', '=', this.model)
        .where('id', '=', id)
        .execute()
    }
    async revokeByGrantId(grantId: string) {
      await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute()
    }
  }

  const provider = new Provider(options.issuer, {
    adapter: StoreAdapter,
    clients: [],
    findAccount: async (_ctx: unknown, sub: string) => {
      const code = sub.startsWith(options.country) ? sub.slice(options.country.length) : ''
      const latest = await db
        .selectFrom('sessions')
        .select(['given_name', 'surname'])
        .where('personal_code', '=', code)
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst()
      if (latest === undefined) return undefined
      const born = parsePersonalCode(code).birthDate
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          given_name: latest.given_name,
          family_name: latest.surname,
          date_of_birth: born,
        }),
      }
    },
    claims: { openid: ['sub', 'amr'], profile: ['given_name', 'family_name', 'date_of_birth'] },
    scopes: ['openid', 'profile'],
    pkce: { required: () => true, methods: ['S256'] },
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
    },
    conformIdTokenClaims: false,
    // Errors shown to a browser are problem documents like every other e-state error.
    renderError: (
      ctx: { type: string; body: string; status: number },
      out: Record<string, string>,
    ) => {
      ctx.type = 'application/problem+json'
      ctx.body = JSON.stringify({
        type: `urn:e-state:problem:oidc_${out.error}`,
        title: 'OpenID Connect request refused',
        status: ctx.status,
        code: `OIDC_${String(out.error).toUpperCase()}`,
        detail: out.error_description ?? out.error,
      })
    },
    routes: {
      authorization: '/oidc/auth',
      token: '/oidc/token',
      jwks: '/oidc/jwks',
      userinfo: '/oidc/me',
      end_session: '/oidc/session/end',
      revocation: '/oidc/token/revocation',
      pushed_authorization_request: '/oidc/request',
      code_verification: '/oidc/device',
      device_authorization: '/oidc/device/auth',
      introspection: '/oidc/token/introspection',
      registration: '/oidc/reg',
      backchannel_authentication: '/oidc/backchannel',
      challenge: '/oidc/challenge',
    },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/oidc/interaction/${interaction.uid}`,
    },
    jwks: { keys: [options.signingKey] },
    cookies: { keys: [...options.cookieKeys], long: { signed: true }, short: { signed: true } },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
  } as unknown as ConstructorParameters<typeof Provider>[1])
  provider.proxy = options.issuer.startsWith('https:')
  const callback = provider.callback()

  return {
    handle: (request, response) =>
      new Promise<void>((resolve) => {
        response.on('finish', () => resolve())
        response.on('close', () => resolve())
        void callback(request, response)
      }),
    async interaction(request, response, person) {
      const details = (await provider.interactionDetails(request, response)) as unknown as {
        uid: string
        iat?: number
        prompt: { name: string; reasons?: string[] }
        params: Record<string, string>
        session?: { accountId?: string }
        grantId?: string
      }
      if (details.prompt.name === 'login') {
        if (person === undefined) return 'login-needed'
        // When the person's e-ID login happened, in seconds: the ID token's auth_time.
        const authTime = Math.floor(Date.parse(person.createdAt ?? new Date().toISOString()) / 1000)
        const now = Math.floor(options.clock.now().getTime() / 1000)
        const reasons = details.prompt.reasons ?? []
        // prompt=login: a login made for this very request (after it began), not an older one.
        if (reasons.includes('login_prompt') && authTime < (details.iat ?? now))
          return 'login-needed'
        const maxAge = Number(details.params.max_age)
        if (Number.isFinite(maxAge) && now - authTime > maxAge) return 'login-needed'
        await provider.interactionFinished(
          request,
          response,
          {
            login: {
              accountId: `${options.country}${person.personalCode}`,
              ts: authTime,
              // RFC 8176: an ID card with its PIN, or a passkey (a hardware-bound key).
              amr: person.method === 'passkey' ? ['hwk', 'user'] : ['sc', 'pin'],
            },
          },
          { mergeWithLastSubmission: false },
        )
        return 'finished'
      }
      // Consent: the relying party asked for openid and profile; the person's login is consent.
      const accountId = details.session?.accountId
      if (
        accountId === undefined ||
        person === undefined ||
        accountId !== `${options.country}${person.personalCode}`
      )
        return 'login-needed'
      const grant =
        details.grantId === undefined
          ? new provider.Grant({ accountId, clientId: details.params.client_id })
          : await provider.Grant.find(details.grantId)
      if (grant === undefined) return 'login-needed'
      grant.addOIDCScope('openid profile')
      grant.addOIDCClaims(['given_name', 'family_name', 'date_of_birth', 'amr'])
      const grantId = await grant.save()
      await provider.interactionFinished(
        request,
        response,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      )
      return 'finished'
    },
  }
}

/** Cookie keys for the provider, derived from a secret the platform already holds. */
export function oidcCookieKeys(secret: Uint8Array): string[] {
  return [createHash('sha256').update('e-state oidc cookies\n').update(secret).digest('base64url')]
}
