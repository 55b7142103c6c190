/**
 * X.509 v3 certificates and CRLs, built with the @peculiar ASN.1 schemas and signed through a
 * `Signer` (a key in a file, an HSM or a card: the certificate code never sees the private key).
 * Only what a state PKI issues: ECDSA P-256/P-384 and Ed25519, the extensions RFC 5280 and the
 * Estonian e-ID profile use.
 */
import { createHash, type KeyObject } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import {
  AccessDescription,
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificateList,
  CertificatePolicies,
  CRLDistributionPoints,
  CRLNumber,
  CRLReason,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  PolicyInformation,
  RelativeDistinguishedName,
  RevokedCertificate,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertList,
  TBSCertificate,
  Time,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_cRLDistributionPoints,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  id_ce_certificatePolicies,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_pe_authorityInfoAccess,
} from '@peculiar/asn1-x509'
import type { Signer, KeyAlgorithm } from './signer.ts'

export const OID = {
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  givenName: '2.5.4.42',
  serialNumber: '2.5.4.5',
  organizationIdentifier: '2.5.4.97',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  accessOcsp: '1.3.6.1.5.5.7.48.1',
  accessCaIssuers: '1.3.6.1.5.5.7.48.2',
} as const

/** A distinguished name in order, e.g. `[[OID.countryName, 'EE'], [OID.commonName, 'x']]`. */
export type DistinguishedName = readonly (readonly [oid: string, value: string])[]

export type KeyUsageName =
  'digitalSignature' | 'nonRepudiation' | 'keyAgreement' | 'keyCertSign' | 'cRLSign'

export interface CertificateProfile {
  readonly ca?: { readonly pathLength?: number }
  readonly keyUsage: readonly KeyUsageName[]
  readonly extendedKeyUsage?: readonly string[]
  readonly policies?: readonly string[]
  readonly ocspUrl?: string
  readonly caIssuersUrl?: string
  readonly crlUrl?: string
  readonly ocspNoCheck?: boolean
  readonly dnsNames?: readonly string[]
}

export interface IssueOptions {
  readonly subject: DistinguishedName
  readonly publicKey: KeyObject
  readonly serial: Buffer
  readonly notBefore: Date
  readonly notAfter: Date
  readonly profile: CertificateProfile
  /** The issuing CA; absent for a self-signed root (then `signer` must hold the subject's key). */
  readonly issuer?: { readonly certificate: Buffer }
  readonly signer: Signer
}

export async function issueCertificate(options: IssueOptions): Promise<Buffer> {
  const spki = AsnConvert.parse(
    options.publicKey.export({ type: 'spki', format: 'der' }),
    SubjectPublicKeyInfo,
  )
  const subjectKeyId = keyIdentifier(spki)
  const issuer =
    options.issuer === undefined
      ? undefined
      : AsnConvert.parse(options.issuer.certificate, Certificate).tbsCertificate
  const issuerKeyId =
    issuer === undefined ? subjectKeyId : keyIdentifier(issuer.subjectPublicKeyInfo)
  const extensions = profileExtensions(options.profile, subjectKeyId, issuerKeyId)
  const algorithm = signatureAlgorithm(options.signer.algorithm)
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: positiveSerial(options.serial),
    signature: algorithm,
    issuer: issuer?.subject ?? toName(options.subject),
    validity: new Validity({ notBefore: options.notBefore, notAfter: options.notAfter }),
    subject: toName(options.subject),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  })
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs))
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: toArrayBuffer(await options.signer.sign(tbsDer)),
  })
  return Buffer.from(AsnConvert.serialize(certificate))
}

export interface RevokedEntry {
  readonly serial: Buffer
  readonly revokedAt: Date
  /** RFC 5280 CRLReason code (6 = certificateHold for a suspension). */
  readonly reason: number
}

/** A CRL (RFC 5280 v2) of the CA's revoked and suspended certificates. */
export async function issueCrl(options: {
  readonly issuer: Buffer
  readonly signer: Signer
  readonly number: number
  readonly thisUpdate: Date
  readonly nextUpdate: Date
  readonly revoked: readonly RevokedEntry[]
}): Promise<Buffer> {
  const issuer = AsnConvert.parse(options.issuer, Certificate).tbsCertificate
  const algorithm = signatureAlgorithm(options.signer.algorithm)
  const number = Buffer.alloc(8)
  number.writeBigUInt64BE(BigInt(options.number))
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: algorithm,
    issuer: issuer.subject,
    thisUpdate: new Time(options.thisUpdate),
    nextUpdate: new Time(options.nextUpdate),
    revokedCertificates:
      options.revoked.length === 0
        ? undefined
        : options.revoked.map(
            (entry) =>
              new RevokedCertificate({
                userCertificate: positiveSerial(entry.serial),
                revocationDate: new Time(entry.revokedAt),
                crlEntryExtensions: new Extensions([
                  extension(id_ce_cRLReasons, false, new CRLReason(entry.reason)),
                ]),
              }),
          ),
    crlExtensions: new Extensions([
      extension(
        id_ce_authorityKeyIdentifier,
        false,
        new AuthorityKeyIdentifier({
          keyIdentifier: new KeyIdentifier(keyIdentifier(issuer.subjectPublicKeyInfo)),
        }),
      ),
      extension(id_ce_cRLNumber, false, new CRLNumber(options.number)),
    ]),
  })
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs))
  const list = new CertificateList({
    tbsCertList: tbs,
    signatureAlgorithm: algorithm,
    signature: toArrayBuffer(await options.signer.sign(tbsDer)),
  })
  return Buffer.from(AsnConvert.serialize(list))
}

export function signatureAlgorithm(algorithm: KeyAlgorithm): AlgorithmIdentifier {
  switch (algorithm) {
    case 'ec-p256':
      return new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' })
    case 'ec-p384':
      return new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' })
    case 'ed25519':
      return new AlgorithmIdentifier({ algorithm: '1.3.101.112' })
  }
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spki: SubjectPublicKeyInfo): Buffer {
  return createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest()
}

export function toName(dn: DistinguishedName): Name {
  return new Name(
    dn.map(([type, value]) => {
      const printable = type === OID.countryName || type === OID.serialNumber
      return new RelativeDistinguishedName([
        new AttributeTypeAndValue({
          type,
          value: new AttributeValue(printable ? { printableString: value } : { utf8String: value }),
        }),
      ])
    }),
  )
}

function profileExtensions(
  profile: CertificateProfile,
  subjectKeyId: Buffer,
  issuerKeyId: Buffer,
): Extension[] {
  const extensions = [
    extension(
      id_ce_basicConstraints,
      true,
      new BasicConstraints(
        profile.ca === undefined
          ? { cA: false }
          : { cA: true, pathLenConstraint: profile.ca.pathLength },
      ),
    ),
    extension(
      id_ce_keyUsage,
      true,
      new KeyUsage(profile.keyUsage.reduce((bits, name) => bits | FLAGS[name], 0)),
    ),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(subjectKeyId)),
    extension(
      id_ce_authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyId) }),
    ),
  ]
  if (profile.extendedKeyUsage !== undefined) {
    // Critical for a time-stamping certificate (RFC 3161 §2.3).
    const critical = profile.extendedKeyUsage.includes(OID.timeStamping)
    extensions.push(
      extension(id_ce_extKeyUsage, critical, new ExtendedKeyUsage([...profile.extendedKeyUsage])),
    )
  }
  if (profile.policies !== undefined && profile.policies.length > 0) {
    extensions.push(
      extension(
        id_ce_certificatePolicies,
        false,
        new CertificatePolicies(
          profile.policies.map((policy) => new PolicyInformation({ policyIdentifier: policy })),
        ),
      ),
    )
  }
  const access: AccessDescription[] = []
  if (profile.ocspUrl !== undefined)
    access.push(
      new AccessDescription({
        accessMethod: OID.accessOcsp,
        accessLocation: new GeneralName({ uniformResourceIdentifier: profile.ocspUrl }),
      }),
    )
  if (profile.caIssuersUrl !== undefined)
    access.push(
      new AccessDescription({
        accessMethod: OID.accessCaIssuers,
        accessLocation: new GeneralName({ uniformResourceIdentifier: profile.caIssuersUrl }),
      }),
    )
  if (access.length > 0)
    extensions.push(
      extension(id_pe_authorityInfoAccess, false, new AuthorityInfoAccessSyntax(access)),
    )
  if (profile.crlUrl !== undefined) {
    extensions.push(
      extension(
        id_ce_cRLDistributionPoints,
        false,
        new CRLDistributionPoints([
          new DistributionPoint({
            distributionPoint: new DistributionPointName({
              fullName: [new GeneralName({ uniformResourceIdentifier: profile.crlUrl })],
            }),
          }),
        ]),
      ),
    )
  }
  if (profile.ocspNoCheck === true) {
    // id-pkix-ocsp-nocheck: NULL (RFC 6960 §4.2.2.2.1).
    extensions.push(
      new Extension({
        extnID: OID.ocspNoCheck,
        critical: false,
        extnValue: new OctetString(Buffer.from([0x05, 0x00])),
      }),
    )
  }
  if (profile.dnsNames !== undefined && profile.dnsNames.length > 0) {
    extensions.push(
      extension(
        id_ce_subjectAltName,
        false,
        new SubjectAlternativeName(
          profile.dnsNames.map((name) => new GeneralName({ dNSName: name })),
        ),
      ),
    )
  }
  return extensions
}

const FLAGS: Record<KeyUsageName, number> = {
  digitalSignature: KeyUsageFlags.digitalSignature,
  nonRepudiation: KeyUsageFlags.nonRepudiation,
  keyAgreement: KeyUsageFlags.keyAgreement,
  keyCertSign: KeyUsageFlags.keyCertSign,
  cRLSign: KeyUsageFlags.cRLSign,
}

function extension(id: string, critical: boolean, value: object): Extension {
  return new Extension({
    extnID: id,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(value)),
  })
}

/** A DER INTEGER is signed: a serial with its top bit set gets a leading zero byte. */
function positiveSerial(serial: Buffer): ArrayBuffer {
  const trimmed = serial.subarray(serial.findIndex((byte) => byte !== 0))
  const bytes = (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed
  return toArrayBuffer(bytes.length === 0 ? Buffer.from([0]) : bytes)
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}
