/**
 * The OCSP client on real answers from SK ID Solutions' test responders (shared/vectors/web-eid:
 * good, revoked, unknown — for another certificate than the token's) and on e-state's own
 * responder: parsing, signature, status, nonce, the responder's authority, freshness.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createOcspResponder, type CertificateStatus } from './ocsp.ts'
import { inspectOcspResponse, newNonce, ocspRequest, readOcspResponse } from './ocsp-client.ts'
import { keySigner } from './signer.ts'
import { issueCertificate, OID } from './x509.ts'

const VECTORS = join(import.meta.dirname, '../../../shared/vectors/web-eid')
const vector = (name: string) => readFileSync(join(VECTORS, name))

describe('OCSP answers from elsewhere', () => {
  it('reads the good, revoked and unknown answers of the Estonian test responders', () => {
    const good = inspectOcspResponse(vector('ocsp_response.der'), [])
    expect(good.responses).toEqual([
      expect.objectContaining({ serial: '396901597343266d5bc857775ec5a4be', status: 'good' }),
    ])
    const revoked = inspectOcspResponse(vector('ocsp_response_revoked.der'), [])
    expect(revoked.responses[0]).toMatchObject({ status: 'revoked', reason: 0 })
    expect(revoked.responses[0].revokedAt?.toISOString()).toBe('2021-09-18T00:10:14.000Z')
    // Signed by SK's 2020 test responder, whose certificate the answer carries.
    const unknown = inspectOcspResponse(vector('ocsp_response_unknown.der'), [])
    expect(unknown.responder).toEqual(vector('TEST_of_SK_OCSP_RESPONDER_2020.cer'))
    expect(unknown.responses[0].status).toBe('unknown')
  })

  it('refuses an answer with any byte of its signed part changed, and garbage', () => {
    const bytes = Buffer.from(vector('ocsp_response.der'))
    // The producedAt time sits in the signed data; change one digit of it.
    const at = bytes.indexOf(Buffer.from('20210917'))
    bytes[at + 7] ^= 1
    expect(() => inspectOcspResponse(bytes, [])).toThrow(/does not verify|malformed/)
    expect(() => inspectOcspResponse(Buffer.from('garbage'), [])).toThrow(/malformed/)
  })
})

describe("OCSP answers from e-state's responder", async () => {
  const now = new Date()
  const later = new Date(now.getTime() + 86_400_000)
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const caKey = pair()
  const ca = await issueCertificate({
    subject: [[OID.commonName, 'CA']],
    publicKey: caKey.publicKey,
    serial: randomBytes(8),
    notBefore: now,
    notAfter: later,
    profile: { ca: {}, keyUsage: ['keyCertSign', 'cRLSign'] },
    signer: keySigner(caKey.privateKey),
  })
  const leafOf = async (profile = { keyUsage: ['digitalSignature'] as const }) => {
    const key = pair()
    return {
      key,
      der: await issueCertificate({
        subject: [[OID.commonName, 'leaf']],
        publicKey: key.publicKey,
        serial: randomBytes(8),
        notBefore: now,
        notAfter: later,
        profile: { keyUsage: [...profile.keyUsage] },
        issuer: { certificate: ca },
        signer: keySigner(caKey.privateKey),
      }),
    }
  }
  const leaf = await leafOf()
  const impostor = await leafOf()
  const statuses: CertificateStatus[] = [{ status: 'good' }]
  const responderWith = (certificate: Buffer, key: ReturnType<typeof pair>) =>
    createOcspResponder({
      authorities: [
        {
          name: 'ca',
          caCertificate: ca,
          responderCertificate: certificate,
          responder: keySigner(key.privateKey),
        },
      ],
      status: async () => statuses[0],
      now: () => now,
    })

  it('accepts an answer signed by the CA itself, with our nonce, and reads the status', async () => {
    const responder = responderWith(ca, caKey)
    const nonce = newNonce()
    const answer = await responder.respond(ocspRequest(leaf.der, ca, nonce))
    expect(readOcspResponse(answer, { certificate: leaf.der, issuer: ca, nonce, now }).status).toBe(
      'good',
    )
    expect(() =>
      readOcspResponse(answer, { certificate: leaf.der, issuer: ca, nonce: newNonce(), now }),
    ).toThrow(/nonce/)
    expect(() =>
      readOcspResponse(answer, {
        certificate: leaf.der,
        issuer: ca,
        now: new Date(now.getTime() + 3_600_000),
      }),
    ).toThrow(/too old/)
    expect(() => readOcspResponse(answer, { certificate: impostor.der, issuer: ca, now })).toThrow(
      /another certificate/,
    )
    statuses[0] = { status: 'revoked', at: now, reason: 6 }
    const revoked = readOcspResponse(await responder.respond(ocspRequest(leaf.der, ca)), {
      certificate: leaf.der,
      issuer: ca,
      now,
    })
    expect(revoked).toMatchObject({ status: 'revoked', reason: 6 })
    statuses[0] = { status: 'good' }
  })

  it('refuses an answer signed by a certificate the CA did not delegate OCSP to', async () => {
    // A certificate of the same CA, but without the OCSPSigning usage.
    const responder = responderWith(impostor.der, impostor.key)
    const answer = await responder.respond(ocspRequest(leaf.der, ca))
    expect(() => readOcspResponse(answer, { certificate: leaf.der, issuer: ca, now })).toThrow(
      /not authorised/,
    )
  })
})
