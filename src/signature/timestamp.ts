/**
 * RFC 3161 time-stamp tokens on the validating side: a token is a CMS SignedData (RFC 5652)
 * over a TSTInfo. It counts only if its imprint is the hash of what it claims to stamp, its
 * signed attributes carry that TSTInfo's digest, the signature verifies under the certificate
 * its SignerInfo names (bound by ESS signing-certificate(-v2) when present), and that
 * certificate is a trusted TSA or is issued by one of the trusted TSA CAs for time-stamping.
 */
import { createHash, randomBytes, verify, X509Certificate, type KeyObject } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import { ContentInfo, SignedData } from '@peculiar/asn1-cms'
import { MessageImprint, PKIStatus, TimeStampReq, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { certificatePartsOf, childrenOf, oidText, readTlv } from '../trust/index.ts'
import { DIGEST_OID_OF, DIGEST_OIDS } from './algorithms.ts'
import type { CertificateCache, ChainBuilder } from './certificates.ts'
import type { TrustList } from './trust-list.ts'

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2'
const ID_CT_TSTINFO = '1.2.840.113549.1.9.16.1.4'
const ID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
const ID_SIGNING_CERTIFICATE = '1.2.840.113549.1.9.16.2.12'
const ID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47'
const TIME_STAMPING = '1.3.6.1.5.5.7.3.8'
const SIGNATURE_OIDS: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.1': null, // rsaEncryption: the digest is the SignerInfo's
  '1.2.840.10045.2.1': null, // id-ecPublicKey, as some TSAs write it
}

export type TimestampFailure = 'MALFORMED' | 'HASH_FAILURE' | 'SIG_CRYPTO_FAILURE' | 'UNTRUSTED'

export class TimestampError extends Error {
  readonly failure: TimestampFailure
  constructor(failure: TimestampFailure, message: string) {
    super(message)
    this.failure = failure
  }
}

export interface VerifiedTimestamp {
  readonly genTime: Date
  readonly tsa: X509Certificate
  readonly policy: string
}

/** A TimeStampReq for the hash of `data` (with a nonce, asking for the TSA's certificate). */
export function timestampRequest(
  data: Uint8Array,
  digest: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): Buffer {
  return Buffer.from(
    AsnConvert.serialize(
      new TimeStampReq({
        messageImprint: new MessageImprint({
          hashAlgorithm: new AlgorithmIdentifier({ algorithm: DIGEST_OID_OF[digest] }),
          hashedMessage: new OctetString(createHash(digest).update(data).digest()),
        }),
        nonce: Uint8Array.from([0x01, ...randomBytes(8)]).buffer,
        certReq: true,
      }),
    ),
  )
}

/** The token out of a TimeStampResp; throws unless the TSA granted it. */
export function tokenOfResponse(response: Uint8Array): Buffer {
  const parsed = AsnConvert.parse(response, TimeStampResp)
  if (
    parsed.status.status !== PKIStatus.granted &&
    parsed.status.status !== PKIStatus.grantedWithMods
  )
    throw new TimestampError('MALFORMED', `the TSA refused: ${parsed.status.statusString ?? ''}`)
  if (parsed.timeStampToken === undefined) throw new TimestampError('MALFORMED', 'no token')
  return Buffer.from(AsnConvert.serialize(parsed.timeStampToken))
}

/** Verifies `token` over `stamped` (the bytes the time-stamp is about) with `trust`'s TSAs. */
export function verifyTimestamp(
  token: Uint8Array,
  stamped: Uint8Array,
  trust: TrustList,
  // Certificate parsing and CA signature checks, remembered across calls by the validator.
  helpers: Pick<ChainBuilder, 'issuedBy'> & Pick<CertificateCache, 'x509'> = {
    issuedBy: (child, issuer) =>
      issuer.ca && child.checkIssued(issuer) && child.verify(issuer.publicKey),
    x509: (der) => new X509Certificate(der),
  },
): VerifiedTimestamp {
  const { signedData, info, infoDer } = parseToken(token)
  const imprint = info.messageImprint
  const digest = DIGEST_OIDS[imprint.hashAlgorithm.algorithm]
  if (digest === undefined)
    throw new TimestampError('MALFORMED', 'the imprint uses an unknown hash')
  if (
    !createHash(digest).update(stamped).digest().equals(Buffer.from(imprint.hashedMessage.buffer))
  )
    throw new TimestampError('HASH_FAILURE', 'the time-stamp is about other data')

  if (signedData.signerInfos.length !== 1)
    throw new TimestampError('MALFORMED', 'a time-stamp token has exactly one signer')
  const signerInfo = signedData.signerInfos[0]
  const signerDigest = DIGEST_OIDS[signerInfo.digestAlgorithm.algorithm]
  if (signerDigest === undefined || signerDigest === 'sha1')
    throw new TimestampError('MALFORMED', 'the token is signed with an unsupported hash')
  const attributes = signerInfo.signedAttrs ?? []
  const messageDigest = attributes.find((attribute) => attribute.attrType === ID_MESSAGE_DIGEST)
  if (messageDigest === undefined)
    throw new TimestampError('MALFORMED', 'the token has no message-digest attribute')
  const claimed = AsnConvert.parse(messageDigest.attrValues[0], OctetString)
  if (!createHash(signerDigest).update(infoDer).digest().equals(Buffer.from(claimed.buffer)))
    throw new TimestampError('HASH_FAILURE', 'the token does not sign its TSTInfo')

  const { certificates, signedAttributes } = walkToken(token)
  const tsa = signerCertificate(signerInfo.sid, certificates, trust, helpers.x509)
  bindSigningCertificate(attributes, tsa.der)

  const signatureDigest = SIGNATURE_OIDS[signerInfo.signatureAlgorithm.algorithm]
  if (signatureDigest === undefined)
    throw new TimestampError('MALFORMED', 'the token uses an unsupported signature algorithm')
  if (
    !verifyWith(
      signatureDigest ?? signerDigest,
      signedAttributes,
      tsa.x509.publicKey,
      Buffer.from(signerInfo.signature.buffer),
    )
  )
    throw new TimestampError('SIG_CRYPTO_FAILURE', "the token's signature does not verify")
  trustTsa(tsa.x509, trust, info.genTime, helpers.issuedBy)
  return { genTime: info.genTime, tsa: tsa.x509, policy: info.policy }
}

function parseToken(token: Uint8Array) {
  try {
    const content = AsnConvert.parse(token, ContentInfo)
    if (content.contentType !== ID_SIGNED_DATA) throw new Error('not SignedData')
    const signedData = AsnConvert.parse(content.content, SignedData)
    const encapsulated = signedData.encapContentInfo
    if (encapsulated.eContentType !== ID_CT_TSTINFO) throw new Error('not a TSTInfo')
    const single = encapsulated.eContent?.single
    if (single === undefined) throw new Error('no TSTInfo')
    const infoDer = Buffer.from(single.buffer)
    return { signedData, info: AsnConvert.parse(infoDer, TSTInfo), infoDer }
  } catch (error) {
    throw new TimestampError('MALFORMED', `not a time-stamp token: ${(error as Error).message}`)
  }
}

/**
 * Walked, not re-encoded: the certificates the token carries, as their own bytes, and the
 * SignerInfo's signedAttrs as signed — their original bytes re-tagged as a SET (RFC 5652 §5.4).
 */
function walkToken(token: Uint8Array): { certificates: Buffer[]; signedAttributes: Buffer } {
  try {
    const bytes = Buffer.from(token.buffer, token.byteOffset, token.byteLength)
    const explicit = childrenOf(bytes, readTlv(bytes, 0))[1]
    const signedData = childrenOf(bytes, childrenOf(bytes, explicit)[0])
    const certificateSet = signedData.find((part) => part.tag === 0xa0)
    const certificates =
      certificateSet === undefined
        ? []
        : childrenOf(bytes, certificateSet)
            .filter((choice) => choice.tag === 0x30)
            .map((choice) => Buffer.from(bytes.subarray(choice.start, choice.end)))
    const signerInfos = signedData[signedData.length - 1]
    const signerInfo = childrenOf(bytes, childrenOf(bytes, signerInfos)[0])
    const attributes = signerInfo.find((tlv) => tlv.tag === 0xa0)
    if (attributes === undefined) throw new Error('no signed attributes')
    const signedAttributes = Buffer.from(bytes.subarray(attributes.start, attributes.end))
    signedAttributes[0] = 0x31
    return { certificates, signedAttributes }
  } catch (error) {
    throw new TimestampError(
      'MALFORMED',
      `the token's signer cannot be read: ${(error as Error).message}`,
    )
  }
}

function signerCertificate(
  sid: SignedData['signerInfos'][number]['sid'],
  certificates: readonly Buffer[],
  trust: TrustList,
  x509Of: (der: Buffer) => X509Certificate,
): { der: Buffer; x509: X509Certificate } {
  const candidates = [...certificates, ...trust.tsas.map((entry) => entry.der)]
  const bySerial = sid.issuerAndSerialNumber
  const serial = (bytes: Uint8Array) =>
    Buffer.from(bytes)
      .toString('hex')
      .replace(/^(00)+(?=.)/, '')
  const wantedSerial =
    bySerial === undefined ? undefined : serial(new Uint8Array(bySerial.serialNumber))
  const wantedIssuer =
    bySerial === undefined ? undefined : Buffer.from(AsnConvert.serialize(bySerial.issuer))
  for (const der of candidates) {
    const parts = certificatePartsOf(der)
    const matches =
      wantedSerial !== undefined
        ? serial(parts.serial) === wantedSerial && wantedIssuer?.equals(parts.issuer) === true
        : sid.subjectKeyIdentifier !== undefined &&
          createHash('sha1')
            .update(parts.publicKey)
            .digest()
            .equals(Buffer.from(sid.subjectKeyIdentifier.buffer))
    if (matches) return { der, x509: x509Of(der) }
  }
  throw new TimestampError('UNTRUSTED', "the TSA's certificate is neither in the token nor trusted")
}

/** ESS signing-certificate(-v2): the first ESSCertID's hash must be the TSA certificate's. */
function bindSigningCertificate(
  attributes: NonNullable<SignedData['signerInfos'][number]['signedAttrs']>,
  der: Buffer,
): void {
  for (const attribute of attributes) {
    const v2 = attribute.attrType === ID_SIGNING_CERTIFICATE_V2
    if (!v2 && attribute.attrType !== ID_SIGNING_CERTIFICATE) continue
    const bytes = Buffer.from(attribute.attrValues[0])
    // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), ... }
    const outer = readTlv(bytes, 0)
    const certs = childrenOf(bytes, outer)[0]
    const first = childrenOf(bytes, childrenOf(bytes, certs)[0])
    let digest = 'sha1'
    let hashTlv = first[0]
    if (v2) {
      digest = 'sha256'
      if (first[0].tag === 0x30) {
        const algorithm = childrenOf(bytes, first[0])[0]
        const oid = oidText(bytes.subarray(algorithm.contentStart, algorithm.end))
        digest = DIGEST_OIDS[oid] ?? ''
        hashTlv = first[1]
      }
    }
    const hash = bytes.subarray(hashTlv.contentStart, hashTlv.end)
    if (digest === '' || !createHash(digest).update(der).digest().equals(hash))
      throw new TimestampError('SIG_CRYPTO_FAILURE', 'the token names another TSA certificate')
    return
  }
}

function trustTsa(
  tsa: X509Certificate,
  trust: TrustList,
  at: Date,
  issuedBy: ChainBuilder['issuedBy'],
): void {
  const pinned = trust.tsas.some((entry) => entry.x509.fingerprint256 === tsa.fingerprint256)
  const issued = !pinned && trust.tsas.some((entry) => issuedBy(tsa, entry.x509))
  if (!pinned && !issued) throw new TimestampError('UNTRUSTED', 'the TSA is not trusted')
  if (!pinned && !(tsa.keyUsage ?? []).includes(TIME_STAMPING))
    throw new TimestampError('UNTRUSTED', "the TSA's certificate is not for time-stamping")
  if (new Date(tsa.validFrom) > at || new Date(tsa.validTo) < at)
    throw new TimestampError('UNTRUSTED', "the TSA's certificate was not valid at the stamped time")
}

function verifyWith(digest: string, data: Uint8Array, key: KeyObject, signature: Buffer): boolean {
  try {
    return verify(digest, data, key, signature)
  } catch {
    return false
  }
}
