import { EStateError } from '../shared/index.ts'

export type IdentityErrorCode =
  | 'WEBEID_TOKEN_MALFORMED'
  | 'WEBEID_FORMAT_UNSUPPORTED'
  | 'WEBEID_CERTIFICATE_MALFORMED'
  | 'WEBEID_CERTIFICATE_EXPIRED'
  | 'WEBEID_CERTIFICATE_NOT_YET_VALID'
  | 'WEBEID_CERTIFICATE_WRONG_PURPOSE'
  | 'WEBEID_CERTIFICATE_UNTRUSTED'
  | 'WEBEID_CERTIFICATE_REVOKED'
  | 'WEBEID_OCSP_FAILED'
  | 'WEBEID_SIGNATURE_INVALID'
  | 'WEBEID_NONCE_INVALID'
  | 'SESSION_REQUIRED'
  | 'ROLE_REQUIRED'
  | 'EID_KEY_INVALID'
  | 'PASSKEY_INVALID'
  | 'STEP_UP_REQUIRED'
  | 'TOKEN_PIN_INVALID'
  | 'TOKEN_PIN_WRONG'
  | 'TOKEN_PIN_BLOCKED'
  | 'TOKEN_MALFORMED'

export class IdentityError extends EStateError {
  declare readonly code: IdentityErrorCode

  constructor(code: IdentityErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
  }
}
