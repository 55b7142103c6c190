/**
 * "Log in with e-ID" for another application, on both engines: `openid-client` as the relying
 * party runs the authorization code flow with PKCE against e-state's OpenID Connect provider;
 * the interactive login is the e-ID login; the ID token says who it is as TARA does.
 */
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerOidcClient } from '../src/identity/index.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { issueCard, loginWith, type TestCard } from './support/eid.ts'
import { cliOn } from './support/cli.ts'
import { freePort } from './support/net.ts'

usePostgresCluster()

const JAAK = '38001085718'
const REDIRECT = 'http://127.0.0.1:9/callback'

describe.each(ENGINES)('the OpenID Connect provider on %s', (engine) => {
  let t: TestApp
  let issuer: string
  let card: TestCard
  beforeAll(async () => {
    // The issuer must be the address the relying party reaches.
    const port = await freePort()
    issuer = `http://127.0.0.1:${port}`
    t = await startTestApp(engine, {
      env: { E_STATE_PUBLIC_URL: issuer, PORT: String(port) },
      options: { drainIntervalMs: 0 },
    })
    await t.app.server.listen({ host: '127.0.0.1', port })
    await registerOidcClient(t.app.platform().store.db, {
      clientId: 'tax-app',
      clientSecret: 'a-long-client-secret-for-the-tax-app',
      redirectUris: [REDIRECT],
    })
    card = await issueCard(t, JAAK, { given: 'JAAK-KRISTJAN', surname: 'JÕEORG' })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  /** A browser: follows redirects by hand, keeping cookies, until it leaves for the client. */
  const browse = async (start: string, cookies: Map<string, string>) => {
    let url = start
    for (let hop = 0; hop < 12; hop++) {
      if (url.startsWith(REDIRECT) || url.includes('/login?')) return url
      const response = await fetch(new URL(url, issuer), {
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
      })
      for (const header of response.headers.getSetCookie()) {
        const [pair] = header.split(';')
        const at = pair.indexOf('=')
        cookies.set(pair.slice(0, at), pair.slice(at + 1))
      }
      const location = response.headers.get('location')
      if (location === null)
        throw new Error(`stuck at ${url}: ${response.status} ${await response.text()}`)
      url = new URL(location, url.startsWith('http') ? url : new URL(url, issuer)).toString()
    }
    throw new Error('too many redirects')
  }

  const relyingParty = () =>
    client.discovery(
      new URL(issuer),
      'tax-app',
      'a-long-client-secret-for-the-tax-app',
      undefined,
      {
        execute: [client.allowInsecureRequests],
      },
    )

  it('publishes discovery with PKCE S256 and ES256 ID tokens', async () => {
    const config = await relyingParty()
    const metadata = config.serverMetadata()
    expect(metadata.issuer).toBe(issuer)
    expect(metadata.code_challenge_methods_supported).toEqual(['S256'])
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['ES256'])
    expect(metadata.authorization_endpoint).toBe(`${issuer}/oidc/auth`)
  })

  it('logs a person in with their e-ID and tells the application who it is', async () => {
    const config = await relyingParty()
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const authorize = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    })
    // Not logged in at e-state yet: the provider sends the person to the e-ID login.
    const cookies = new Map<string, string>()
    const toLogin = await browse(authorize.toString(), cookies)
    expect(toLogin).toMatch(/\/login\?next=%2Foidc%2Finteraction%2F/)
    // They log in with the card, then come back to the interaction.
    const session = await loginWith(t, card, issuer)
    expect(session.status).toBe(200)
    const [name, value] = session.cookie.split('=')
    cookies.set(name, value)
    const next = decodeURIComponent(toLogin.split('next=')[1])
    const callback = await browse(next, cookies)
    expect(callback.startsWith(REDIRECT)).toBe(true)

    const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    })
    const claims = tokens.claims()
    expect(claims).toMatchObject({
      iss: issuer,
      aud: 'tax-app',
      sub: `EE${JAAK}`,
      given_name: 'JAAK-KRISTJAN',
      family_name: 'JÕEORG',
      date_of_birth: '1980-01-08',
    })
    // The code was for one use only.
    await expect(
      client.authorizationCodeGrant(config, new URL(callback), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      }),
    ).rejects.toThrow()
  })

  it('honours prompt=login and max_age with a fresh e-ID login, and says when and how it was made', async () => {
    const config = await relyingParty()
    const cookies = new Map<string, string>()
    const authorize = async (extra: Record<string, string>) => {
      const verifier = client.randomPKCECodeVerifier()
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'x',
        ...extra,
      })
      return { url: url.toString(), verifier }
    }
    const loginAndReturn = async (toLogin: string) => {
      const session = await loginWith(t, card, issuer)
      const [name, value] = session.cookie.split('=')
      cookies.set(name, value)
      return browse(decodeURIComponent(toLogin.split('next=')[1]), cookies)
    }
    const first = await authorize({})
    const firstCallback = await loginAndReturn(await browse(first.url, cookies))
    expect(firstCallback.startsWith(REDIRECT)).toBe(true)
    // Logged in at e-state already, but the application asks for a login now: e-ID again.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const again = await authorize({ prompt: 'login' })
    const toLogin = await browse(again.url, cookies)
    expect(toLogin).toMatch(/\/login\?next=/)
    const before = Math.floor(Date.now() / 1000)
    const callback = await loginAndReturn(toLogin)
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
      pkceCodeVerifier: again.verifier,
      expectedState: 'x',
    })
    const claims = tokens.claims() as Record<string, unknown>
    expect(Number(claims.auth_time)).toBeGreaterThanOrEqual(before - 1)
    expect(claims.amr).toEqual(['sc', 'pin'])
    // max_age shorter than the login's age: e-ID again too.
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const aged = await authorize({ max_age: '1' })
    expect(await browse(aged.url, cookies)).toMatch(/\/login\?next=/)
  })

  it('answers an interaction URL without its cookies at once, never leaving the socket open', async () => {
    const reply = await fetch(`${issuer}/oidc/interaction/abc`, {
      signal: AbortSignal.timeout(5_000),
    })
    expect(reply.status).toBe(400)
    expect((await reply.json()).code).toBe('OIDC_INVALID_REQUEST')
  })

  it('refuses a flow without PKCE, and an unknown client or redirect', async () => {
    const config = await relyingParty()
    const withoutPkce = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
    })
    const reply = await fetch(withoutPkce, { redirect: 'manual' })
    const location = reply.headers.get('location') ?? ''
    expect(location).toContain('error=invalid_request')
    const strange = new URL(withoutPkce)
    strange.searchParams.set('redirect_uri', 'https://evil.example/cb')
    strange.searchParams.set('code_challenge', 'x'.repeat(43))
    strange.searchParams.set('code_challenge_method', 'S256')
    const refused = await fetch(strange, { redirect: 'manual' })
    expect(refused.status).toBe(400)
    expect(refused.headers.get('location')).toBeNull()
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect((await refused.json()).code).toBe('OIDC_INVALID_REDIRECT_URI')
  })

  it('registers clients from the command line, with a secret shown once', async () => {
    const added = await cliOn(t, [
      'oidc',
      'clients',
      'add',
      'parking-app',
      '--redirect-uri',
      'https://parking.example/cb',
      '--name',
      'm-parking',
    ])
    expect(added.stdout).toMatch(
      /client parking-app registered; its secret \(shown once\): [A-Za-z0-9_-]{43}/,
    )
    const listed = await cliOn(t, ['oidc', 'clients', 'list'])
    expect(listed.stdout).toContain('parking-app  m-parking  https://parking.example/cb')
    const insecure = await cliOn(t, [
      'oidc',
      'clients',
      'add',
      'bad-app',
      '--redirect-uri',
      'http://evil.example/cb',
    ])
    expect(insecure.code).toBe(1)
    expect((await cliOn(t, ['oidc', 'clients', 'add', 'x'])).code).toBe(2)
  })
})
