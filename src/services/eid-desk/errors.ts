import type { ErrorCatalogue } from '../../platform/index.ts'
import { CodedError } from '../../shared/index.ts'

export type EidDeskErrorCode =
  | 'EID_HOLDER_INELIGIBLE'
  | 'EID_KEY_INVALID'
  | 'TRUST_UNKNOWN_CERTIFICATE'
  | 'EXCHANGE_ServiceFailed'

export const EID_DESK_ERRORS = {
  EID_HOLDER_INELIGIBLE: 409,
  EID_KEY_INVALID: 400,
  TRUST_UNKNOWN_CERTIFICATE: 404,
  EXCHANGE_ServiceFailed: 500,
} as const satisfies ErrorCatalogue<EidDeskErrorCode>

export class EidDeskError extends CodedError<EidDeskErrorCode> {}
