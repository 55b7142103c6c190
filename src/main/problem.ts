/**
 * The HTTP edge's problem documents (RFC 9457): stable codes to HTTP status through the
 * catalogue the composition root combined from every module's. Contexts throw coded errors;
 * only this edge knows about HTTP. Anything uncoded is a bug: it is
 * logged with its stack and answered 500 without internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { EStateError } from '../shared/index.ts'
import { ERROR_CATALOGUE as STATUS_BY_CODE } from './modules.ts'

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
  const status = STATUS_BY_CODE.get(code) ?? 500
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
