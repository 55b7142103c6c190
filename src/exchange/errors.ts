/**
 * Exchange errors speak X-Road's error types, so a client can tell a gateway's refusal from a
 * provider's own failure: a short code here (`AccessDenied`), prefixed by the side that raised
 * it when it reaches the client (`Server.ClientProxy.…` at the consumer gateway,
 * `Server.ServerProxy.…` at the provider gateway, `Client.…` for what the calling system sent
 * wrong), in the `X-Road-Error` header and a `{type, message, detail}` body.
 */
import { EStateError } from '../shared/index.ts'

export type ExchangeErrorType =
  | 'BadRequest'
  | 'InvalidRequest'
  | 'InvalidClientIdentifier'
  | 'InvalidServiceIdentifier'
  | 'MissingHeader'
  | 'InvalidHttpHeader'
  | 'UnknownMember'
  | 'UnknownService'
  | 'AccessDenied'
  | 'ClientNotAuthenticated'
  | 'RequestTooLarge'
  | 'InvalidSignatureValue'
  | 'MissingSignature'
  | 'InconsistentResponse'
  | 'SslAuthenticationFailed'
  | 'OutdatedGlobalConf'
  | 'InvalidGlobalConf'
  | 'NetworkError'
  | 'ServiceFailed'
  | 'Timeout'
  | 'InternalError'
  | 'MethodNotAllowed'

/** The HTTP status a gateway answers each error with (X-Road: client faults 4xx, the rest 500). */
export const EXCHANGE_ERROR_STATUS: Readonly<Record<ExchangeErrorType, number>> = {
  BadRequest: 400,
  InvalidRequest: 400,
  InvalidClientIdentifier: 400,
  InvalidServiceIdentifier: 400,
  MissingHeader: 400,
  InvalidHttpHeader: 400,
  UnknownMember: 400,
  UnknownService: 404,
  AccessDenied: 403,
  ClientNotAuthenticated: 401,
  RequestTooLarge: 413,
  MethodNotAllowed: 405,
  InvalidSignatureValue: 500,
  MissingSignature: 500,
  InconsistentResponse: 500,
  SslAuthenticationFailed: 500,
  OutdatedGlobalConf: 500,
  InvalidGlobalConf: 500,
  NetworkError: 500,
  ServiceFailed: 500,
  Timeout: 500,
  InternalError: 500,
}

export class ExchangeError extends EStateError {
  readonly type: ExchangeErrorType
  readonly detail: string | undefined

  constructor(type: ExchangeErrorType, message: string, detail?: string) {
    super(`EXCHANGE_${type}`, message)
    this.type = type
    this.detail = detail
  }
}

/** The type string as the client sees it, by the side that raised the error. */
export function errorTypeFor(
  error: ExchangeError,
  side: 'client' | 'consumer' | 'provider',
): string {
  if (side === 'client') return `Client.${error.type}`
  return `${side === 'consumer' ? 'Server.ClientProxy' : 'Server.ServerProxy'}.${error.type}`
}
