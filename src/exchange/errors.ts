/**
 * Exchange errors speak X-Road's error types (its 7.x ErrorCodes), so a client can tell a
 * gateway's refusal from a provider's own failure: a code here (`AccessDenied`), prefixed as
 * X-Road does when it reaches the client (`Client.…` for what the calling system's message got
 * wrong, `Server.ClientProxy.…` for the rest at the consumer gateway, `Server.ServerProxy.…` at
 * the provider gateway), in the `X-Road-Error` header and a `{type, message, detail}` body.
 */
import type { ErrorCatalogue } from '../platform/index.ts'
import { CodedError, EStateError } from '../shared/index.ts'

export type ExchangeErrorType =
  | 'BadRequest'
  | 'InvalidRequest'
  | 'InvalidClientIdentifier'
  | 'InvalidHttpMethod'
  | 'MissingHeader'
  | 'DuplicateHeaderField'
  | 'UnknownMember'
  | 'UnknownService'
  | 'AccessDenied'
  | 'InvalidSignatureValue'
  | 'MissingSignature'
  | 'InconsistentResponse'
  | 'SslAuthenticationFailed'
  | 'OutdatedGlobalConf'
  | 'MalformedGlobalConf'
  | 'NetworkError'
  | 'ServiceFailed'
  | 'InternalError'

/**
 * The HTTP status of each error. X-Road answers most refusals with 500; e-state answers what
 * the caller got wrong or may not do with a 4xx (the rule), keeping X-Road's type names,
 * and 500 only for failures of a provider or a gateway.
 */
export const EXCHANGE_ERROR_STATUS: Readonly<Record<ExchangeErrorType, number>> = {
  BadRequest: 400,
  InvalidRequest: 400,
  InvalidClientIdentifier: 400,
  InvalidHttpMethod: 405,
  MissingHeader: 400,
  DuplicateHeaderField: 400,
  UnknownMember: 400,
  UnknownService: 404,
  AccessDenied: 403,
  InvalidSignatureValue: 500,
  MissingSignature: 500,
  InconsistentResponse: 500,
  SslAuthenticationFailed: 500,
  OutdatedGlobalConf: 500,
  MalformedGlobalConf: 500,
  NetworkError: 500,
  ServiceFailed: 500,
  InternalError: 500,
}

/** What the calling system's own message got wrong: `Client.…`, whichever gateway noticed. */
const CLIENT_MESSAGE = new Set<ExchangeErrorType>([
  'BadRequest',
  'InvalidRequest',
  'InvalidClientIdentifier',
  'InvalidHttpMethod',
  'MissingHeader',
  'DuplicateHeaderField',
])

export class ExchangeError extends EStateError {
  readonly type: ExchangeErrorType
  readonly detail: string | undefined
  /** The status, where it differs from the type's (a client system's failed login: 401). */
  readonly status: number

  constructor(
    type: ExchangeErrorType,
    message: string,
    detail?: string,
    options: { readonly status?: number } = {},
  ) {
    super(`EXCHANGE_${type}`, message)
    this.type = type
    this.detail = detail
    this.status = options.status ?? EXCHANGE_ERROR_STATUS[type]
  }
}

/** The type string as the client sees it: `Client.…`, else by the gateway that raised it. */
export function errorTypeFor(error: ExchangeError, side: 'consumer' | 'provider'): string {
  if (CLIENT_MESSAGE.has(error.type) || (side === 'consumer' && error.status === 401))
    return `Client.${error.type}`
  return `${side === 'consumer' ? 'Server.ClientProxy' : 'Server.ServerProxy'}.${error.type}`
}

/** The exchange's own refusals outside the gateway's X-Road types (callers, anchoring). */
export type ExchangeCallerErrorCode =
  | 'GATEWAY_REQUIRED'
  | 'CLIENT_REQUIRED'
  | 'CLIENT_MISMATCH'
  | 'MEMBER_UNAUTHENTICATED'
  | 'MEMBER_UNKNOWN'
  | 'ACCESS_DENIED'
  | 'INVALID_INPUT'
  | 'ANCHOR_INVALID'
  | 'ANCHOR_UNKNOWN_GATEWAY'
  | 'ANCHOR_SIGNATURE_INVALID'
  | 'ANCHOR_CONFLICT'

export class ExchangeCallerError extends CodedError<ExchangeCallerErrorCode> {}

type ExchangeCode = ExchangeCallerErrorCode | `EXCHANGE_${ExchangeErrorType}`

export const EXCHANGE_ERRORS = {
  GATEWAY_REQUIRED: 403,
  CLIENT_REQUIRED: 400,
  CLIENT_MISMATCH: 403,
  MEMBER_UNAUTHENTICATED: 401,
  MEMBER_UNKNOWN: 404,
  ACCESS_DENIED: 403,
  INVALID_INPUT: 400,
  ANCHOR_INVALID: 400,
  ANCHOR_UNKNOWN_GATEWAY: 403,
  ANCHOR_SIGNATURE_INVALID: 403,
  ANCHOR_CONFLICT: 409,
  EXCHANGE_BadRequest: 400,
  EXCHANGE_InvalidRequest: 400,
  EXCHANGE_InvalidClientIdentifier: 400,
  EXCHANGE_InvalidHttpMethod: 405,
  EXCHANGE_MissingHeader: 400,
  EXCHANGE_DuplicateHeaderField: 400,
  EXCHANGE_UnknownMember: 400,
  EXCHANGE_UnknownService: 404,
  EXCHANGE_AccessDenied: 403,
  EXCHANGE_InvalidSignatureValue: 500,
  EXCHANGE_MissingSignature: 500,
  EXCHANGE_InconsistentResponse: 500,
  EXCHANGE_SslAuthenticationFailed: 500,
  EXCHANGE_OutdatedGlobalConf: 500,
  EXCHANGE_MalformedGlobalConf: 500,
  EXCHANGE_NetworkError: 500,
  EXCHANGE_ServiceFailed: 500,
  EXCHANGE_InternalError: 500,
} as const satisfies ErrorCatalogue<ExchangeCode>
