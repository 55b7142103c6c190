/**
 * Error catalogues: each context and module maps its own stable codes to HTTP statuses, and
 * the composition root combines them into the one table the HTTP edge answers from. A catalogue
 * is written `{ … } as const satisfies ErrorCatalogue<MyErrorCode>`, so a code of the context's
 * union without a status fails `tsc`; `combineCatalogues` refuses one code with two statuses.
 */
import { CodedError } from '../shared/index.ts'

export type HttpStatus =
  400 | 401 | 403 | 404 | 405 | 406 | 408 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503

export type ErrorCatalogue<Code extends string> = Readonly<Record<Code, HttpStatus>>

/** Codes of the HTTP edge itself, the same for every route. */
export type PlatformErrorCode =
  | 'INVALID_PERSONAL_CODE'
  | 'INVALID_REGISTRY_CODE'
  | 'INVALID_IDENTIFIER'
  | 'INVALID_INPUT'
  | 'MALFORMED_JSON'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'REQUEST_TIMEOUT'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CROSS_SITE_REFUSED'
  | 'CSRF_TOKEN_INVALID'
  | 'LANGUAGE_UNKNOWN'
  | 'RATE_LIMITED'
  | 'BUSY'
  | 'NOT_READY'
  | 'READ_ONLY_SITE'
  | 'SITE_FENCED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_OUTCOME_UNKNOWN'
  | 'IDEMPOTENCY_NOT_REPLAYABLE'
  | 'DEVELOPMENT_ONLY'
  | 'INTERNAL_ERROR'

export const PLATFORM_ERRORS = {
  INVALID_PERSONAL_CODE: 400,
  INVALID_REGISTRY_CODE: 400,
  INVALID_IDENTIFIER: 400,
  INVALID_INPUT: 400,
  MALFORMED_JSON: 400,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CROSS_SITE_REFUSED: 403,
  CSRF_TOKEN_INVALID: 403,
  LANGUAGE_UNKNOWN: 400,
  RATE_LIMITED: 429,
  BUSY: 503,
  NOT_READY: 503,
  READ_ONLY_SITE: 503,
  SITE_FENCED: 503,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_OUTCOME_UNKNOWN: 409,
  IDEMPOTENCY_NOT_REPLAYABLE: 409,
  DEVELOPMENT_ONLY: 404,
  INTERNAL_ERROR: 500,
} as const satisfies ErrorCatalogue<PlatformErrorCode>

/** A coded error of the HTTP edge (a refused form post, a node still starting, …). */
export class PlatformError extends CodedError<PlatformErrorCode> {}

/**
 * One table of every code. The same code may appear in several catalogues (INVALID_INPUT) only
 * with the same status: a conflict is a programmer's mistake, refused at start.
 */
export function combineCatalogues(
  catalogues: readonly { readonly owner: string; readonly errors: ErrorCatalogue<string> }[],
): ReadonlyMap<string, HttpStatus> {
  const combined = new Map<string, { status: HttpStatus; owner: string }>()
  for (const { owner, errors } of catalogues)
    for (const [code, status] of Object.entries(errors) as [string, HttpStatus][]) {
      const before = combined.get(code)
      if (before !== undefined && before.status !== status)
        throw new TypeError(
          `error code ${code} is ${before.status} in ${before.owner} but ${status} in ${owner}`,
        )
      combined.set(code, { status, owner: before?.owner ?? owner })
    }
  return new Map([...combined].map(([code, { status }]) => [code, status]))
}
