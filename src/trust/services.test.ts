/**
 * The OCSP responder and the time-stamping authority as OpenSSL sees them: `openssl ocsp`
 * accepts the answers (good, revoked, suspended, unknown; nonce echoed; delegated responder),
 * `openssl ts -verify` accepts the tokens; malformed requests get the protocols' own refusals.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { OCSPResponse, OCSPResponseStatus } from '@peculiar/asn1-ocsp'
import { PKIStatus, TimeStampResp } from '@peculiar/asn1-tsp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOcspResponder, type CertificateStatus } from './ocsp.ts'
import { keySigner } from './signer.ts'
import { createTimeStampAuthority } from './tsa.ts'
import { issueCertificate, OID, type CertificateProfile } from './x509.ts'

const directory = mkdtempSync(join(tmpdir(), 'e-state-trust-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
const file = (name: string) => join(directory, name)
const pem = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`
const openssl = (args: string[]) =>
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
const opensslAll = (args: string[]) => {
  const result = spawnSync('openssl', args, { encoding: 'utf8' })
  return `${result.stdout}${result.stderr}`
}
/** Asynchronous, so this process can answer the HTTP request openssl makes meanwhile. */
const opensslAsync = (args: string[]) =>
  new Promise<string>((resolve) => {
    execFile('openssl', args, { timeout: 20_000 }, (_error, stdout, stderr) =>
      resolve(`${stdout}${stderr}`),
    )
  })

describe('OCSP and time-stamps', () => {
  const now = new Date()
  const later = new Date(now.getTime() + 86_400_000 * 365)
  const keys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const rootKey = keys()
  const caKey = keys()
  const issue = async (
    name: string,
    key: { publicKey: KeyObject },
    profile: CertificateProfile,
    issuer?: { certificate: Buffer; key: KeyObject },
  ) =>
    issueCertificate({
      subject: [
        [OID.countryName, 'EE'],
        [OID.commonName, name],
      ],
      publicKey: key.publicKey,
      serial: randomBytes(16),
      notBefore: now,
      notAfter: later,
      profile,
      issuer: issuer === undefined ? undefined : { certificate: issuer.certificate },
      signer: keySigner(issuer?.key ?? rootKey.privateKey),
    })
  let root: Buffer
  let ca: Buffer
  const statuses = new Map<string, CertificateStatus>()
  const leaves: Record<string, Buffer> = {}
  let responder: ReturnType<typeof createOcspResponder>
  let tsa: ReturnType<typeof createTimeStampAuthority>

  beforeAll(async () => {
    root = await issue('Test Root', rootKey, { ca: {}, keyUsage: ['keyCertSign', 'cRLSign'] })
    const caIssuer = { certificate: root, key: rootKey.privateKey }
    ca = await issue(
      'Test CA',
      caKey,
      { ca: { pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'] },
      caIssuer,
    )
    const issuer = { certificate: ca, key: caKey.privateKey }
    const responderKey = keys()
    const responderCertificate = await issue(
      'Test OCSP responder',
      responderKey,
      { keyUsage: ['digitalSignature'], extendedKeyUsage: [OID.ocspSigning], ocspNoCheck: true },
      issuer,
    )
    const tsaKey = keys()
    const tsaCertificate = await issue(
      'Test TSA',
      tsaKey,
      { keyUsage: ['digitalSignature'], extendedKeyUsage: [OID.timeStamping] },
      issuer,
    )
    for (const name of ['good', 'revoked', 'suspended', 'unknown']) {
      leaves[name] = await issue(name, keys(), { keyUsage: ['digitalSignature'] }, issuer)
      writeFileSync(file(`${name}.pem`), pem(leaves[name]))
    }
    const serialOf = (der: Buffer) =>
      new X509Certificate(der).serialNumber.toLowerCase().replace(/^(00)+/, '')
    statuses.set(serialOf(leaves.good), { status: 'good' })
    statuses.set(serialOf(leaves.revoked), { status: 'revoked', at: now, reason: 1 })
    statuses.set(serialOf(leaves.suspended), { status: 'revoked', at: now, reason: 6 })
    writeFileSync(file('root.pem'), pem(root))
    writeFileSync(file('ca.pem'), pem(ca))
    writeFileSync(file('chain.pem'), pem(root) + pem(ca))
    responder = createOcspResponder({
      authorities: [
        {
          name: 'test',
          caCertificate: ca,
          responderCertificate,
          responder: keySigner(responderKey.privateKey),
        },
      ],
      status: async (_authority, serial) => statuses.get(serial) ?? { status: 'unknown' },
      now: () => new Date(),
    })
    tsa = createTimeStampAuthority({
      certificate: tsaCertificate,
      signer: keySigner(tsaKey.privateKey),
      policy: '1.3.6.1.4.1.99999.1.1',
      now: () => new Date(),
    })
  })

  it('answers OCSP requests that openssl ocsp accepts over HTTP, with the nonce echoed', async () => {
    // openssl as the client: it sends a nonce and checks the answer echoes it.
    const server = createServer((request, reply) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        void responder.respond(Buffer.concat(chunks)).then((body) => {
          reply.writeHead(200, { 'content-type': 'application/ocsp-response' })
          reply.end(body)
        })
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const expected = {
        good: 'good',
        revoked: 'revoked',
        suspended: 'revoked',
        unknown: 'unknown',
      }
      for (const [name, status] of Object.entries(expected)) {
        const output = await opensslAsync([
          'ocsp',
          '-issuer',
          file('ca.pem'),
          '-cert',
          file(`${name}.pem`),
          '-url',
          `http://127.0.0.1:${port}/`,
          '-CAfile',
          file('chain.pem'),
          '-timeout',
          '10',
        ])
        expect(output, name).toContain('Response verify OK')
        expect(output, name).toContain(`${name}.pem: ${status}`)
        expect(output, name).not.toMatch(/nonce/i)
        if (name === 'suspended') expect(output).toContain('Reason: certificateHold')
      }
    } finally {
      server.close()
    }
  })

  it('refuses malformed and foreign OCSP requests with OCSP statuses', async () => {
    const status = async (bytes: Uint8Array) =>
      AsnConvert.parse(await responder.respond(bytes), OCSPResponse).responseStatus
    expect(await status(Buffer.from('garbage'))).toBe(OCSPResponseStatus.malformedRequest)
    expect(await status(Buffer.alloc(0))).toBe(OCSPResponseStatus.malformedRequest)
    // A certificate of another CA (the root issued the CA): not ours to answer.
    openssl([
      'ocsp',
      '-issuer',
      file('root.pem'),
      '-cert',
      file('ca.pem'),
      '-reqout',
      file('foreign.der'),
    ])
    expect(await status(readFileSync(file('foreign.der')))).toBe(OCSPResponseStatus.unauthorized)
  })

  it('issues time-stamp tokens that openssl ts -verify accepts, with the nonce', async () => {
    writeFileSync(file('document.txt'), 'the articles of association')
    for (const digest of ['-sha256', '-sha384', '-sha512']) {
      openssl([
        'ts',
        '-query',
        '-data',
        file('document.txt'),
        digest,
        '-cert',
        '-out',
        file('req.tsq'),
      ])
      writeFileSync(file('resp.tsr'), await tsa.stamp(readFileSync(file('req.tsq'))))
      const output = opensslAll([
        'ts',
        '-verify',
        '-in',
        file('resp.tsr'),
        '-queryfile',
        file('req.tsq'),
        '-CAfile',
        file('chain.pem'),
      ])
      expect(output, digest).toContain('Verification: OK')
    }
    // Another document does not match the token.
    writeFileSync(file('other.txt'), 'something else')
    expect(
      opensslAll([
        'ts',
        '-verify',
        '-in',
        file('resp.tsr'),
        '-data',
        file('other.txt'),
        '-CAfile',
        file('chain.pem'),
      ]),
    ).toContain('Verification: FAILED')
  })

  it('rejects malformed time-stamp requests with the RFC 3161 failure info', async () => {
    const status = async (bytes: Uint8Array) =>
      AsnConvert.parse(await tsa.stamp(bytes), TimeStampResp).status.status
    expect(await status(Buffer.from('garbage'))).toBe(PKIStatus.rejection)
    openssl(['ts', '-query', '-data', file('document.txt'), '-sha1', '-out', file('sha1.tsq')])
    expect(await status(readFileSync(file('sha1.tsq')))).toBe(PKIStatus.rejection)
    openssl([
      'ts',
      '-query',
      '-data',
      file('document.txt'),
      '-sha256',
      '-tspolicy',
      '1.2.3.4',
      '-out',
      file('policy.tsq'),
    ])
    expect(await status(readFileSync(file('policy.tsq')))).toBe(PKIStatus.rejection)
  })
})
