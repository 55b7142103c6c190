/**
 * The one error catalogue: stable codes to HTTP status, rendered as RFC 9457 problem documents.
 * Contexts throw coded errors; only this edge knows about HTTP. Anything uncoded is a bug: it is
 * logged with its stack and answered 500 without internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { EXCHANGE_ERROR_STATUS, type ExchangeErrorType } from '../exchange/index.ts'
import { EStateError } from '../shared/index.ts'

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_PERSONAL_CODE: 400,
  INVALID_REGISTRY_CODE: 400,
  INVALID_IDENTIFIER: 400,
  INVALID_INPUT: 400,
  MALFORMED_JSON: 400,
  REGISTRY_FIELD_UNKNOWN: 400,
  REGISTRY_QUERY_TOO_BROAD: 400,
  REGISTRY_QUERY_AMBIGUOUS: 400,
  ACCESS_ACTOR_REQUIRED: 400,
  ACCESS_PURPOSE_REQUIRED: 400,
  CLIENT_REQUIRED: 400,
  MEMBER_UNAUTHENTICATED: 401,
  ACCESS_DENIED: 403,
  GATEWAY_REQUIRED: 403,
  CROSS_SITE_REFUSED: 403,
  CLIENT_MISMATCH: 403,
  MEMBER_UNKNOWN: 404,
  REGISTRY_UNKNOWN: 404,
  REGISTRY_VERSION_UNKNOWN: 404,
  RECORD_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  LEDGER_EMPTY: 404,
  TILE_NOT_FOUND: 404,
  LEDGER_UNKNOWN_SIZE: 404,
  LEDGER_UNKNOWN_ENTRY: 404,
  LEDGER_INVALID_ARGUMENT: 400,
  WITNESS_NOT_RUNNING: 404,
  TRUST_UNKNOWN_CA: 404,
  WEBEID_TOKEN_MALFORMED: 400,
  WEBEID_FORMAT_UNSUPPORTED: 400,
  WEBEID_CERTIFICATE_MALFORMED: 400,
  WEBEID_CERTIFICATE_EXPIRED: 401,
  WEBEID_CERTIFICATE_NOT_YET_VALID: 401,
  WEBEID_CERTIFICATE_WRONG_PURPOSE: 401,
  WEBEID_CERTIFICATE_UNTRUSTED: 401,
  WEBEID_CERTIFICATE_REVOKED: 401,
  WEBEID_OCSP_FAILED: 503,
  WEBEID_SIGNATURE_INVALID: 401,
  WEBEID_NONCE_INVALID: 401,
  SESSION_REQUIRED: 401,
  STEP_UP_REQUIRED: 401,
  PASSKEY_INVALID: 401,
  ROLE_REQUIRED: 403,
  EID_KEY_INVALID: 400,
  EID_HOLDER_INELIGIBLE: 409,
  TRUST_UNKNOWN_CERTIFICATE: 404,
  TRUST_INVALID_STATUS_CHANGE: 409,
  TRUST_UNSUPPORTED_KEY: 400,
  TRUST_MALFORMED_REQUEST: 400,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  COUNTRY_ALREADY_SEEDED: 409,
  ANCHOR_CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_OUTCOME_UNKNOWN: 409,
  IDEMPOTENCY_NOT_REPLAYABLE: 409,
  ANCHOR_INVALID: 400,
  ANCHOR_UNKNOWN_GATEWAY: 403,
  ANCHOR_SIGNATURE_INVALID: 403,
  CONTAINER_NOT_ZIP: 422,
  CONTAINER_TOO_LARGE: 422,
  CONTAINER_TOO_COSTLY: 422,
  CONTAINER_MIMETYPE: 422,
  CONTAINER_UNSAFE_PATH: 422,
  CONTAINER_DUPLICATE_ENTRY: 422,
  CONTAINER_MANIFEST: 422,
  XML_FORBIDDEN: 422,
  XML_MALFORMED: 422,
  XADES_MALFORMED: 422,
  XADES_UNSUPPORTED: 422,
  SIGN_FAILED: 422,
  SIGN_PREPARED_UNKNOWN: 404,
  SIGNING_CERTIFICATE_NOT_YOURS: 403,
  SIGNATURES_BUSY: 429,
  CHALLENGES_TOO_MANY: 429,
  RATE_LIMITED: 429,
  BUSY: 503,
  ACCESS_LOG_BACKLOG: 503,
  READ_ONLY_SITE: 503,
  SITE_FENCED: 503,
  LEDGER_READ_ONLY: 503,
  NOT_READY: 503,
  INTERNAL_ERROR: 500,
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  408: 'Request timeout',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
}

export interface Problem {
  type: string
  title: string
  status: number
  code: string
  detail: string
  instance: string
  [extension: string]: unknown
}

export function problemOf(
  code: string,
  detail: string,
  instance: string,
  extensions: Record<string, unknown> = {},
): Problem {
  const status =
    STATUS_BY_CODE[code] ??
    (code.startsWith('EXCHANGE_')
      ? (EXCHANGE_ERROR_STATUS[code.slice(9) as ExchangeErrorType] ?? 500)
      : 500)
  return {
    ...extensions,
    type: `urn:e-state:problem:${code.toLowerCase()}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    instance,
  }
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if ((problem.status === 503 || problem.status === 429) && !reply.hasHeader('retry-after'))
    reply.header('retry-after', '5')
  return reply.code(problem.status).type('application/problem+json').send(problem)
}

/** Fastify's own errors (validation, parsing, limits) in our codes. */
function translateFastifyError(
  error: FastifyError,
): { code: string; detail: string; extensions: Record<string, unknown> } | undefined {
  if (error.validation !== undefined) {
    const first = error.validation[0]
    const field = `${error.validationContext ?? 'request'}${first?.instancePath?.replaceAll('/', '.') ?? ''}`
    const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty
    return {
      code: 'INVALID_INPUT',
      detail: `${field}${extra === undefined ? '' : `.${extra}`} ${first?.message ?? 'is invalid'}`,
      extensions: { field: extra === undefined ? field : `${field}.${extra}` },
    }
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        code: 'BODY_TOO_LARGE',
        detail: 'the request body is larger than this endpoint accepts',
        extensions: {},
      }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'send application/json', extensions: {} }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'MALFORMED_JSON', detail: 'the body is not valid JSON', extensions: {} }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        code: 'INVALID_INPUT',
        detail: 'Content-Length does not match the body',
        extensions: {},
      }
  }
  if (error instanceof SyntaxError)
    return { code: 'MALFORMED_JSON', detail: 'the body is not valid JSON', extensions: {} }
  // The site fence (PostgreSQL's ES001, SQLite's RAISE): an act on a fenced old primary.
  if (
    (error as { code?: unknown }).code === 'ES001' ||
    /CLOUD_FENCED/.test(String((error as { message?: unknown }).message))
  )
    return {
      code: 'SITE_FENCED',
      detail: 'this site was fenced by a promotion: acts go to the new primary',
      extensions: {},
    }
  // PostgreSQL's read_only_sql_transaction: a write reached an embassy's standby.
  if ((error as { code?: unknown }).code === '25006')
    return {
      code: 'READ_ONLY_SITE',
      detail: 'this site serves reads until it is promoted; acts go to the primary site',
      extensions: {},
    }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return { code: 'INVALID_INPUT', detail: error.message, extensions: {} }
  }
  return undefined
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof EStateError) {
      const problem = problemOf(error.code, error.message, request.url, { ...error.details })
      if (problem.status >= 500) request.log.warn({ code: error.code }, error.message)
      // Every refusal is on record by its code (the message may name a person: not logged).
      else request.log.info({ code: error.code, status: problem.status }, 'refused')
      return sendProblem(reply, problem)
    }
    const translated = translateFastifyError(error)
    if (translated !== undefined) {
      return sendProblem(
        reply,
        problemOf(translated.code, translated.detail, request.url, translated.extensions),
      )
    }
    request.log.error({ err: error }, 'unhandled error')
    return sendProblem(
      reply,
      problemOf(
        'INTERNAL_ERROR',
        'the request failed inside e-state; it has been logged',
        request.url,
      ),
    )
  })
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problemOf(
        'ROUTE_NOT_FOUND',
        `no route ${request.method} ${request.url.split('?')[0]}`,
        request.url,
      ),
    ),
  )
}
