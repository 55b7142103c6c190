/**
 * e-ID at the service desk, on both engines: a clerk logged in with their own e-ID issues a
 * resident's e-ID for keys the resident made (proved by their signatures), with the names from
 * the population register; the holder logs in with it, suspends and revokes their own; only a
 * clerk resumes; a new e-ID supersedes the old; each answer names the role it was decided on.
 */
import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { possessionMessage } from '../src/identity/index.ts'
import { renewalMessage } from '../src/services/eid-desk/index.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { issueCard, loginWith, type TestCard } from './support/eid.ts'

usePostgresCluster()

const JAAK = '38001085718'
const MARI = '48707032744' // a clerk of the Ministry of the Interior
const IVAN = '39001010000' // a police officer
const origin = 'https://www.state.example'

describe.each(ENGINES)('e-ID issuance on %s', (engine) => {
  let t: TestApp
  let clerk: string
  let police: string
  beforeAll(async () => {
    t = await startTestApp(engine, {
      env: { E_STATE_PUBLIC_URL: origin },
      options: { drainIntervalMs: 0 },
    })
    clerk = (
      await loginWith(t, await issueCard(t, MARI, { given: 'MARI', surname: 'MAASIKAS' }), origin)
    ).cookie
    police = (
      await loginWith(t, await issueCard(t, IVAN, { given: 'IVAN', surname: 'IVANOV' }), origin)
    ).cookie
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const keyFor = (personalCode: string, curve: 'P-384' | 'P-256' | 'P-521' = 'P-384') => {
    const pair = generateKeyPairSync('ec', { namedCurve: curve })
    const publicKey = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
    const proof = sign(
      curve === 'P-384' ? 'sha384' : 'sha256',
      possessionMessage(personalCode, publicKey),
      pair.privateKey,
    )
    return { pair, request: { publicKey, proof: proof.toString('base64') } }
  }
  const issue = (cookie: string, body: unknown) =>
    t.inject({
      method: 'POST',
      url: '/eid/issue',
      headers: { cookie },
      payload: body as Record<string, unknown>,
    })

  let card: TestCard
  let signSerial: string

  it('issues both certificates for the resident’s own keys, names from the register, decided as clerk', async () => {
    const auth = keyFor(JAAK)
    const signing = keyFor(JAAK)
    const reply = await issue(clerk, {
      personalCode: JAAK,
      auth: auth.request,
      sign: signing.request,
    })
    expect(reply.statusCode, reply.body).toBe(200)
    const body = reply.json()
    expect(body.authorisedAs.as).toBe('clerk')
    const authCertificate = new X509Certificate(Buffer.from(body.auth.certificate, 'base64'))
    expect(authCertificate.subject).toContain(`CN=JÕEORG\\,JAAK-KRISTJAN\\,${JAAK}`)
    expect(authCertificate.subject).toContain(`serialNumber=PNOEE-${JAAK}`)
    expect(
      authCertificate.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    ).toBe(auth.request.publicKey)
    const signCertificate = new X509Certificate(Buffer.from(body.sign.certificate, 'base64'))
    expect(signCertificate.keyUsage ?? []).not.toContain('1.3.6.1.5.5.7.3.2')
    card = { key: auth.pair.privateKey, certificate: authCertificate.raw, serial: body.auth.serial }
    signSerial = body.sign.serial
    // The clerk's read of the register is on record, with its purpose.
    const recorded = await t.app
      .platform()
      .store.admin.selectFrom('access_records')
      .select(['actor_code', 'purpose'])
      .where('subject_code', '=', JAAK)
      .where('actor_code', '=', MARI)
      .execute()
    // "By clerk X for resident Y": the purpose names both, and the resident's presence.
    expect(recorded.map((row) => row.purpose)).toContain(
      `e-ID issuance: by clerk ${MARI} at the service desk, for resident ${JAAK} present in person`,
    )
    // It went through the exchange, signed and logged on both sides like any agency's call.
    const logged = await t.app
      .platform()
      .store.admin.selectFrom('exchange_message_log')
      .select(['side', 'service', 'user_id', 'status'])
      .where('user_id', '=', `EE${MARI}`)
      .where('path', '=', '/1.0/read')
      .execute()
    expect(logged.map((row) => row.side).sort()).toEqual(['consumer', 'provider'])
    expect(logged.every((row) => row.service.endsWith('/population') && row.status === 200)).toBe(
      true,
    )
  })

  it('refuses non-clerks, forged proofs, wrong curves, one key for both, and unknown people', async () => {
    const good = { personalCode: JAAK, auth: keyFor(JAAK).request, sign: keyFor(JAAK).request }
    const asPolice = await issue(police, good)
    expect(asPolice.statusCode).toBe(403)
    expect(asPolice.json().code).toBe('ROLE_REQUIRED')
    expect((await issue('', good)).json().code).toBe('SESSION_REQUIRED')
    const cases: [unknown, number, string][] = [
      [
        { ...good, auth: { ...good.auth, proof: keyFor(JAAK).request.proof } },
        400,
        'EID_KEY_INVALID',
      ],
      [{ ...good, auth: keyFor(MARI).request }, 400, 'EID_KEY_INVALID'],
      [{ ...good, auth: keyFor(JAAK, 'P-521').request }, 400, 'EID_KEY_INVALID'],
      [{ ...good, sign: good.auth }, 400, 'EID_KEY_INVALID'],
      [{ ...good, auth: { publicKey: 'AAAA', proof: 'AAAA' } }, 400, 'EID_KEY_INVALID'],
      [{ ...good, personalCode: '12345' }, 400, 'INVALID_INPUT'],
    ]
    for (const [body, status, code] of cases) {
      const reply = await issue(clerk, body)
      expect(reply.statusCode, JSON.stringify(body).slice(0, 80)).toBe(status)
      expect(reply.json().code).toBe(code)
    }
    const p256 = {
      personalCode: JAAK,
      auth: keyFor(JAAK, 'P-256').request,
      sign: keyFor(JAAK, 'P-256').request,
    }
    const accepted = await issue(clerk, p256)
    expect(accepted.statusCode).toBe(200)
    // That one superseded the first e-ID: put the first back for the next tests.
    for (const serial of [accepted.json().auth.serial, accepted.json().sign.serial])
      await t.app.platform().pki.setStatus(serial, 'revoked', 4)
  })

  it('lets the holder log in, see, suspend and revoke their own; only a clerk resumes', async () => {
    // The P-256 e-ID issued above revoked the first one; issue afresh and use that.
    const auth = keyFor(JAAK)
    const reply = await issue(clerk, {
      personalCode: JAAK,
      auth: auth.request,
      sign: keyFor(JAAK).request,
    })
    card = {
      key: auth.pair.privateKey,
      certificate: Buffer.from(reply.json().auth.certificate, 'base64'),
      serial: reply.json().auth.serial,
    }
    const holder = await loginWith(t, card, origin)
    expect(holder.status).toBe(200)
    const mine = (
      await t.inject({ url: '/eid/certificates', headers: { cookie: holder.cookie } })
    ).json()
    expect(mine.filter((c: { status: string }) => c.status === 'good')).toHaveLength(2)
    expect(mine.find((c: { serial: string }) => c.serial === signSerial)?.status).toBe('revoked')

    const act = (cookie: string, action: string, serial = card.serial) =>
      t.inject({
        method: 'POST',
        url: `/eid/certificates/${serial}/${action}`,
        headers: { cookie },
      })
    const suspended = await act(holder.cookie, 'suspend')
    expect(suspended.json()).toMatchObject({ status: 'suspended', authorisedAs: { as: 'holder' } })
    expect((await loginWith(t, card, origin)).body.code).toBe('WEBEID_CERTIFICATE_REVOKED')
    // Suspending the card ended the holder's sessions at once.
    const selfResume = await act(holder.cookie, 'resume')
    expect(selfResume.json().code).toBe('SESSION_REQUIRED')
    const resumed = await act(clerk, 'resume')
    expect(resumed.json()).toMatchObject({ status: 'good', authorisedAs: { as: 'clerk' } })
    const again = await loginWith(t, card, origin)
    expect(again.status).toBe(200)
    expect((await act(police, 'suspend')).json().code).toBe('ROLE_REQUIRED')
    const revoked = await act(again.cookie, 'revoke')
    expect(revoked.json().status, revoked.body).toBe('revoked')
    expect((await act(clerk, 'resume')).json().code).toBe('TRUST_INVALID_STATUS_CHANGE')
    expect((await act(clerk, 'suspend', 'ffff')).json().code).toBe('TRUST_UNKNOWN_CERTIFICATE')
    expect((await act(clerk, 'explode')).statusCode).toBe(400)
  })

  it('lets the holder renew online after a fresh e-ID login: new certificates, the old superseded', async () => {
    const auth = keyFor(IVAN)
    const signing = keyFor(IVAN)
    const first = await issue(clerk, {
      personalCode: IVAN,
      auth: auth.request,
      sign: signing.request,
    })
    expect(first.statusCode).toBe(200)
    const card = {
      key: auth.pair.privateKey,
      certificate: Buffer.from(first.json().auth.certificate, 'base64'),
    }
    const holder = await loginWith(t, card, origin)
    const next = { auth: keyFor(IVAN).request, sign: keyFor(IVAN).request }
    const message = renewalMessage(IVAN, next.auth.publicKey, next.sign.publicKey)
    // Someone else's keys (proofs for another person) are refused.
    const foreign = await t.inject({
      method: 'POST',
      url: '/eid/renew',
      headers: { cookie: holder.cookie },
      payload: { auth: keyFor(JAAK).request, sign: keyFor(IVAN).request, current: 'AAAA' },
    })
    expect(foreign.json().code).toBe('EID_KEY_INVALID')
    // A login (PIN1) alone does not renew: the current signing key (PIN2) must agree.
    const pin1Only = await t.inject({
      method: 'POST',
      url: '/eid/renew',
      headers: { cookie: holder.cookie },
      payload: {
        ...next,
        current: sign('sha384', message, auth.pair.privateKey).toString('base64'),
      },
    })
    expect(pin1Only.json().code).toBe('EID_KEY_INVALID')
    const renewed = await t.inject({
      method: 'POST',
      url: '/eid/renew',
      headers: { cookie: holder.cookie },
      payload: {
        ...next,
        current: sign('sha384', message, signing.pair.privateKey).toString('base64'),
      },
    })
    expect(renewed.statusCode, renewed.body).toBe(200)
    expect(renewed.json().authorisedAs).toEqual({ as: 'holder' })
    const pki = t.app.platform().pki
    expect(await pki.status('citizen', first.json().auth.serial)).toMatchObject({
      status: 'revoked',
      reason: 4,
    })
    expect(await pki.status('citizen', renewed.json().auth.serial)).toEqual({ status: 'good' })
    // The superseded card's sessions ended with it.
    expect(
      (await t.inject({ url: '/auth/session', headers: { cookie: holder.cookie } })).statusCode,
    ).toBe(401)
  })
})
