/**
 * The state PKI over HTTP on both engines: CA certificates, OCSP (openssl ocsp against the
 * running node), CRLs, time-stamps (openssl ts -verify), status changes reflected at once and
 * logged in the ledger, mass suspension with letters, and bad input.
 */
import { execFile } from 'node:child_process'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { OCSPResponse, OCSPResponseStatus } from '@peculiar/asn1-ocsp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPki, OID } from '../src/trust/index.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'

usePostgresCluster()

const pem = (der: Buffer, label = 'CERTIFICATE') =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`
const openssl = (args: string[]) =>
  new Promise<string>((resolve) => {
    execFile('openssl', args, { timeout: 20_000 }, (_error, stdout, stderr) =>
      resolve(`${stdout}${stderr}`),
    )
  })

describe.each(ENGINES)('the state PKI on %s', (engine) => {
  let t: TestApp
  let url: string
  const directory = mkdtempSync(join(tmpdir(), `e-state-pki-${engine}-`))
  const file = (name: string) => join(directory, name)
  beforeAll(async () => {
    t = await startTestApp(engine, { options: { drainIntervalMs: 0 } })
    await t.app.server.listen({ host: '127.0.0.1', port: 0 })
    url = `http://127.0.0.1:${(t.app.server.server.address() as AddressInfo).port}`
    for (const name of ['root', 'citizen', 'eseal', 'tls']) {
      const reply = await t.inject({ url: `/trust/ca/${name}.crt` })
      expect(reply.statusCode).toBe(200)
      expect(reply.headers['content-type']).toBe('application/pkix-cert')
      writeFileSync(file(`${name}.pem`), pem(reply.rawPayload))
    }
    writeFileSync(
      file('chain.pem'),
      ['root', 'citizen', 'eseal']
        .map((name) => readFileSync(file(`${name}.pem`), 'utf8'))
        .join(''),
    )
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  const issue = async (holder: string, batch?: string) => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const issued = await t.app.platform().pki.issue({
      kind: 'auth',
      holder,
      batch,
      publicKey: key.publicKey,
      subject: [
        [OID.countryName, 'EE'],
        [OID.commonName, `TEST,PERSON,${holder}`],
        [OID.serialNumber, `PNOEE-${holder}`],
      ],
    })
    writeFileSync(file(`${issued.serial}.pem`), pem(issued.der))
    return issued
  }
  const ocspStatus = (serial: string) =>
    openssl([
      'ocsp',
      '-issuer',
      file('citizen.pem'),
      '-cert',
      file(`${serial}.pem`),
      '-url',
      `${url}/trust/ocsp`,
      '-CAfile',
      file('chain.pem'),
      '-timeout',
      '10',
    ])

  it('issues e-ID certificates that chain to the root, pointing at its OCSP and CRL', async () => {
    const { serial, der } = await issue('38001085718')
    const verified = await openssl([
      'verify',
      '-CAfile',
      file('root.pem'),
      '-untrusted',
      file('citizen.pem'),
      file(`${serial}.pem`),
    ])
    expect(verified).toContain(': OK')
    const certificate = new X509Certificate(der)
    expect(certificate.subject).toContain('serialNumber=PNOEE-38001085718')
    expect(certificate.infoAccess).toContain(`OCSP - URI:${t.config.publicUrl}/trust/ocsp`)
    const root = new X509Certificate(readFileSync(file('root.pem')))
    expect(root.subject).toContain('DEVELOPMENT')
  })

  it('reports suspension, resumption and revocation over OCSP at once, and logs each', async () => {
    const { serial } = await issue('48707032744')
    const pki = t.app.platform().pki
    let output = await ocspStatus(serial)
    expect(output).toContain('Response verify OK')
    expect(output).toContain(`${serial}.pem: good`)
    await pki.setStatus(serial, 'suspended')
    output = await ocspStatus(serial)
    expect(output).toContain(`${serial}.pem: revoked`)
    expect(output).toContain('Reason: certificateHold')
    await pki.setStatus(serial, 'good')
    expect(await ocspStatus(serial)).toContain(`${serial}.pem: good`)
    await pki.setStatus(serial, 'revoked', 1)
    output = await ocspStatus(serial)
    expect(output).toContain('Reason: keyCompromise')
    await expect(pki.setStatus(serial, 'good')).rejects.toThrow(/stays revoked/)
    const logged = await t.app
      .platform()
      .store.admin.selectFrom('ledger_outbox')
      .select('entry')
      .where('kind', '=', 'certificate-status')
      .execute()
    const mine = logged
      .map((row) => JSON.parse(Buffer.from(row.entry).toString()))
      .filter((e) => e.serial === serial)
    expect(mine.map((e) => e.status)).toEqual(['suspended', 'good', 'revoked'])

    const crl = await t.inject({ url: '/trust/crl/citizen.crl' })
    expect(crl.statusCode).toBe(200)
    writeFileSync(file('citizen.crl'), pem(crl.rawPayload, 'X509 CRL'))
    const text = await openssl([
      'crl',
      '-in',
      file('citizen.crl'),
      '-noout',
      '-text',
      '-CAfile',
      file('chain.pem'),
    ])
    expect(text).toContain('verify OK')
    expect(text).toContain(`Serial Number: ${serial.toUpperCase()}`)
  })

  it('answers OCSP GET requests and refuses garbage with OCSP statuses', async () => {
    const { serial } = await issue('39001010000')
    await openssl([
      'ocsp',
      '-issuer',
      file('citizen.pem'),
      '-cert',
      file(`${serial}.pem`),
      '-reqout',
      file('get.der'),
    ])
    const encoded = encodeURIComponent(readFileSync(file('get.der')).toString('base64'))
    const reply = await t.inject({ url: `/trust/ocsp/${encoded}` })
    expect(reply.statusCode).toBe(200)
    expect(AsnConvert.parse(reply.rawPayload, OCSPResponse).responseStatus).toBe(
      OCSPResponseStatus.successful,
    )
    for (const payload of [Buffer.from('garbage'), Buffer.alloc(0)]) {
      const bad = await t.inject({
        method: 'POST',
        url: '/trust/ocsp',
        payload,
        headers: { 'content-type': 'application/ocsp-request' },
      })
      expect(bad.statusCode).toBe(200)
      expect(AsnConvert.parse(bad.rawPayload, OCSPResponse).responseStatus).toBe(
        OCSPResponseStatus.malformedRequest,
      )
    }
    const huge = await t.inject({
      method: 'POST',
      url: '/trust/ocsp',
      payload: Buffer.alloc(20_000),
      headers: { 'content-type': 'application/ocsp-request' },
    })
    expect(huge.statusCode).toBe(413)
    expect((await t.inject({ url: '/trust/ca/../../etc.crt' })).statusCode).toBe(404)
    expect((await t.inject({ url: '/trust/ca/nope.crt' })).json().code).toBe('TRUST_UNKNOWN_CA')
  })

  it('time-stamps over HTTP: openssl ts -verify accepts the token', async () => {
    writeFileSync(file('doc.txt'), `a document ${engine}`)
    await openssl([
      'ts',
      '-query',
      '-data',
      file('doc.txt'),
      '-sha256',
      '-cert',
      '-out',
      file('q.tsq'),
    ])
    const reply = await t.inject({
      method: 'POST',
      url: '/trust/tsa',
      payload: readFileSync(file('q.tsq')),
      headers: { 'content-type': 'application/timestamp-query' },
    })
    expect(reply.statusCode).toBe(200)
    expect(reply.headers['content-type']).toBe('application/timestamp-reply')
    writeFileSync(file('r.tsr'), reply.rawPayload)
    const output = await openssl([
      'ts',
      '-verify',
      '-in',
      file('r.tsr'),
      '-queryfile',
      file('q.tsq'),
      '-CAfile',
      file('chain.pem'),
    ])
    expect(output).toContain('Verification: OK')
  })

  it('suspends a whole batch in one act, with a ledger entry per certificate and a letter per holder', async () => {
    const holders = ['38001085718', '48707032744', '39001010000']
    const issued = []
    for (let n = 0; n < 30; n++) issued.push(await issue(holders[n % 3], 'ROCA-2017'))
    const other = await issue('38001085718', 'OTHER')
    const pki = t.app.platform().pki
    const db = t.app.platform().store.admin
    const lettersBefore = (await db.selectFrom('letters').selectAll().execute()).length
    expect(
      await pki.suspendMany({ batch: 'ROCA-2017' }, 'a flaw in the chip’s key generation'),
    ).toBe(30)
    for (const { serial } of issued.slice(0, 3))
      expect(await ocspStatus(serial)).toContain('Reason: certificateHold')
    expect(await ocspStatus(other.serial)).toContain(`${other.serial}.pem: good`)
    const letters = await db.selectFrom('letters').selectAll().execute()
    expect(letters.length - lettersBefore).toBe(3)
    const entries = await db
      .selectFrom('ledger_outbox')
      .select('entry')
      .where('kind', '=', 'certificate-status')
      .execute()
    const suspended = new Set(
      entries
        .map((row) => JSON.parse(Buffer.from(row.entry).toString()))
        .filter((e) => e.status === 'suspended')
        .map((e) => e.serial),
    )
    for (const { serial } of issued) expect(suspended.has(serial)).toBe(true)
    await expect(pki.suspendMany({}, 'everything')).rejects.toThrow(/batch or a key type/)
  })

  it('issues e-seal and TLS certificates for P-256 or Ed25519 keys only', async () => {
    const pki = t.app.platform().pki
    const seal = await pki.issue({
      kind: 'eseal',
      holder: '70000071',
      publicKey: generateKeyPairSync('ed25519').publicKey,
      subject: [
        [OID.countryName, 'EE'],
        [OID.organizationName, 'Police and Border Guard Board'],
        [OID.organizationIdentifier, 'NTREE-70000071'],
      ],
    })
    writeFileSync(file('seal.pem'), pem(seal.der))
    expect(
      await openssl([
        'verify',
        '-CAfile',
        file('root.pem'),
        '-untrusted',
        file('eseal.pem'),
        file('seal.pem'),
      ]),
    ).toContain(': OK')
    const tls = await pki.issue({
      kind: 'tls',
      holder: '70000071',
      publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      subject: [[OID.commonName, 'gateway.police.example']],
      dnsNames: ['gateway.police.example'],
    })
    expect(new X509Certificate(tls.der).subjectAltName).toBe('DNS:gateway.police.example')
    await expect(
      pki.issue({
        kind: 'eseal',
        holder: '70000071',
        publicKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
        subject: [[OID.commonName, 'x']],
      }),
    ).rejects.toThrow(expect.objectContaining({ code: 'TRUST_UNSUPPORTED_KEY' }))
    await expect(
      pki.issue({
        kind: 'auth',
        holder: '38001085718',
        publicKey: generateKeyPairSync('ed25519').publicKey,
        subject: [[OID.commonName, 'x']],
      }),
    ).rejects.toThrow(expect.objectContaining({ code: 'TRUST_UNSUPPORTED_KEY' }))
  })

  it('refuses to run production with the development PKI', async () => {
    const platform = t.app.platform()
    await expect(
      openPki({
        store: platform.store,
        envelope: platform.envelope,
        clock: { now: () => new Date() },
        publicUrl: 'https://state.example',
        environment: 'production',
        organization: 'x',
      }),
    ).rejects.toThrow(/development PKI/)
  })
})
