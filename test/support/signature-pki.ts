// A whole state PKI in memory for signature tests: the real hierarchy builder, OCSP responder and
// TSA (no database), signing certificates issued as the PKI issues them, and status changes.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import {
  buildHierarchy,
  createOcspResponder,
  createTimeStampAuthority,
  issueCertificate,
  keySigner,
  OID,
  POLICY,
  TSA_POLICY,
  type CertificateStatus,
  type HierarchyMember,
  type Signer,
} from '../../src/trust/index.ts'
import { createTrustList, type SigningServices, type TrustList } from '../../src/signature/index.ts'

export interface TestSigner {
  readonly key: KeyObject
  readonly signer: Signer
  readonly certificate: Buffer
  readonly serial: string
}

export interface SignaturePki {
  readonly members: Map<string, HierarchyMember>
  readonly citizenCa: Buffer
  readonly trust: TrustList
  readonly services: SigningServices
  /** Suspends (certificateHold) or revokes a certificate, as of `at`. */
  setStatus(serial: string, status: CertificateStatus): void
  issueSigning(
    personalCode: string,
    names: { given: string; surname: string },
    options?: {
      curve?: 'P-256' | 'P-384'
      keyUsage?: 'nonRepudiation' | 'digitalSignature'
      notBefore?: Date
      notAfter?: Date
    },
  ): Promise<TestSigner>
}

export async function signaturePki(now: () => Date): Promise<SignaturePki> {
  const members = await buildHierarchy(
    { clock: { now }, publicUrl: 'http://127.0.0.1:9', organization: 'Test Republic' },
    true,
  )
  const member = (name: string) => members.get(name) as HierarchyMember
  const statuses = new Map<string, CertificateStatus>()
  const ocsp = createOcspResponder({
    authorities: ['citizen', 'eseal'].map((name) => ({
      name,
      caCertificate: member(name).certificate,
      responderCertificate: member(`ocsp-${name}`).certificate,
      responder: member(`ocsp-${name}`).signer,
    })),
    status: async (_authority, serial) => statuses.get(serial) ?? { status: 'good' },
    now,
  })
  const tsa = createTimeStampAuthority({
    certificate: member('tsa').certificate,
    signer: member('tsa').signer,
    policy: TSA_POLICY,
    now,
  })
  return {
    members,
    citizenCa: member('citizen').certificate,
    trust: createTrustList({
      cas: [member('root').certificate, member('citizen').certificate, member('eseal').certificate],
      tsas: [member('tsa').certificate],
    }),
    services: {
      timestamp: (request) => tsa.stamp(request),
      ocsp: (request) => ocsp.respond(request),
    },
    setStatus(serial, status) {
      statuses.set(serial.toLowerCase().replace(/^(00)+(?=.)/, ''), status)
    },
    async issueSigning(personalCode, names, options = {}) {
      const pair = generateKeyPairSync('ec', { namedCurve: options.curve ?? 'P-384' })
      const serial = Buffer.concat([Buffer.from([0x40]), randomBytes(15)])
      const certificate = await issueCertificate({
        subject: [
          [OID.countryName, 'EE'],
          [OID.commonName, `${names.surname},${names.given},${personalCode}`],
          [OID.surname, names.surname],
          [OID.givenName, names.given],
          [OID.serialNumber, `PNOEE-${personalCode}`],
        ],
        publicKey: pair.publicKey,
        serial,
        notBefore: options.notBefore ?? new Date(now().getTime() - 60_000),
        notAfter: options.notAfter ?? new Date(now().getTime() + 3 * 365 * 86_400_000),
        profile: {
          keyUsage: [options.keyUsage ?? 'nonRepudiation'],
          policies: [POLICY.citizenSign],
        },
        issuer: { certificate: member('citizen').certificate },
        signer: member('citizen').signer,
      })
      return {
        key: pair.privateKey,
        signer: keySigner(pair.privateKey),
        certificate,
        serial: serial.toString('hex'),
      }
    },
  }
}
