/**
 * A time-stamping authority (RFC 3161): for a hash it is given, a token — CMS SignedData over a
 * TSTInfo (the hash, the time, a serial, the request's nonce) — signed with the TSA key, with the
 * ESS signing-certificate-v2 attribute binding the TSA certificate (RFC 5816), which OpenSSL and
 * EU validators require. Bad requests get a `rejection` with the RFC's failure info.
 */
import { createHash, randomBytes } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms'
import {
  Accuracy,
  PKIFailureInfo,
  PKIFailureInfoFlags,
  PKIFreeText,
  PKIStatus,
  PKIStatusInfo,
  TimeStampReq,
  TimeStampResp,
  TSTInfo,
} from '@peculiar/asn1-tsp'
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509'
import { derSetOf, derTagged, oidBody } from './der.ts'
import { digestOf, type Signer } from './signer.ts'
import { signatureAlgorithm, toArrayBuffer } from './x509.ts'

const ID_CT_TSTINFO = '1.2.840.113549.1.9.16.1.4'
const ID_SIGNED_DATA = '1.2.840.113549.1.7.2'
const ID_CONTENT_TYPE = '1.2.840.113549.1.9.3'
const ID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
const ID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47'
const DIGESTS: Record<string, { name: string; length: number }> = {
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', length: 64 },
}
const DIGEST_OID = { sha256: '2.16.840.1.101.3.4.2.1', sha384: '2.16.840.1.101.3.4.2.2' }

export interface TimeStampAuthority {
  /** A DER TimeStampResp for a DER TimeStampReq. */
  stamp(request: Uint8Array): Promise<Buffer>
}

export function createTimeStampAuthority(options: {
  readonly certificate: Buffer
  readonly signer: Signer
  readonly policy: string
  readonly now: () => Date
}): TimeStampAuthority {
  const certificate = AsnConvert.parse(options.certificate, Certificate)
  const certificateHash = createHash('sha256').update(options.certificate).digest()
  // ESSCertIDv2 with the default hash (SHA-256) omitted: SEQUENCE { SEQUENCE OF { SEQUENCE { hash } } }.
  const signingCertificateV2 = derTagged(
    0x30,
    derTagged(0x30, derTagged(0x30, derTagged(0x04, certificateHash))),
  )
  const digest = digestOf(options.signer.algorithm) ?? 'sha256'
  const rejection = (failure: PKIFailureInfoFlags, text: string) =>
    Buffer.from(
      AsnConvert.serialize(
        new TimeStampResp({
          status: new PKIStatusInfo({
            status: PKIStatus.rejection,
            statusString: new PKIFreeText([text]),
            failInfo: new PKIFailureInfo(failure),
          }),
        }),
      ),
    )

  return {
    async stamp(requestDer) {
      let request: TimeStampReq
      try {
        request = AsnConvert.parse(requestDer, TimeStampReq)
      } catch {
        return rejection(PKIFailureInfoFlags.badDataFormat, 'not a TimeStampReq')
      }
      const imprint = request.messageImprint
      const algorithm = DIGESTS[imprint.hashAlgorithm.algorithm]
      if (algorithm === undefined || imprint.hashedMessage.byteLength !== algorithm.length)
        return rejection(PKIFailureInfoFlags.badAlg, 'the hash must be SHA-256, SHA-384 or SHA-512')
      if (request.reqPolicy !== undefined && request.reqPolicy !== options.policy)
        return rejection(
          PKIFailureInfoFlags.unacceptedPolicy,
          `this TSA issues under ${options.policy}`,
        )
      if (request.nonce !== undefined && request.nonce.byteLength > 32)
        return rejection(PKIFailureInfoFlags.badRequest, 'the nonce is too long')

      const info = new TSTInfo({
        policy: options.policy,
        messageImprint: imprint,
        serialNumber: toArrayBuffer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
        genTime: options.now(),
        accuracy: new Accuracy({ seconds: 1 }),
        nonce: request.nonce,
      })
      const infoDer = Buffer.from(AsnConvert.serialize(info))
      const attributes = [
        new Attribute({
          attrType: ID_CONTENT_TYPE,
          attrValues: [toArrayBuffer(derTagged(0x06, oidBody(ID_CT_TSTINFO)))],
        }),
        new Attribute({
          attrType: ID_MESSAGE_DIGEST,
          attrValues: [toArrayBuffer(derTagged(0x04, createHash(digest).update(infoDer).digest()))],
        }),
        new Attribute({
          attrType: ID_SIGNING_CERTIFICATE_V2,
          attrValues: [toArrayBuffer(signingCertificateV2)],
        }),
      ]
      // Signed as a DER SET OF; carried as [0] IMPLICIT in the same (sorted) order.
      const encoded = attributes.map((attribute) => Buffer.from(AsnConvert.serialize(attribute)))
      const order = encoded
        .map((bytes, index) => ({ bytes, index }))
        .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
      const signed = derSetOf(encoded)
      const digestAlgorithm = new AlgorithmIdentifier({ algorithm: DIGEST_OID[digest] })
      const signerInfo = new SignerInfo({
        version: 1,
        sid: new SignerIdentifier({
          issuerAndSerialNumber: new IssuerAndSerialNumber({
            issuer: certificate.tbsCertificate.issuer,
            serialNumber: certificate.tbsCertificate.serialNumber,
          }),
        }),
        digestAlgorithm,
        signedAttrs: order.map(({ index }) => attributes[index]),
        signatureAlgorithm: signatureAlgorithm(options.signer.algorithm),
        signature: new OctetString(await options.signer.sign(signed)),
      })
      const signedData = new SignedData({
        version: 3,
        digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlgorithm]),
        encapContentInfo: new EncapsulatedContentInfo({
          eContentType: ID_CT_TSTINFO,
          eContent: new EncapsulatedContent({ single: new OctetString(infoDer) }),
        }),
        certificates: request.certReq
          ? new CertificateSet([new CertificateChoices({ certificate })])
          : undefined,
        signerInfos: new SignerInfos([signerInfo]),
      })
      const token = new ContentInfo({
        contentType: ID_SIGNED_DATA,
        content: AsnConvert.serialize(signedData),
      })
      return Buffer.from(
        AsnConvert.serialize(
          new TimeStampResp({
            status: new PKIStatusInfo({ status: PKIStatus.granted }),
            timeStampToken: token,
          }),
        ),
      )
    },
  }
}
