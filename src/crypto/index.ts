export { CryptoError, CRYPTO_ERRORS, type CryptoErrorCode } from './errors.ts'
export { sealAead, openAead, KEY_BYTES } from './aead.ts'
export {
  openEnvelope,
  generateMasterKey,
  type Envelope,
  type MasterKey,
  type MasterKeyRing,
  type DataKeyStore,
  type WrappedDataKey,
} from './envelope.ts'
export { sha256, createSha256, hmacSha256, equalSecrets } from './hash.ts'
