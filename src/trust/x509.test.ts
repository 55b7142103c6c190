/**
 * Certificates and CRLs as other software reads them: Node's X509Certificate and OpenSSL
 * (`openssl verify`, `openssl crl`) accept the chain, key usages and extensions.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { keySigner } from './signer.ts'
import { issueCertificate, issueCrl, OID } from './x509.ts'

const directory = mkdtempSync(join(tmpdir(), 'e-state-x509-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const pem = (der: Buffer, label = 'CERTIFICATE') =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`

describe('X.509', () => {
  it('builds a root, an issuing CA and an e-ID certificate that OpenSSL verifies', async () => {
    const now = new Date()
    const later = new Date(now.getTime() + 365 * 86_400_000)
    const rootKey = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const root = await issueCertificate({
      subject: [
        [OID.countryName, 'EE'],
        [OID.organizationName, 'e-state'],
        [OID.commonName, 'e-state Root CA'],
      ],
      publicKey: rootKey.publicKey,
      serial: randomBytes(16),
      notBefore: now,
      notAfter: later,
      profile: { ca: {}, keyUsage: ['keyCertSign', 'cRLSign'] },
      signer: keySigner(rootKey.privateKey),
    })
    const caKey = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const ca = await issueCertificate({
      subject: [
        [OID.countryName, 'EE'],
        [OID.organizationName, 'e-state'],
        [OID.commonName, 'ESTEID-STATE 2026'],
      ],
      publicKey: caKey.publicKey,
      serial: randomBytes(16),
      notBefore: now,
      notAfter: later,
      profile: { ca: { pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'] },
      issuer: { certificate: root },
      signer: keySigner(rootKey.privateKey),
    })
    const holderKey = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const serial = Buffer.from('ff00112233445566778899aabbccddee', 'hex')
    const leaf = await issueCertificate({
      subject: [
        [OID.countryName, 'EE'],
        [OID.commonName, 'JÕEORG,JAAK-KRISTJAN,38001085718'],
        [OID.surname, 'JÕEORG'],
        [OID.givenName, 'JAAK-KRISTJAN'],
        [OID.serialNumber, 'PNOEE-38001085718'],
      ],
      publicKey: holderKey.publicKey,
      serial,
      notBefore: now,
      notAfter: later,
      profile: {
        keyUsage: ['digitalSignature', 'keyAgreement'],
        extendedKeyUsage: [OID.clientAuth],
        policies: ['1.3.6.1.4.1.51361.1.1.1'],
        ocspUrl: 'http://127.0.0.1:8080/trust/ocsp',
        caIssuersUrl: 'http://127.0.0.1:8080/trust/ca/esteid.crt',
        crlUrl: 'http://127.0.0.1:8080/trust/crl/esteid.crl',
      },
      issuer: { certificate: ca },
      signer: keySigner(caKey.privateKey),
    })
    const parsed = new X509Certificate(leaf)
    expect(parsed.verify(new X509Certificate(ca).publicKey)).toBe(true)
    expect(parsed.checkIssued(new X509Certificate(ca))).toBe(true)
    expect(parsed.subject).toContain('serialNumber=PNOEE-38001085718')
    expect(parsed.serialNumber).toBe('FF00112233445566778899AABBCCDDEE')
    expect(parsed.infoAccess).toContain('OCSP - URI:http://127.0.0.1:8080/trust/ocsp')
    expect(parsed.keyUsage).toEqual([OID.clientAuth])

    writeFileSync(join(directory, 'root.pem'), pem(root))
    writeFileSync(join(directory, 'ca.pem'), pem(ca))
    writeFileSync(join(directory, 'leaf.pem'), pem(leaf))
    const verified = execFileSync('openssl', [
      'verify',
      '-CAfile',
      join(directory, 'root.pem'),
      '-untrusted',
      join(directory, 'ca.pem'),
      '-purpose',
      'sslclient',
      join(directory, 'leaf.pem'),
    ]).toString()
    expect(verified).toContain('leaf.pem: OK')
    const text = execFileSync('openssl', [
      'x509',
      '-noout',
      '-text',
      '-in',
      join(directory, 'leaf.pem'),
    ]).toString()
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Agreement/)
    expect(text).toMatch(/CA:FALSE/)

    const crl = await issueCrl({
      issuer: ca,
      signer: keySigner(caKey.privateKey),
      number: 7,
      thisUpdate: now,
      nextUpdate: later,
      revoked: [{ serial, revokedAt: now, reason: 6 }],
    })
    writeFileSync(join(directory, 'ca.crl'), pem(crl, 'X509 CRL'))
    const crlText = execFileSync(
      'openssl',
      [
        'crl',
        '-noout',
        '-text',
        '-in',
        join(directory, 'ca.crl'),
        '-CAfile',
        join(directory, 'ca.pem'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ).toString()
    expect(crlText).toContain('Serial Number: FF00112233445566778899AABBCCDDEE')
    expect(crlText).toContain('Certificate Hold')
    expect(crlText).toMatch(/X509v3 CRL Number:\s+7/)
  })
})
