import type { ErrorCatalogue } from '../../platform/index.ts'
import { CodedError } from '../../shared/index.ts'

export type SigningErrorCode =
  | 'SIGNATURES_BUSY'
  | 'SIGNING_CERTIFICATE_NOT_YOURS'
  | 'SIGN_FAILED'
  | 'SIGN_PREPARED_UNKNOWN'
  | 'UNSUPPORTED_MEDIA_TYPE'

export const SIGNING_ERRORS = {
  SIGNATURES_BUSY: 429,
  SIGNING_CERTIFICATE_NOT_YOURS: 403,
  SIGN_FAILED: 422,
  SIGN_PREPARED_UNKNOWN: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
} as const satisfies ErrorCatalogue<SigningErrorCode>

export class SigningError extends CodedError<SigningErrorCode> {}
