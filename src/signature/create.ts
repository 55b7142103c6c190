/**
 * Creating XAdES baseline signatures for ASiC-E, in two halves so the key can stay wherever it
 * is — a software token, an ID card behind PKCS#11, a browser (Web eID) far away:
 *
 *   prepareSignature  → the canonical SignedInfo and its hash (what the key must sign);
 *   finalizeSignature ← the signature value: checked against the certificate, then (B-T) an
 *                       RFC 3161 time-stamp over the canonical SignatureValue and (B-LT) the
 *                       OCSP answer about the certificate and the CA certificates are added.
 *
 * Everything that is signed is canonicalized with exclusive C14N, so a signature keeps its
 * meaning whatever file it is moved into; each signature gets its own `signaturesN.xml`, and
 * adding one never touches the bytes of those before it.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate } from '@peculiar/asn1-x509'
import type { Element } from '@xmldom/xmldom'
import {
  checkOcspAnswer,
  derTagged,
  inspectOcspResponse,
  newNonce,
  ocspRequest,
  oidDer,
} from '../trust/index.ts'
import {
  BDOC_POLICY,
  DIGEST_OID_OF,
  DIGEST_URI_OF,
  NS,
  SIGNATURE_URIS,
  SIGNED_PROPERTIES_TYPE,
  derToP1363,
  signatureMethodFor,
  verifySignatureValue,
} from './algorithms.ts'
import { C14N, canonicalize } from './c14n.ts'
import type { ContainerDocument } from './container.ts'
import { SignatureError } from './errors.ts'
import { timestampRequest, tokenOfResponse } from './timestamp.ts'
import { parseXml } from './xml.ts'

export type SignatureProfile = 'B' | 'T' | 'LT' | 'LT-TM'

/** Where B-T and B-LT get their time-stamp and OCSP answer (in process or over HTTP). */
export interface SigningServices {
  /** A DER TimeStampReq in, a DER TimeStampResp out. */
  timestamp(request: Buffer): Promise<Buffer>
  /** A DER OCSPRequest in, a DER OCSPResponse out. */
  ocsp(request: Buffer): Promise<Buffer>
}

export interface SignerDetails {
  readonly claimedRole?: string
  readonly productionPlace?: {
    readonly city?: string
    readonly stateOrProvince?: string
    readonly postalCode?: string
    readonly countryName?: string
  }
}

export interface PreparedSignature {
  readonly id: string
  readonly profile: SignatureProfile
  readonly certificate: Buffer
  /** The issuing CA's certificate (for OCSP and CertificateValues). */
  readonly issuer: Buffer
  readonly parts: SignatureParts
  /** The canonical SignedInfo: the bytes the key signs. */
  readonly signedInfo: Buffer
  readonly digest: 'sha256' | 'sha384'
  /** The hash of `signedInfo` under `digest` — what a card or Web eID is asked to sign. */
  readonly toBeSigned: Buffer
}

interface SignatureParts {
  readonly id: string
  readonly signatureMethod: string
  readonly documents: readonly { name: string; mediaType: string; digest: Buffer }[]
  readonly certificate: Buffer
  readonly signingTime: string
  readonly issuerSerial: Buffer
  readonly details: SignerDetails
  readonly policy: boolean
  readonly propertiesDigest?: Buffer
  readonly signatureValue?: Buffer
  readonly unsigned?: {
    readonly timestamp?: Buffer
    readonly certificates: readonly Buffer[]
    readonly ocsp?: Buffer
  }
}

const EXC_C14N = C14N.exclusive

/** Prepares a signature over `documents` for the holder of `certificate`. */
export function prepareSignature(options: {
  readonly documents: readonly ContainerDocument[]
  readonly certificate: Buffer
  readonly issuer: Buffer
  readonly profile: SignatureProfile
  readonly signingTime: Date
  /** Ids of the signatures already in the container: the new one gets the next free `S<n>`. */
  readonly existingIds?: readonly string[]
  readonly details?: SignerDetails
}): PreparedSignature {
  if (options.documents.length === 0) throw new SignatureError('SIGN_FAILED', 'nothing to sign')
  const x509 = new X509Certificate(options.certificate)
  let method: ReturnType<typeof signatureMethodFor>
  try {
    method = signatureMethodFor(x509.publicKey)
  } catch {
    throw new SignatureError('SIGN_FAILED', 'signing keys are ECDSA P-256 or P-384, or RSA')
  }
  let index = 0
  while ((options.existingIds ?? []).includes(`S${index}`)) index++
  const base: SignatureParts = {
    id: `S${index}`,
    signatureMethod: method.uri,
    documents: options.documents.map((document) => ({
      name: document.name,
      mediaType: document.mediaType,
      digest: createHash('sha256').update(document.bytes).digest(),
    })),
    certificate: options.certificate,
    signingTime: options.signingTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    issuerSerial: issuerSerialOf(options.certificate),
    details: options.details ?? {},
    policy: options.profile === 'LT-TM',
  }
  const propertiesDigest = createHash('sha256')
    .update(canonicalize(elementById(signatureXml(base), `${base.id}-SignedProperties`), EXC_C14N))
    .digest()
  const parts = { ...base, propertiesDigest }
  const signedInfo = Buffer.from(
    canonicalize(elementById(signatureXml(parts), `${parts.id}-SignedInfo`), EXC_C14N),
    'utf8',
  )
  return {
    id: parts.id,
    profile: options.profile,
    certificate: options.certificate,
    issuer: options.issuer,
    parts,
    signedInfo,
    digest: method.digest,
    toBeSigned: createHash(method.digest).update(signedInfo).digest(),
  }
}

/**
 * Completes a prepared signature with its value (ECDSA as r‖s or DER) and, by profile, the
 * time-stamp and the OCSP answer. Refuses a value that does not verify with the certificate,
 * and a certificate the OCSP responder does not call good. Returns the `signatures*.xml` text.
 */
export async function finalizeSignature(
  prepared: PreparedSignature,
  value: Uint8Array,
  services: SigningServices,
): Promise<string> {
  const key = new X509Certificate(prepared.certificate).publicKey
  const method = SIGNATURE_URIS[prepared.parts.signatureMethod]
  const size = key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 48 : 32
  const signatureValue =
    key.asymmetricKeyType === 'ec' ? derToP1363(value, size) : Buffer.from(value)
  if (!verifySignatureValue(method, prepared.signedInfo, key, signatureValue))
    throw new SignatureError(
      'SIGN_FAILED',
      "the signature value does not verify with the certificate's key (wrong key or wrong data)",
    )
  const signed: SignatureParts = { ...prepared.parts, signatureValue }
  if (prepared.profile === 'B') return signatureXml(signed)

  let timestamp: Buffer | undefined
  if (prepared.profile !== 'LT-TM') {
    const stamped = canonicalize(elementById(signatureXml(signed), `${signed.id}-SIG`), EXC_C14N)
    timestamp = tokenOfResponse(await services.timestamp(timestampRequest(Buffer.from(stamped))))
    if (prepared.profile === 'T')
      return signatureXml({ ...signed, unsigned: { timestamp, certificates: [] } })
  }
  const nonce = prepared.profile === 'LT-TM' ? timeMarkNonce(signatureValue) : newNonce()
  const ocsp = await services.ocsp(ocspRequest(prepared.certificate, prepared.issuer, nonce))
  let answer
  try {
    const inspected = inspectOcspResponse(ocsp, [prepared.issuer])
    answer = checkOcspAnswer(inspected, {
      certificate: prepared.certificate,
      issuer: prepared.issuer,
      nonce,
      now: inspected.producedAt,
    })
  } catch (error) {
    throw new SignatureError(
      'SIGN_FAILED',
      `the OCSP answer is unusable: ${(error as Error).message}`,
    )
  }
  if (answer.status !== 'good')
    throw new SignatureError(
      'SIGN_FAILED',
      `the signing certificate is ${answer.status}: it cannot sign`,
    )
  const certificates = [prepared.issuer, answer.responder].filter(
    (der, index, all) => all.findIndex((other) => other.equals(der)) === index,
  )
  return signatureXml({ ...signed, unsigned: { timestamp, certificates, ocsp } })
}

/** BDOC 2.1 time-mark nonce: DigestInfo { sha256, SHA-256(signature value) }. */
function timeMarkNonce(signatureValue: Buffer): Buffer {
  return derTagged(
    0x30,
    derTagged(0x30, oidDer(DIGEST_OID_OF.sha256), Buffer.from([0x05, 0x00])),
    derTagged(0x04, createHash('sha256').update(signatureValue).digest()),
  )
}

/** IssuerSerial (RFC 5035) of a certificate: its issuer as a GeneralName and its serial. */
function issuerSerialOf(certificate: Buffer): Buffer {
  const tbs = AsnConvert.parse(certificate, Certificate).tbsCertificate
  const serial = Buffer.from(tbs.serialNumber)
  return derTagged(
    0x30,
    derTagged(0x30, derTagged(0xa4, Buffer.from(AsnConvert.serialize(tbs.issuer)))),
    derTagged(0x02, serial),
  )
}

function elementById(xml: string, id: string): Element {
  const all = parseXml(xml).getElementsByTagName('*')
  for (let index = 0; index < all.length; index++) {
    const element = all.item(index)
    if (element?.getAttribute('Id') === id) return element
  }
  throw new TypeError(`no element ${id}`)
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const b64 = (bytes: Buffer) => bytes.toString('base64')
/** A container path as a relative URI reference (RFC 3986): each segment percent-encoded. */
const documentUri = (name: string) => name.split('/').map(encodeURIComponent).join('/')

/** The whole `signatures*.xml` for these parts (deterministic: the same parts, the same bytes). */
function signatureXml(parts: SignatureParts): string {
  const id = parts.id
  const digestMethod = `<ds:DigestMethod Algorithm="${DIGEST_URI_OF.sha256}"/>`
  const references = parts.documents
    .map(
      (document, index) =>
        `<ds:Reference Id="${id}-RefId${index}" URI="${escape(documentUri(document.name))}">${digestMethod}<ds:DigestValue>${b64(document.digest)}</ds:DigestValue></ds:Reference>`,
    )
    .join('')
  const signedInfo =
    `<ds:SignedInfo Id="${id}-SignedInfo"><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/>` +
    `<ds:SignatureMethod Algorithm="${parts.signatureMethod}"/>${references}` +
    `<ds:Reference Id="${id}-RefId${parts.documents.length}" Type="${SIGNED_PROPERTIES_TYPE}" URI="#${id}-SignedProperties"><ds:Transforms><ds:Transform Algorithm="${EXC_C14N}"/></ds:Transforms>${digestMethod}<ds:DigestValue>${b64(parts.propertiesDigest ?? Buffer.alloc(0))}</ds:DigestValue></ds:Reference></ds:SignedInfo>`
  const certificateDigest = createHash('sha256').update(parts.certificate).digest()
  const place = parts.details.productionPlace
  const placeXml =
    place === undefined
      ? ''
      : `<xades:SignatureProductionPlaceV2>${(
          [
            ['City', place.city],
            ['StateOrProvince', place.stateOrProvince],
            ['PostalCode', place.postalCode],
            ['CountryName', place.countryName],
          ] as const
        )
          .filter(([, value]) => value !== undefined && value !== '')
          .map(([name, value]) => `<xades:${name}>${escape(value as string)}</xades:${name}>`)
          .join('')}</xades:SignatureProductionPlaceV2>`
  const roleXml =
    parts.details.claimedRole === undefined
      ? ''
      : `<xades:SignerRoleV2><xades:ClaimedRoles><xades:ClaimedRole>${escape(parts.details.claimedRole)}</xades:ClaimedRole></xades:ClaimedRoles></xades:SignerRoleV2>`
  const policyXml = parts.policy
    ? `<xades:SignaturePolicyIdentifier><xades:SignaturePolicyId><xades:SigPolicyId><xades:Identifier Qualifier="OIDAsURN">urn:oid:${BDOC_POLICY}</xades:Identifier></xades:SigPolicyId></xades:SignaturePolicyId></xades:SignaturePolicyIdentifier>`
    : ''
  const formats = parts.documents
    .map(
      (document, index) =>
        `<xades:DataObjectFormat ObjectReference="#${id}-RefId${index}"><xades:MimeType>${escape(document.mediaType)}</xades:MimeType></xades:DataObjectFormat>`,
    )
    .join('')
  const signedProperties =
    `<xades:SignedProperties Id="${id}-SignedProperties"><xades:SignedSignatureProperties>` +
    `<xades:SigningTime>${parts.signingTime}</xades:SigningTime>` +
    `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest>${digestMethod}<ds:DigestValue>${b64(certificateDigest)}</ds:DigestValue></xades:CertDigest><xades:IssuerSerialV2>${b64(parts.issuerSerial)}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2>` +
    `${policyXml}${placeXml}${roleXml}</xades:SignedSignatureProperties>` +
    `<xades:SignedDataObjectProperties>${formats}</xades:SignedDataObjectProperties></xades:SignedProperties>`
  const unsigned = parts.unsigned
  const unsignedXml =
    unsigned === undefined
      ? ''
      : `<xades:UnsignedProperties><xades:UnsignedSignatureProperties>` +
        (unsigned.timestamp === undefined
          ? ''
          : `<xades:SignatureTimeStamp Id="${id}-T0"><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/><xades:EncapsulatedTimeStamp>${b64(unsigned.timestamp)}</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp>`) +
        (unsigned.certificates.length === 0
          ? ''
          : `<xades:CertificateValues>${unsigned.certificates.map((der, index) => `<xades:EncapsulatedX509Certificate Id="${id}-CA-CERT${index}">${b64(der)}</xades:EncapsulatedX509Certificate>`).join('')}</xades:CertificateValues>`) +
        (unsigned.ocsp === undefined
          ? ''
          : `<xades:RevocationValues><xades:OCSPValues><xades:EncapsulatedOCSPValue Id="${id}-N0">${b64(unsigned.ocsp)}</xades:EncapsulatedOCSPValue></xades:OCSPValues></xades:RevocationValues>`) +
        `</xades:UnsignedSignatureProperties></xades:UnsignedProperties>`
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n` +
    `<asic:XAdESSignatures xmlns:asic="${NS.asic}" xmlns:ds="${NS.ds}" xmlns:xades="${NS.xades}">` +
    `<ds:Signature Id="${id}">${signedInfo}` +
    `<ds:SignatureValue Id="${id}-SIG">${b64(parts.signatureValue ?? Buffer.alloc(0))}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${b64(parts.certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    `<ds:Object><xades:QualifyingProperties Target="#${id}">${signedProperties}${unsignedXml}</xades:QualifyingProperties></ds:Object>` +
    `</ds:Signature></asic:XAdESSignatures>`
  )
}
