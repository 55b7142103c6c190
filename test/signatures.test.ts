/**
 * Signatures as people use them: the founders of a company sign the same articles in turn —
 * one with a PIN-protected software token from the command line, one with a key on a PKCS#11
 * token, one in a browser whose key never leaves it (remote signing: prepare, finalize) — and
 * anyone validates the result, by command (exit codes 0/1/2) or over HTTP, where hostile
 * uploads get a clear 4xx.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { zipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { p384 } from '@noble/curves/nist.js'
import { createApp } from '../src/main/index.ts'
import { preparedStore } from '../src/services/signing/prepared-store.ts'
import { signContainer } from '../src/signature/index.ts'
import { keySigner } from '../src/trust/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { cliOn } from './support/cli.ts'
import { issueCard, loginWith } from './support/eid.ts'
import { SOFTHSM, softHsmToken } from './support/softhsm.ts'

const FOUNDER = '39001010000'
const CLERK = '48707032744'
const ASICE = 'application/vnd.etsi.asic-e+zip'

describe('signing and validating containers', () => {
  let t: TestApp
  let articles: string
  let container: string
  beforeAll(async () => {
    t = await startTestApp('sqlite', { options: { drainIntervalMs: 0 } })
    articles = join(t.dataDir, 'articles.txt')
    writeFileSync(articles, 'Articles of association of Kask OÜ\n')
    container = join(t.dataDir, 'articles.asice')
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const validate = (body: Buffer, query = '') =>
    t.inject({
      method: 'POST',
      url: `/signatures/validate${query}`,
      headers: { 'content-type': ASICE },
      payload: body,
    })

  it('signs with a software token (PIN2), then adds a PKCS#11 signature; both validate', async () => {
    const token = join(t.dataDir, 'founder.p12')
    const pins = {
      E_STATE_TOKEN_PIN1: '1234',
      E_STATE_TOKEN_PIN2: '12345',
      E_STATE_TOKEN_PUK: '12345678',
    }
    const made = await cliOn(
      t,
      ['eid', 'token', 'create', FOUNDER, '--clerk', CLERK, '--out', token],
      pins,
    )
    expect(made.code).toBe(0)
    const pinFile = join(t.dataDir, 'pin2')
    writeFileSync(pinFile, '99999\n')
    const wrong = await cliOn(t, [
      'sign',
      articles,
      '--out',
      container,
      '--token',
      token,
      '--pin-file',
      pinFile,
    ])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('TOKEN_PIN_WRONG')
    writeFileSync(pinFile, '12345\n')
    const signed = await cliOn(t, [
      'sign',
      articles,
      '--out',
      container,
      '--token',
      token,
      '--pin-file',
      pinFile,
      '--role',
      'Founder',
    ])
    expect(signed.stderr).toBe('')
    expect(signed.stdout).toContain('IVANOV')

    const hsm = softHsmToken(join(t.dataDir, 'hsm'), 'clerk-card', [
      { label: 'auth', curve: 'secp384r1' },
      { label: 'sign', curve: 'secp384r1' },
    ])
    const certificates = join(t.dataDir, 'clerk-card')
    const issued = await cliOn(
      t,
      [
        'eid',
        'issue',
        CLERK,
        '--clerk',
        CLERK,
        '--pkcs11',
        SOFTHSM,
        '--token',
        'clerk-card',
        '--auth-key',
        'auth',
        '--sign-key',
        'sign',
        '--out-dir',
        certificates,
      ],
      { ...hsm, E_STATE_TOKEN_PIN: '1234' },
    )
    expect(issued.code).toBe(0)
    const added = await cliOn(
      t,
      [
        'sign',
        '--add-to',
        container,
        '--pkcs11',
        SOFTHSM,
        '--token-label',
        'clerk-card',
        '--key',
        'sign',
        '--certificate',
        join(certificates, 'sign.crt'),
      ],
      { ...hsm, E_STATE_TOKEN_PIN: '1234' },
    )
    expect(added.stderr).toBe('')

    const checked = await cliOn(t, ['validate', container])
    expect(checked.stdout).toContain('2 of 2 signatures valid')
    expect(checked.code).toBe(0)
    const json = await cliOn(t, ['validate', container, '--json'])
    const conclusion = JSON.parse(json.stdout).validationReport.validationConclusion
    expect(conclusion.signatures.map((s: { indication: string }) => s.indication)).toEqual([
      'TOTAL-PASSED',
      'TOTAL-PASSED',
    ])
    expect(conclusion.signatures[0].subjectDistinguishedName.serialNumber).toBe(`PNOEE-${FOUNDER}`)
    expect(conclusion.signatures[0].info.signerRole).toEqual([{ claimedRole: 'Founder' }])

    const response = await validate(readFileSync(container))
    expect(response.statusCode).toBe(200)
    expect(response.json().validationReport.validationConclusion.validSignaturesCount).toBe(2)
  }, 120_000)

  it('signs remotely for a browser whose key stays with it: prepare, then finalize', async () => {
    const holder = '38001085718'
    const card = await issueCard(t, holder, { given: 'JAAN', surname: 'TAMM' })
    const login = await loginWith(t, card, t.config.publicUrl)
    const cookie = login.cookie as string
    // The holder's signing certificate, issued for a key the browser holds.
    const signing = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const issued = await t.app.platform().pki.issue({
      kind: 'sign',
      holder,
      publicKey: signing.publicKey,
      subject: [
        ['2.5.4.5', `PNOEE-${holder}`],
        ['2.5.4.3', `TAMM,JAAN,${holder}`],
      ],
    })
    const document = { name: 'lease.txt', content: Buffer.from('Lease').toString('base64') }
    const prepare = (extra: Record<string, unknown> = {}, who = cookie) =>
      t.inject({
        method: 'POST',
        url: '/signatures/prepare',
        headers: { cookie: who },
        payload: { certificate: issued.der.toString('base64'), documents: [document], ...extra },
      })
    const prepared = await prepare()
    expect(prepared.statusCode).toBe(200)
    const { id, hash, hashFunction } = prepared.json()
    expect(hashFunction).toBe('SHA-384')
    // Web eID signs the hash it is given (raw r‖s).
    const signatureValue = signHash(signing.privateKey, Buffer.from(hash, 'base64'))
    const finalize = (body: Record<string, unknown>) =>
      t.inject({ method: 'POST', url: '/signatures/finalize', headers: { cookie }, payload: body })
    const bad = await finalize({ id, signatureValue: Buffer.alloc(96, 1).toString('base64') })
    expect(bad.statusCode).toBe(422)
    expect(bad.json().code).toBe('SIGN_FAILED')
    // A failed finalize spends the preparation: prepare again.
    expect((await finalize({ id, signatureValue })).json().code).toBe('SIGN_PREPARED_UNKNOWN')
    const again = (await prepare()).json()
    const value = signHash(signing.privateKey, Buffer.from(again.hash, 'base64'))
    // Someone else's session cannot finish it (nor learn that it exists).
    const other = await issueCard(t, '49403136526', { given: 'KATI', surname: 'KASK' })
    const otherLogin = await loginWith(t, other, t.config.publicUrl)
    const stolen = await t.inject({
      method: 'POST',
      url: '/signatures/finalize',
      headers: { cookie: otherLogin.cookie as string },
      payload: { id: again.id, signatureValue: value },
    })
    expect(stolen.statusCode).toBe(404)
    expect(stolen.json().code).toBe('SIGN_PREPARED_UNKNOWN')
    // The preparation is in the store, sealed: another node on the same store finishes it (a
    // restart, or the embassy after a failover), and then it is spent for both.
    const waiting = await t.app
      .platform()
      .store.db.selectFrom('signing_prepared')
      .selectAll()
      .execute()
    expect(waiting).toHaveLength(1)
    // Sealed: neither the document (nor its base64, as the row's JSON holds it) nor the JSON's
    // own words are in the stored bytes.
    for (const plain of ['Lease', document.content.replace(/=+$/, ''), 'documents'])
      expect(Buffer.from(waiting[0]!.sealed).includes(Buffer.from(plain)), plain).toBe(false)
    const twin = await createApp(t.config, { drainIntervalMs: 0 })
    let done: Awaited<ReturnType<typeof finalize>>
    try {
      await twin.start()
      done = await twin.server.inject({
        method: 'POST',
        url: '/signatures/finalize',
        headers: { cookie },
        payload: { id: again.id, signatureValue: value },
      })
    } finally {
      await twin.close()
    }
    expect(done.statusCode).toBe(200)
    const replayed = await finalize({ id: again.id, signatureValue: value })
    expect(replayed.json().code).toBe('SIGN_PREPARED_UNKNOWN')
    expect(done.headers['content-type']).toBe(ASICE)
    const report = (await validate(done.rawPayload)).json().validationReport.validationConclusion
    expect(report.signatures[0].indication).toBe('TOTAL-PASSED')
    expect(report.signatures[0].signedBy).toBe(`TAMM,JAAN,${holder}`)

    // A certificate made up around the holder's real serial, with another name and key: refused.
    const { issueCertificate, keySigner: selfSigner } = await import('../src/trust/index.ts')
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const madeUp = await issueCertificate({
      subject: [['2.5.4.3', 'VICTIM,SOMEONE,47101010033']],
      publicKey: forger.publicKey,
      serial: Buffer.from(issued.serial, 'hex'),
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      profile: { keyUsage: ['nonRepudiation'] },
      signer: selfSigner(forger.privateKey),
    })
    const forged = await t.inject({
      method: 'POST',
      url: '/signatures/prepare',
      headers: { cookie },
      payload: { certificate: madeUp.toString('base64'), documents: [document] },
    })
    expect(forged.json().code).toBe('SIGNING_CERTIFICATE_NOT_YOURS')
    // Someone else's certificate, or no session: refused.
    expect((await prepare({}, otherLogin.cookie as string)).json().code).toBe(
      'SIGNING_CERTIFICATE_NOT_YOURS',
    )
    expect((await prepare({}, '')).statusCode).toBe(401)

    // Six prepares at once: three may wait per person, counted and saved in one transaction, so
    // exactly three pass however they interleave.
    const burst = await Promise.all(Array.from({ length: 6 }, () => prepare()))
    expect(burst.map((reply) => reply.statusCode).sort()).toEqual([200, 200, 200, 429, 429, 429])
    expect(new Set(burst.filter((r) => r.statusCode === 429).map((r) => r.json().code))).toEqual(
      new Set(['SIGNATURES_BUSY']),
    )
    // Past their five minutes they are deleted (every minute on a primary, and at each prepare).
    const store = preparedStore(t.app.platform().store, t.app.platform().envelope)
    expect(await store.prune(new Date(Date.now() + 10 * 60_000))).toBe(3)
    expect((await prepare()).statusCode).toBe(200)
  }, 60_000)

  it('validates a 55 MB container over HTTP, and refuses one above its 64 MB limit', async () => {
    const holder = '49403136526'
    const key = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const platform = t.app.platform()
    const issued = await platform.pki.issue({
      kind: 'sign',
      holder,
      publicKey: key.publicKey,
      subject: [
        ['2.5.4.5', `PNOEE-${holder}`],
        ['2.5.4.3', `KASK,KATI,${holder}`],
      ],
    })
    const big = await signContainer({
      documents: [
        {
          name: 'scan.bin',
          mediaType: 'application/octet-stream',
          bytes: randomBytes(55 * 1024 * 1024),
        },
      ],
      certificate: issued.der,
      issuer: platform.pki.authorities.get('citizen')?.certificate as Buffer,
      signer: keySigner(key.privateKey),
      profile: 'LT',
      services: platform.signatures.services,
      now: platform.clock.now(),
    })
    expect(big.length).toBeGreaterThan(55 * 1024 * 1024)
    const response = await validate(big)
    expect(response.statusCode).toBe(200)
    expect(response.json().validationReport.validationConclusion.signatures[0].indication).toBe(
      'TOTAL-PASSED',
    )
    const tooBig = await validate(Buffer.concat([big, randomBytes(10 * 1024 * 1024)]))
    expect(tooBig.statusCode).toBe(413)
    expect(tooBig.json().code).toBe('BODY_TOO_LARGE')
  }, 60_000)

  it('answers hostile uploads with a clear 4xx and a refused container with exit code 2', async () => {
    const notZip = await validate(Buffer.from('hello'))
    expect(notZip.statusCode).toBe(422)
    expect(notZip.headers['content-type']).toContain('application/problem+json')
    expect(notZip.json().code).toBe('CONTAINER_NOT_ZIP')
    const bomb = zipSync({
      mimetype: [Buffer.from(ASICE), { level: 0 }],
      'META-INF/manifest.xml': [Buffer.from('<x/>'), { level: 6 }],
      'a.txt': [new Uint8Array(300 * 1024 * 1024), { level: 9 }],
    })
    const bombed = await validate(Buffer.from(bomb))
    expect(bombed.statusCode).toBe(422)
    expect(bombed.json().code).toBe('CONTAINER_TOO_LARGE')
    const json = await t.inject({
      method: 'POST',
      url: '/signatures/validate',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    })
    expect(json.statusCode).toBe(415)
    const bad = join(t.dataDir, 'bad.asice')
    writeFileSync(bad, 'not a container')
    const refused = await cliOn(t, ['validate', bad])
    expect(refused.code).toBe(2)
    expect(refused.stdout).toContain('CONTAINER_NOT_ZIP')
    const usage = await cliOn(t, ['validate'])
    expect(usage.code).toBe(2)
  }, 60_000)
})

/** ECDSA over a hash computed elsewhere, as a card signs it (no hashing of its own). */
function signHash(key: KeyObject, hash: Buffer): string {
  const scalar = Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url')
  return Buffer.from(p384.sign(hash, scalar, { prehash: false })).toString('base64')
}
