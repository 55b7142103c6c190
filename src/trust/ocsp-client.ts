/**
 * The OCSP client side (RFC 6960): a request for one certificate, and the checks an answer must
 * pass before its status counts — well formed and successful, about that very certificate,
 * signed by an authorised responder (the CA itself, a responder the CA delegated to with the
 * OCSPSigning usage, or one pinned in the trust configuration), fresh, and with our nonce.
 */
import { createHash, randomBytes, verify, X509Certificate } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import {
  BasicOCSPResponse,
  CertID,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp'
import { AlgorithmIdentifier, Extension } from '@peculiar/asn1-x509'
import { certificatePartsOf, childrenOf, readTlv } from './der.ts'
import { TrustError } from './errors.ts'
import { OID, toArrayBuffer } from './x509.ts'

const SHA1 = '1.3.14.3.2.26'
const SIGNATURE_DIGESTS: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': '',
}

export interface OcspAnswer {
  readonly status: 'good' | 'revoked' | 'unknown'
  readonly revokedAt?: Date
  readonly reason?: number
  readonly producedAt: Date
  readonly thisUpdate: Date
  /** The responder's certificate (DER), for an auditor or an embedded-OCSP signature. */
  readonly responder: Buffer
}

/** A DER OCSP request for `certificate` (CertID with SHA-1, as responders expect), with a nonce. */
export function ocspRequest(certificate: Buffer, issuer: Buffer, nonce?: Buffer): Buffer {
  const tbs = new TBSRequest({
    requestList: [new Request({ reqCert: certIdOf(certificate, issuer) })],
    requestExtensions:
      nonce === undefined
        ? undefined
        : [
            new Extension({
              extnID: id_pkix_ocsp_nonce,
              critical: false,
              extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))),
            }),
          ],
  })
  return Buffer.from(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })))
}

export function newNonce(): Buffer {
  return randomBytes(16)
}

export interface InspectedOcsp {
  /** The responder certificate whose key signed the answer. */
  readonly responder: Buffer
  readonly producedAt: Date
  readonly nonce?: Buffer
  readonly responses: readonly {
    readonly certId: CertID
    readonly serial: string
    readonly status: OcspAnswer['status']
    readonly revokedAt?: Date
    readonly reason?: number
    readonly thisUpdate: Date
    readonly nextUpdate?: Date
  }[]
}

/**
 * Parses an OCSP answer and checks its signature against the responder it names, found among
 * `responders` and the certificates it carries. Says nothing yet about whether that responder
 * may speak for the CA: `readOcspResponse` decides that.
 */
export function inspectOcspResponse(der: Uint8Array, responders: readonly Buffer[]): InspectedOcsp {
  const fail = (why: string): never => {
    throw new TrustError('TRUST_OCSP_INVALID', `OCSP answer rejected: ${why}`)
  }
  let basic: BasicOCSPResponse
  let included: Buffer[]
  try {
    const response = AsnConvert.parse(der, OCSPResponse)
    if (response.responseStatus !== OCSPResponseStatus.successful)
      fail(`the responder answered ${OCSPResponseStatus[response.responseStatus]}`)
    if (response.responseBytes?.responseType !== id_pkix_ocsp_basic) fail('not a basic response')
    basic = AsnConvert.parse(
      response.responseBytes?.response.buffer as ArrayBuffer,
      BasicOCSPResponse,
    )
    included = includedCertificates(der)
  } catch (error) {
    if (error instanceof TrustError) throw error
    return fail('malformed')
  }
  const data = basic.tbsResponseData
  const byName =
    data.responderID.byName === undefined
      ? undefined
      : Buffer.from(AsnConvert.serialize(data.responderID.byName))
  const matches = (candidate: Buffer) => {
    const cert = certificatePartsOf(candidate)
    if (data.responderID.byKey !== undefined) {
      return createHash('sha1')
        .update(cert.publicKey)
        .digest()
        .equals(Buffer.from(data.responderID.byKey.buffer))
    }
    return byName !== undefined && cert.subject.equals(byName)
  }
  const responder =
    [...responders, ...included].find(matches) ?? fail('no known responder signed it')
  const digest = SIGNATURE_DIGESTS[basic.signatureAlgorithm.algorithm]
  if (digest === undefined) fail('unsupported signature algorithm')
  const signed =
    basic.tbsResponseDataRaw === undefined
      ? Buffer.from(AsnConvert.serialize(data))
      : Buffer.from(basic.tbsResponseDataRaw)
  const key = new X509Certificate(responder).publicKey
  if (!verify(digest === '' ? null : (digest as string), signed, key, Buffer.from(basic.signature)))
    fail('the signature does not verify')
  const nonce = data.responseExtensions?.find(
    (extension) => extension.extnID === id_pkix_ocsp_nonce,
  )
  return {
    responder,
    producedAt: data.producedAt,
    ...(nonce === undefined ? {} : { nonce: Buffer.from(nonce.extnValue.buffer) }),
    responses: data.responses.map((single) => ({
      certId: single.certID,
      serial: Buffer.from(single.certID.serialNumber)
        .toString('hex')
        .replace(/^(00)+(?=.)/, ''),
      status:
        single.certStatus.good !== undefined
          ? 'good'
          : single.certStatus.revoked !== undefined
            ? 'revoked'
            : 'unknown',
      ...(single.certStatus.revoked === undefined
        ? {}
        : {
            revokedAt: single.certStatus.revoked.revocationTime,
            reason: single.certStatus.revoked.revocationReason?.reason ?? 0,
          }),
      thisUpdate: single.thisUpdate,
      ...(single.nextUpdate === undefined ? {} : { nextUpdate: single.nextUpdate }),
    })),
  }
}

/** Reads and checks an OCSP answer about `certificate`; throws TRUST_OCSP_INVALID otherwise. */
export function readOcspResponse(der: Uint8Array, options: OcspCheck): OcspAnswer {
  const inspected = inspectOcspResponse(der, [...(options.pinnedResponders ?? []), options.issuer])
  return checkOcspAnswer(inspected, options)
}

export interface OcspCheck {
  readonly certificate: Buffer
  readonly issuer: Buffer
  /** Responders trusted for this CA without a delegation (pinned in the trust configuration). */
  readonly pinnedResponders?: readonly Buffer[]
  readonly nonce?: Buffer
  readonly now: Date
  /** How old `thisUpdate` may be (default 15 minutes), and how far the clocks may differ. */
  readonly maxAgeSeconds?: number
  readonly skewSeconds?: number
}

/**
 * The checks of `readOcspResponse` on an answer already inspected (its signature verified):
 * an authorised responder, about this certificate, fresh at `now`, with our nonce.
 */
export function checkOcspAnswer(inspected: InspectedOcsp, options: OcspCheck): OcspAnswer {
  const fail = (why: string): never => {
    throw new TrustError('TRUST_OCSP_INVALID', `OCSP answer rejected: ${why}`)
  }
  const issuer = new X509Certificate(options.issuer)
  const responder = new X509Certificate(inspected.responder)
  const pinned = (options.pinnedResponders ?? []).some((pin) => pin.equals(inspected.responder))
  const delegated =
    responder.checkIssued(issuer) &&
    responder.verify(issuer.publicKey) &&
    (responder.keyUsage ?? []).includes(OID.ocspSigning)
  if (!pinned && !inspected.responder.equals(options.issuer) && !delegated)
    fail('the responder is not authorised by the CA')
  const at = options.now.getTime()
  if (new Date(responder.validFrom).getTime() > at || new Date(responder.validTo).getTime() < at)
    fail("the responder's certificate is not valid at this time")
  const wanted = certIdOf(options.certificate, options.issuer)
  const found =
    inspected.responses.find((response) => sameCertId(response.certId, wanted)) ??
    fail('it is about another certificate')
  const now = options.now.getTime()
  const skew = (options.skewSeconds ?? 300) * 1000
  if (found.thisUpdate.getTime() > now + skew) fail('it is from the future')
  if (found.thisUpdate.getTime() < now - (options.maxAgeSeconds ?? 900) * 1000 - skew)
    fail('it is too old')
  if (found.nextUpdate !== undefined && found.nextUpdate.getTime() < now - skew)
    fail('it has expired')
  if (options.nonce !== undefined) {
    const expected = Buffer.from(AsnConvert.serialize(new OctetString(options.nonce)))
    if (inspected.nonce === undefined || !inspected.nonce.equals(expected))
      fail('the nonce does not match')
  }
  return {
    status: found.status,
    ...(found.revokedAt === undefined ? {} : { revokedAt: found.revokedAt, reason: found.reason }),
    producedAt: inspected.producedAt,
    thisUpdate: found.thisUpdate,
    responder: inspected.responder,
  }
}

function certIdOf(certificate: Buffer, issuer: Buffer): CertID {
  const cert = certificatePartsOf(certificate)
  const ca = certificatePartsOf(issuer)
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1, parameters: null }),
    issuerNameHash: new OctetString(createHash('sha1').update(ca.subject).digest()),
    issuerKeyHash: new OctetString(createHash('sha1').update(ca.publicKey).digest()),
    serialNumber: toArrayBuffer(cert.serial),
  })
}

/**
 * The certificates a BasicOCSPResponse carries, as their own bytes (walked, not re-encoded):
 * OCSPResponse { status, [0] { type, OCTET STRING BasicOCSPResponse { tbs, alg, sig, [0] certs } } }.
 */
function includedCertificates(der: Uint8Array): Buffer[] {
  const bytes = Buffer.from(der.buffer, der.byteOffset, der.byteLength)
  const responseBytes = childrenOf(bytes, readTlv(bytes, 0))[1]
  const octets = childrenOf(bytes, childrenOf(bytes, responseBytes)[0])[1]
  const basic = childrenOf(bytes, readTlv(bytes, octets.contentStart, octets.end))
  const certs = basic.find((part) => part.tag === 0xa0)
  if (certs === undefined) return []
  return childrenOf(bytes, childrenOf(bytes, certs)[0]).map((cert) =>
    Buffer.from(bytes.subarray(cert.start, cert.end)),
  )
}

function sameCertId(a: CertID, b: CertID): boolean {
  const strip = (serial: ArrayBuffer) =>
    Buffer.from(serial)
      .toString('hex')
      .replace(/^(00)+(?=.)/, '')
  return (
    a.hashAlgorithm.algorithm === b.hashAlgorithm.algorithm &&
    Buffer.from(a.issuerNameHash.buffer).equals(Buffer.from(b.issuerNameHash.buffer)) &&
    Buffer.from(a.issuerKeyHash.buffer).equals(Buffer.from(b.issuerKeyHash.buffer)) &&
    strip(a.serialNumber) === strip(b.serialNumber)
  )
}
