import type { ErrorCatalogue } from '../platform/index.ts'
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
  | 'CONTAINER_TOO_COSTLY'

export const SIGNATURE_ERRORS = {
  CONTAINER_NOT_ZIP: 422,
  CONTAINER_TOO_LARGE: 422,
  CONTAINER_TOO_COSTLY: 422,
  CONTAINER_MIMETYPE: 422,
  CONTAINER_UNSAFE_PATH: 422,
  CONTAINER_DUPLICATE_ENTRY: 422,
  CONTAINER_MANIFEST: 422,
  XML_FORBIDDEN: 422,
  XML_MALFORMED: 422,
  XML_C14N_UNSUPPORTED: 422,
  XADES_MALFORMED: 422,
  XADES_UNSUPPORTED: 422,
  SIGN_FAILED: 422,
  SIGN_PREPARED_UNKNOWN: 404,
  TRUST_CONFIG: 500,
} as const satisfies ErrorCatalogue<SignatureErrorCode>

/** Whether a code is one of the signature context's (a refused container's report code). */
export function isSignatureErrorCode(code: string): code is SignatureErrorCode {
  return Object.hasOwn(SIGNATURE_ERRORS, code)
}

export class SignatureError extends EStateError {
  declare readonly code: SignatureErrorCode

  constructor(code: SignatureErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
  }
}
