import type { ErrorCatalogue } from '../platform/index.ts'
import { EStateError } from '../shared/index.ts'

export type TrustErrorCode =
  | 'TRUST_UNSUPPORTED_KEY'
  | 'TRUST_MALFORMED_REQUEST'
  | 'TRUST_UNKNOWN_CA'
  | 'TRUST_UNKNOWN_CERTIFICATE'
  | 'TRUST_INVALID_STATUS_CHANGE'
  | 'TRUST_DEVELOPMENT_KEYS'
  | 'TRUST_OCSP_INVALID'
  | 'TRUST_TOKEN_UNAVAILABLE'
  | 'TRUST_TOKEN_LOGIN_FAILED'
  | 'TRUST_TOKEN_KEY_NOT_FOUND'
  | 'TRUST_ALREADY_INITIALISED'
  | 'TRUST_IMPORT_INVALID'

export const TRUST_ERRORS = {
  TRUST_UNSUPPORTED_KEY: 400,
  TRUST_MALFORMED_REQUEST: 400,
  TRUST_UNKNOWN_CA: 404,
  TRUST_UNKNOWN_CERTIFICATE: 404,
  TRUST_INVALID_STATUS_CHANGE: 409,
  TRUST_DEVELOPMENT_KEYS: 500,
  TRUST_OCSP_INVALID: 503,
  TRUST_TOKEN_UNAVAILABLE: 503,
  TRUST_TOKEN_LOGIN_FAILED: 503,
  TRUST_TOKEN_KEY_NOT_FOUND: 503,
  TRUST_ALREADY_INITIALISED: 409,
  TRUST_IMPORT_INVALID: 400,
} as const satisfies ErrorCatalogue<TrustErrorCode>

export class TrustError extends EStateError {
  declare readonly code: TrustErrorCode

  constructor(code: TrustErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
  }
}
