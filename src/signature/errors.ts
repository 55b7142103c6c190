import { EStateError } from '../shared/index.ts'

export type SignatureErrorCode =
  | 'CONTAINER_NOT_ZIP'
  | 'CONTAINER_TOO_LARGE'
  | 'CONTAINER_MIMETYPE'
  | 'CONTAINER_UNSAFE_PATH'
  | 'CONTAINER_DUPLICATE_ENTRY'
  | 'CONTAINER_MANIFEST'
  | 'XML_FORBIDDEN'
  | 'XML_MALFORMED'
  | 'XML_C14N_UNSUPPORTED'
  | 'XADES_MALFORMED'
  | 'XADES_UNSUPPORTED'
  | 'SIGN_FAILED'
  | 'SIGN_PREPARED_UNKNOWN'
  | 'TRUST_CONFIG'

export class SignatureError extends EStateError {
  declare readonly code: SignatureErrorCode

  constructor(code: SignatureErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
  }
}
