/**
 * Logging in with an e-state e-ID over HTTP, on both engines: the Web eID challenge bound to the
 * browser, the token checked with OCSP on, a Secure HttpOnly SameSite session cookie, replays and
 * foreign origins refused, a suspended card refused at once, idle expiry, logout everywhere.
 */
import type { KeyObject } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Clock } from '../src/shared/index.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { issueCard, webEidToken } from './support/eid.ts'

usePostgresCluster()

const JAAK = '38001085718'

describe.each(ENGINES)('e-ID login on %s', (engine) => {
  let t: TestApp
  let ahead = 0
  const clock: Clock = { now: () => new Date(Date.now() + ahead) }
  let key: KeyObject
  let certificate: Buffer
  let serial: string
  const origin = 'https://www.state.example'

  beforeAll(async () => {
    t = await startTestApp(engine, {
      env: { E_STATE_PUBLIC_URL: origin },
      options: { drainIntervalMs: 0, clock },
    })
    const card = await issueCard(t, JAAK, { given: 'JAAK-KRISTJAN', surname: 'JÕEORG' })
    key = card.key
    certificate = card.certificate
    serial = card.serial
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const tokenFor = (nonce: string, forOrigin = origin) =>
    webEidToken({ key, certificate }, nonce, forOrigin)
  const challenge = async () => {
    const reply = await t.inject({ method: 'POST', url: '/auth/challenge' })
    expect(reply.statusCode).toBe(200)
    const cookie = String(reply.headers['set-cookie']).split(';')[0]
    return { nonce: reply.json().nonce as string, cookie }
  }
  const login = (cookie: string, authToken: unknown) =>
    t.inject({ method: 'POST', url: '/auth/web-eid', headers: { cookie }, payload: { authToken } })
  const sessionCookie = (reply: { headers: Record<string, unknown> }) => {
    const cookies = [reply.headers['set-cookie']].flat().map(String)
    const session = cookies.find((value) => value.startsWith('__Host-estate_session='))
    expect(session).toMatch(/HttpOnly/)
    expect(session).toMatch(/Secure/)
    expect(session).toMatch(/SameSite=Strict/)
    return String(session).split(';')[0]
  }

  it('logs in with the card, and the session says who is there', async () => {
    const { nonce, cookie } = await challenge()
    expect(Buffer.from(nonce, 'base64')).toHaveLength(32)
    const reply = await login(cookie, tokenFor(nonce))
    expect(reply.statusCode, reply.body).toBe(200)
    expect(reply.json()).toMatchObject({
      personalCode: JAAK,
      givenName: 'JAAK-KRISTJAN',
      method: 'web-eid',
    })
    const session = sessionCookie(reply)
    const who = await t.inject({ url: '/auth/session', headers: { cookie: session } })
    expect(who.json().personalCode).toBe(JAAK)
  })

  it("shows the logged-in person their own data tracker, and nobody else's", async () => {
    const police = await t.inject({
      url: `/data/population/1.0?query.personalCode=${JAAK}`,
      headers: { ...t.headers('PPA'), 'x-road-userid': 'EE39001010000', 'x-road-issue': 'case 77' },
    })
    expect(police.statusCode).toBe(200)
    await t.app.platform().ledger.drainOnce()
    const { nonce, cookie } = await challenge()
    const session = sessionCookie(await login(cookie, tokenFor(nonce)))
    const mine = await t.inject({ url: '/tracker/usage', headers: { cookie: session } })
    expect(mine.statusCode, mine.body).toBe(200)
    const record = mine.json().records.find((r: { purpose: string }) => r.purpose === 'case 77')
    expect(record).toMatchObject({
      agency: 'Police and Border Guard Board',
      official: 'Ivan Ivanov',
    })
    expect(record.ledger.receipt).not.toBeNull()
    const theirs = await t.inject({
      url: '/tracker/usage?userId=EE39001010000',
      headers: { cookie: session },
    })
    expect(theirs.statusCode).toBe(403)
    expect(theirs.json().code).toBe('ACCESS_DENIED')
    const nobody = await t.inject({
      url: '/tracker/usage',
      headers: { cookie: '__Host-estate_session=nothing' },
    })
    expect(nobody.json().code).toBe('SESSION_REQUIRED')
  })

  it('refuses a replayed token, another origin, a missing or expired challenge', async () => {
    const first = await challenge()
    expect((await login(first.cookie, tokenFor(first.nonce))).statusCode).toBe(200)
    const replay = await login(first.cookie, tokenFor(first.nonce))
    expect(replay.statusCode).toBe(401)
    expect(replay.json().code).toBe('WEBEID_NONCE_INVALID')

    const second = await challenge()
    const elsewhere = await login(second.cookie, tokenFor(second.nonce, 'https://evil.example'))
    expect(elsewhere.json().code).toBe('WEBEID_SIGNATURE_INVALID')

    const third = await challenge()
    expect((await login('', tokenFor(third.nonce))).json().code).toBe('WEBEID_NONCE_INVALID')
    ahead = 6 * 60_000
    try {
      expect((await login(third.cookie, tokenFor(third.nonce))).json().code).toBe(
        'WEBEID_NONCE_INVALID',
      )
    } finally {
      ahead = 0
    }
    const mangled = await login('__Host-estate_challenge=%E0%A4%A', tokenFor(first.nonce))
    expect(mangled.statusCode).toBe(401)
    expect(mangled.json().code).toBe('WEBEID_NONCE_INVALID')
    const fourth = await challenge()
    const malformed = await login(fourth.cookie, { format: 'web-eid:1.0' })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().code).toBe('WEBEID_TOKEN_MALFORMED')
  })

  it('refuses a suspended card at once, and takes it back when resumed', async () => {
    await t.app.platform().pki.setStatus(serial, 'suspended')
    const { nonce, cookie } = await challenge()
    const refused = await login(cookie, tokenFor(nonce))
    expect(refused.statusCode).toBe(401)
    expect(refused.json().code).toBe('WEBEID_CERTIFICATE_REVOKED')
    await t.app.platform().pki.setStatus(serial, 'good')
    const again = await challenge()
    expect((await login(again.cookie, tokenFor(again.nonce))).statusCode).toBe(200)
  })

  it('refuses cookie-authenticated acts from another site, and a session cookie sent twice', async () => {
    const { nonce, cookie } = await challenge()
    const session = sessionCookie(await login(cookie, tokenFor(nonce)))
    const act = (headers: Record<string, string>) =>
      t.inject({
        method: 'POST',
        url: '/auth/logout-everywhere',
        headers: { cookie: session, ...headers },
      })
    const fromElsewhere = await act({
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    })
    expect(fromElsewhere.statusCode).toBe(403)
    expect(fromElsewhere.json().code).toBe('CROSS_SITE_REFUSED')
    expect((await act({ 'sec-fetch-site': 'same-site' })).json().code).toBe('CROSS_SITE_REFUSED')
    // Still logged in: nothing was done.
    expect(
      (await t.inject({ url: '/auth/session', headers: { cookie: session } })).statusCode,
    ).toBe(200)
    // A second cookie of the same name (planted from a sibling domain) makes the session absent.
    const tossed = await t.inject({
      url: '/auth/session',
      headers: { cookie: `${session}; __Host-estate_session=planted` },
    })
    expect(tossed.statusCode).toBe(401)
    expect((await act({ origin, 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200)
  })

  it('refuses a certificate of another country or without a valid personal code', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    for (const serialNumber of [`PNOLV-${JAAK}`, 'PNOEE-12345678901']) {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      const issued = await t.app.platform().pki.issue({
        kind: 'auth',
        holder: serialNumber,
        publicKey: pair.publicKey,
        subject: [
          ['2.5.4.6', 'EE'],
          ['2.5.4.3', `X,Y,${serialNumber}`],
          ['2.5.4.5', serialNumber],
        ],
      })
      const { nonce, cookie } = await challenge()
      const reply = await login(
        cookie,
        webEidToken({ key: pair.privateKey, certificate: issued.der }, nonce, origin),
      )
      expect(reply.statusCode).toBe(401)
      expect(reply.json().code).toBe('WEBEID_CERTIFICATE_WRONG_PURPOSE')
    }
  })

  it('cuts off a flood of challenges from one address', async () => {
    const replies = []
    for (let index = 0; index < 150; index++)
      replies.push(
        await t.inject({ method: 'POST', url: '/auth/challenge', remoteAddress: '203.0.113.7' }),
      )
    const refused = replies.filter((reply) => reply.statusCode === 429)
    expect(refused.length).toBeGreaterThanOrEqual(10)
    expect(refused[0].json().code).toBe('CHALLENGES_TOO_MANY')
    expect(refused[0].headers['retry-after']).toBeDefined()
    // Another address is not affected.
    const other = await t.inject({
      method: 'POST',
      url: '/auth/challenge',
      remoteAddress: '203.0.113.8',
    })
    expect(other.statusCode).toBe(200)
  })

  it('ends sessions when idle too long, on logout, and everywhere at once', async () => {
    const open = async () => {
      const { nonce, cookie } = await challenge()
      return sessionCookie(await login(cookie, tokenFor(nonce)))
    }
    const idle = await open()
    ahead = 16 * 60_000
    try {
      expect((await t.inject({ url: '/auth/session', headers: { cookie: idle } })).statusCode).toBe(
        401,
      )
    } finally {
      ahead = 0
    }
    const one = await open()
    const two = await open()
    expect(
      (await t.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: one } }))
        .statusCode,
    ).toBe(200)
    expect((await t.inject({ url: '/auth/session', headers: { cookie: one } })).statusCode).toBe(
      401,
    )
    expect((await t.inject({ url: '/auth/session', headers: { cookie: two } })).statusCode).toBe(
      200,
    )
    const three = await open()
    const everywhere = await t.inject({
      method: 'POST',
      url: '/auth/logout-everywhere',
      headers: { cookie: three },
    })
    expect(everywhere.json().ended).toBeGreaterThanOrEqual(2)
    for (const cookie of [two, three])
      expect((await t.inject({ url: '/auth/session', headers: { cookie } })).json().code).toBe(
        'SESSION_REQUIRED',
      )
    expect(
      (
        await t.inject({
          url: '/auth/session',
          headers: { cookie: '__Host-estate_session=forged' },
        })
      ).statusCode,
    ).toBe(401)
  })
})
