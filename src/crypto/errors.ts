import type { ErrorCatalogue } from '../platform/index.ts'
import { EStateError } from '../shared/index.ts'

export type CryptoErrorCode =
  | 'CRYPTO_DECRYPTION_FAILED'
  | 'CRYPTO_UNKNOWN_KEY'
  | 'CRYPTO_BAD_MASTER_KEY'
  | 'CRYPTO_MALFORMED_CIPHERTEXT'

export class CryptoError extends EStateError {
  declare readonly code: CryptoErrorCode

  constructor(code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, {}, options)
  }
}

export const CRYPTO_ERRORS = {
  CRYPTO_DECRYPTION_FAILED: 500,
  CRYPTO_UNKNOWN_KEY: 500,
  CRYPTO_BAD_MASTER_KEY: 500,
  CRYPTO_MALFORMED_CIPHERTEXT: 500,
} as const satisfies ErrorCatalogue<CryptoErrorCode>
