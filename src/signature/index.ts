export {
  SignatureError,
  SIGNATURE_ERRORS,
  isSignatureErrorCode,
  type SignatureErrorCode,
} from './errors.ts'
export { parseXml, MAX_XML_BYTES } from './xml.ts'
export {
  openContainer,
  writeContainer,
  nextSignatureName,
  assertSafePath,
  ASICE_MIMETYPE,
  DEFAULT_LIMITS,
  type OpenedContainer,
  type ContainerDocument,
  type ContainerLimits,
} from './container.ts'
export {
  prepareSignature,
  finalizeSignature,
  type PreparedSignature,
  type SignatureProfile,
  type SignerDetails,
  type SigningServices,
} from './create.ts'
export {
  signContainer,
  containerParts,
  existingIds,
  httpSigningServices,
  issuerOf,
  type SignRequest,
} from './sign.ts'
export { createSignatureValidator, type SignatureValidator } from './validate.ts'
export { createValidationPool, type ValidationPool } from './validation-pool.ts'
export {
  createTrustList,
  loadTrustList,
  mergeTrustLists,
  type TrustList,
  type TrustedCertificate,
} from './trust-list.ts'
export { exitCodeOf, type ValidationReport, type SignatureReport } from './report.ts'
