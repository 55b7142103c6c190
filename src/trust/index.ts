export { TrustError, type TrustErrorCode } from './errors.ts'
export { keySigner, algorithmOf, type Signer, type KeyAlgorithm } from './signer.ts'
export {
  issueCertificate,
  issueCrl,
  OID,
  type CertificateProfile,
  type DistinguishedName,
} from './x509.ts'
export {
  derTagged,
  derSetOf,
  oidDer,
  oidText,
  readTlv,
  childrenOf,
  certificatePartsOf,
  type Tlv,
  type CertificateParts,
} from './der.ts'
export { createOcspResponder, type CertificateStatus, type OcspResponder } from './ocsp.ts'
export { createTimeStampAuthority, type TimeStampAuthority } from './tsa.ts'
export {
  openPki,
  generateHierarchy,
  buildHierarchy,
  storeHierarchy,
  validateHierarchy,
  type HierarchyMember,
  type KeySource,
  TRUST_AGENCY,
  TSA_POLICY,
  POLICY,
  type StatePki,
  type Authority,
  type IssueRequest,
  type IssuedCertificate,
  type HeldCertificate,
  type IssuingCa,
  type CertificateKind,
  type CertificateState,
} from './pki.ts'
export {
  ocspRequest,
  newNonce,
  readOcspResponse,
  inspectOcspResponse,
  checkOcspAnswer,
  type OcspCheck,
  type OcspAnswer,
  type InspectedOcsp,
} from './ocsp-client.ts'
export {
  openPkcs11Signer,
  openPkcs11Token,
  type Pkcs11Options,
  type Pkcs11Signer,
  type Pkcs11Token,
} from './pkcs11-signer.ts'
export { TRUST_ERRORS } from './errors.ts'
export type { TrustNeeds } from './routes.ts'
export { trustModule } from './module.ts'
