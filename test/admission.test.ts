/**
 * Admission under load: per-address and per-identity token buckets and a bound on requests in
 * flight, decided before anything else; X-Forwarded-For believed only from trusted proxies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addressKeyOf, createAdmission, presentedIdentity } from '../src/main/admission.ts'
import { startTestApp, type TestApp } from './support/app.ts'

describe('admission buckets', () => {
  it('lets a burst of twice the rate through, then refuses with the seconds to wait', () => {
    const admission = createAdmission({ addressRate: 100, identityRate: 2, inFlight: 1000 })
    const admitted = Array.from({ length: 5 }, () => admission.admit('192.0.2.1', 'alice', 0)).map(
      (verdict) => verdict.admitted,
    )
    expect(admitted).toEqual([true, true, true, true, false])
    const refused = admission.admit('192.0.2.1', 'alice', 0)
    expect(refused).toMatchObject({ admitted: false, reason: 'identity', retryAfterSeconds: 1 })
    // Another identity from the same address is still served; the refill comes with time.
    expect(admission.admit('192.0.2.1', 'bob', 0).admitted).toBe(true)
    expect(admission.admit('192.0.2.1', 'alice', 500).admitted).toBe(true)
    expect(admission.admit('192.0.2.1', 'alice', 500).admitted).toBe(false)
  })

  it('counts an address whatever identities it presents, and bounds requests in flight', () => {
    const admission = createAdmission({ addressRate: 1, identityRate: 100, inFlight: 2 })
    expect(admission.admit('192.0.2.7', 'a', 0).admitted).toBe(true)
    expect(admission.admit('192.0.2.7', 'b', 0).admitted).toBe(true)
    expect(admission.admit('192.0.2.7', 'c', 0)).toMatchObject({ reason: 'address' })
    const busy = createAdmission({
      addressRate: 100,
      identityRate: 100,
      inFlight: 2,
      clientInFlight: 2,
    })
    const first = busy.admit('192.0.2.8', undefined, 0)
    busy.admit('192.0.2.9', undefined, 0)
    expect(busy.admit('192.0.2.10', undefined, 0)).toMatchObject({ reason: 'busy' })
    if (first.admitted) {
      first.release()
      first.release() // twice: no effect
    }
    expect(busy.inFlight).toBe(1)
    expect(busy.admit('192.0.2.10', undefined, 0).admitted).toBe(true)
  })

  it('lets no one client fill the queue', () => {
    const admission = createAdmission({ addressRate: 100, identityRate: 100, inFlight: 16 })
    const held = Array.from({ length: 2 }, () => admission.admit('192.0.2.1', 'flood', 0))
    expect(admission.admit('192.0.2.1', 'flood', 0)).toMatchObject({ reason: 'client-busy' })
    expect(admission.admit('192.0.2.2', 'honest', 0).admitted).toBe(true)
    for (const verdict of held) if (verdict.admitted) verdict.release()
    expect(admission.admit('192.0.2.1', 'flood', 0).admitted).toBe(true)
  })

  it('keys IPv6 clients by their /64 and forgets the least recently seen first', () => {
    expect(addressKeyOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(addressKeyOf('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64')
    expect(addressKeyOf('2001:0db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressKeyOf('::ffff:192.0.2.1')).toBe('192.0.2.1')
    expect(addressKeyOf('192.0.2.1')).toBe('192.0.2.1')
    const admission = createAdmission({
      addressRate: 1,
      identityRate: 1,
      inFlight: 100,
      buckets: 2,
    })
    admission.admit('192.0.2.1', undefined, 0)
    admission.admit('192.0.2.1', undefined, 0)
    expect(admission.admit('192.0.2.1', undefined, 0).admitted).toBe(false)
    admission.admit('192.0.2.2', undefined, 0)
    admission.admit('192.0.2.3', undefined, 0) // 192.0.2.1 forgotten
    expect(admission.admit('192.0.2.1', undefined, 0).admitted).toBe(true)
  })

  it('names an identity by a hash of the presented credential, never the credential', () => {
    const bearer = presentedIdentity({ authorization: 'Bearer esm_secret' })
    expect(bearer).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(bearer).not.toContain('secret')
    expect(presentedIdentity({ cookie: 'a=1; __Host-estate_session=abc' })).not.toBe(
      presentedIdentity({ cookie: '__Host-estate_session=abd' }),
    )
    expect(presentedIdentity({})).toBeUndefined()
  })
})

describe('admission in the running node', () => {
  let t: TestApp
  let proxied: TestApp
  beforeAll(async () => {
    const limits = {
      E_STATE_ADMISSION_ADDRESS_RATE: '20',
      E_STATE_ADMISSION_IDENTITY_RATE: '3',
    }
    t = await startTestApp('sqlite', { population: 200, env: limits })
    proxied = await startTestApp('sqlite', {
      population: 200,
      env: { ...limits, E_STATE_TRUSTED_PROXIES: '127.0.0.1,10.0.0.0/8' },
    })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    await proxied?.close()
  })

  it('turns a flooding credential away with 429 and Retry-After, and serves others', async () => {
    const flood = { authorization: 'Bearer esm_flood' }
    const statuses: number[] = []
    for (let index = 0; index < 10; index++)
      statuses.push((await t.inject({ url: '/ledger/checkpoint', headers: flood })).statusCode)
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(3)
    const refused = await t.inject({ url: '/ledger/checkpoint', headers: flood })
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect(refused.json().code).toBe('RATE_LIMITED')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    // Another client, and the health check, are still served.
    const other = await t.inject({
      url: '/ledger/checkpoint',
      headers: { authorization: 'Bearer esm_other' },
    })
    expect(other.statusCode).not.toBe(429)
    expect((await t.inject({ url: '/health/ready' })).statusCode).toBe(200)
    const metrics = await t.inject({ url: '/metrics', remoteAddress: '192.0.2.99' })
    expect(metrics.body).toMatch(/estate_admission_rejected_total\{reason="identity"\} \d+/)
  })

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    const from = (app: TestApp, forwarded: string) =>
      app.inject({
        url: '/ledger/checkpoint',
        headers: { 'x-forwarded-for': forwarded },
        remoteAddress: '127.0.0.1',
      })
    // Untrusted: a made-up forwarded address does not buy a fresh bucket.
    const spoofed: number[] = []
    for (let index = 0; index < 45; index++)
      spoofed.push((await from(t, `198.51.100.${index}`)).statusCode)
    expect(spoofed).toContain(429)
    // Behind a trusted proxy each forwarded client has its own bucket.
    const forwarded: number[] = []
    for (let index = 0; index < 45; index++)
      forwarded.push((await from(proxied, `198.51.100.${index}`)).statusCode)
    expect(forwarded).not.toContain(429)
  })
})
