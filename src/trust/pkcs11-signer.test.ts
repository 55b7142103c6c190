/**
 * The PKCS#11 signer against SoftHSM2 (the same code path as an HSM or an ID card through
 * OpenSC): a token initialised for the test, a P-384 CA key generated inside it, a root and an
 * e-ID certificate signed by it that OpenSSL verifies; a wrong PIN and a missing key refused.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPkcs11Signer } from './pkcs11-signer.ts'
import { issueCertificate, OID } from './x509.ts'
import { SOFTHSM, softHsmToken } from '../../test/support/softhsm.ts'

const LIBRARY = SOFTHSM
const directory = mkdtempSync(join(tmpdir(), 'e-state-softhsm-'))

describe('a CA key in an HSM (SoftHSM2 over PKCS#11)', () => {
  beforeAll(() => {
    softHsmToken(directory, 'e-state-ca', [{ label: 'root-key', curve: 'secp384r1' }])
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('signs certificates with a key that never leaves the token, and OpenSSL verifies them', async () => {
    const signer = await openPkcs11Signer({
      library: LIBRARY,
      tokenLabel: 'e-state-ca',
      pin: '1234',
      keyLabel: 'root-key',
    })
    try {
      expect(signer.algorithm).toBe('ec-p384')
      const now = new Date()
      const later = new Date(now.getTime() + 86_400_000)
      const root = await issueCertificate({
        subject: [
          [OID.countryName, 'EE'],
          [OID.commonName, 'e-state HSM Root CA'],
        ],
        publicKey: signer.publicKey,
        serial: randomBytes(16),
        notBefore: now,
        notAfter: later,
        profile: { ca: {}, keyUsage: ['keyCertSign', 'cRLSign'] },
        signer,
      })
      const holder = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      const leaf = await issueCertificate({
        subject: [
          [OID.countryName, 'EE'],
          [OID.serialNumber, 'PNOEE-38001085718'],
        ],
        publicKey: holder.publicKey,
        serial: randomBytes(16),
        notBefore: now,
        notAfter: later,
        profile: { keyUsage: ['digitalSignature'], extendedKeyUsage: [OID.clientAuth] },
        issuer: { certificate: root },
        signer,
      })
      expect(new X509Certificate(root).verify(signer.publicKey)).toBe(true)
      const pem = (der: Buffer) =>
        `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`
      writeFileSync(join(directory, 'root.pem'), pem(root))
      writeFileSync(join(directory, 'leaf.pem'), pem(leaf))
      const verified = execFileSync('openssl', [
        'verify',
        '-CAfile',
        join(directory, 'root.pem'),
        join(directory, 'leaf.pem'),
      ]).toString()
      expect(verified).toContain('leaf.pem: OK')
    } finally {
      signer.close()
    }
  })

  it('refuses a wrong PIN, an unknown key and an unknown token with specific codes', async () => {
    const attempt = async (options: Partial<Parameters<typeof openPkcs11Signer>[0]>) => {
      try {
        const signer = await openPkcs11Signer({
          library: LIBRARY,
          tokenLabel: 'e-state-ca',
          pin: '1234',
          keyLabel: 'root-key',
          ...options,
        })
        signer.close()
        return 'OPENED'
      } catch (error) {
        return (error as { code?: string }).code
      }
    }
    expect(await attempt({ pin: '0000' })).toBe('TRUST_TOKEN_LOGIN_FAILED')
    expect(await attempt({ keyLabel: 'nope' })).toBe('TRUST_TOKEN_KEY_NOT_FOUND')
    expect(await attempt({ tokenLabel: 'nope' })).toBe('TRUST_TOKEN_UNAVAILABLE')
    expect(await attempt({ library: '/nonexistent.so' })).toBe('TRUST_TOKEN_UNAVAILABLE')
    expect(await attempt({})).toBe('OPENED')
  })
})
