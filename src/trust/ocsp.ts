/**
 * An OCSP responder (RFC 6960): for each certificate asked about, good, revoked (a suspension is
 * "revoked" with reason certificateHold, as RFC 5280 has it) or unknown, signed by the CA's
 * delegated responder (a certificate with the OCSPSigning usage and ocsp-nocheck), with the
 * request's nonce echoed. A request it cannot parse gets `malformedRequest`; one for a CA it
 * does not serve gets `unauthorized` — OCSP's own answers, which every client understands.
 */
import { createHash } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import type { CertID } from '@peculiar/asn1-ocsp'
import {
  BasicOCSPResponse,
  CertStatus,
  KeyHash,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp'
import { Certificate, CRLReason, Extension } from '@peculiar/asn1-x509'
import type { Signer } from './signer.ts'
import { signatureAlgorithm, toArrayBuffer } from './x509.ts'

export type CertificateStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly at: Date; readonly reason: number }
  | { readonly status: 'unknown' }

export interface OcspAuthority {
  /** A name the status lookup understands (the issuing CA). */
  readonly name: string
  readonly caCertificate: Buffer
  readonly responderCertificate: Buffer
  readonly responder: Signer
}

export interface OcspResponder {
  respond(request: Uint8Array): Promise<Buffer>
}

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
}

export function createOcspResponder(options: {
  readonly authorities: readonly OcspAuthority[]
  readonly status: (authority: string, serialHex: string) => Promise<CertificateStatus>
  readonly now: () => Date
}): OcspResponder {
  // The issuer name and key hashes of each CA, by hash algorithm, to recognise CertIDs.
  const known = options.authorities.map((authority) => {
    const tbs = AsnConvert.parse(authority.caCertificate, Certificate).tbsCertificate
    const name = Buffer.from(AsnConvert.serialize(tbs.subject))
    const key = Buffer.from(tbs.subjectPublicKeyInfo.subjectPublicKey)
    const hashes = new Map<string, { name: string; key: string }>()
    for (const [oid, algorithm] of Object.entries(HASHES)) {
      hashes.set(oid, {
        name: createHash(algorithm).update(name).digest('hex'),
        key: createHash(algorithm).update(key).digest('hex'),
      })
    }
    const responderTbs = AsnConvert.parse(authority.responderCertificate, Certificate)
    const responderKeyHash = createHash('sha1')
      .update(Buffer.from(responderTbs.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey))
      .digest()
    return { authority, hashes, responderCertificate: responderTbs, responderKeyHash }
  })
  const failure = (status: OCSPResponseStatus) =>
    Buffer.from(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })))

  return {
    async respond(requestDer) {
      let request: OCSPRequest
      try {
        request = AsnConvert.parse(requestDer, OCSPRequest)
      } catch {
        return failure(OCSPResponseStatus.malformedRequest)
      }
      const requests = request.tbsRequest.requestList
      if (requests.length === 0 || requests.length > 20)
        return failure(OCSPResponseStatus.malformedRequest)
      const issuerOf = (id: CertID) => {
        const hashes = (entry: (typeof known)[number]) =>
          entry.hashes.get(id.hashAlgorithm.algorithm)
        return known.find(
          (entry) =>
            hashes(entry)?.name === Buffer.from(id.issuerNameHash.buffer).toString('hex') &&
            hashes(entry)?.key === Buffer.from(id.issuerKeyHash.buffer).toString('hex'),
        )
      }
      // One response has one signer: the responder of the first request's CA answers; a
      // certificate of another CA in the same request is reported unknown.
      const signerEntry = issuerOf(requests[0].reqCert)
      if (signerEntry === undefined) return failure(OCSPResponseStatus.unauthorized)
      const now = options.now()
      const responses: SingleResponse[] = []
      for (const single of requests) {
        const entry = issuerOf(single.reqCert)
        const serial = Buffer.from(single.reqCert.serialNumber)
          .toString('hex')
          .replace(/^(00)+(?=.)/, '')
        const status: CertificateStatus =
          entry === signerEntry
            ? await options.status(entry.authority.name, serial)
            : { status: 'unknown' }
        responses.push(
          new SingleResponse({
            certID: single.reqCert,
            certStatus:
              status.status === 'good'
                ? new CertStatus({ good: null })
                : status.status === 'revoked'
                  ? new CertStatus({
                      revoked: new RevokedInfo({
                        revocationTime: status.at,
                        revocationReason: new CRLReason(status.reason),
                      }),
                    })
                  : new CertStatus({ unknown: null }),
            thisUpdate: now,
          }),
        )
      }
      const nonce = request.tbsRequest.requestExtensions?.find(
        (extension) => extension.extnID === id_pkix_ocsp_nonce,
      )
      if (nonce !== undefined && nonce.extnValue.byteLength > 128)
        return failure(OCSPResponseStatus.malformedRequest)
      const data = new ResponseData({
        responderID: new ResponderID({ byKey: new KeyHash(signerEntry.responderKeyHash) }),
        producedAt: now,
        responses,
        responseExtensions:
          nonce === undefined
            ? undefined
            : [
                new Extension({
                  extnID: id_pkix_ocsp_nonce,
                  critical: false,
                  extnValue: nonce.extnValue,
                }),
              ],
      })
      const signer = signerEntry.authority.responder
      const dataDer = Buffer.from(AsnConvert.serialize(data))
      const basic = new BasicOCSPResponse({
        tbsResponseData: data,
        signatureAlgorithm: signatureAlgorithm(signer.algorithm),
        signature: toArrayBuffer(await signer.sign(dataDer)),
        certs: [signerEntry.responderCertificate],
      })
      return Buffer.from(
        AsnConvert.serialize(
          new OCSPResponse({
            responseStatus: OCSPResponseStatus.successful,
            responseBytes: new ResponseBytes({
              responseType: id_pkix_ocsp_basic,
              response: new OctetString(AsnConvert.serialize(basic)),
            }),
          }),
        ),
      )
    },
  }
}
