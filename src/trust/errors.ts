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

export class TrustError extends EStateError {
  declare readonly code: TrustErrorCode

  constructor(code: TrustErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
  }
}
