/**
 * The errors base. Each context declares its own coded errors on top of this class; the HTTP
 * edge maps `code` to a status through the catalogue combined from every module's (`ERROR_CATALOGUE`). A coded error means
 * bad data or a refused act; a `TypeError` means a programmer mistake.
 */
export class EStateError extends Error {
  readonly code: string
  /** Structured facts for the problem document (`field`, `registry`, …); never secrets. */
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: string,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.details = details
  }
}

export type ValidationErrorCode =
  'INVALID_PERSONAL_CODE' | 'INVALID_REGISTRY_CODE' | 'INVALID_IDENTIFIER' | 'INVALID_INPUT'

export class ValidationError extends EStateError {
  declare readonly code: ValidationErrorCode

  constructor(code: ValidationErrorCode, field: string, message: string) {
    super(code, message, { field })
  }
}

/**
 * The base of a context's own error class: its codes are a union, so a code outside the union
 * fails `tsc` (`class LedgerError extends CodedError<LedgerErrorCode> {}`).
 */
export class CodedError<Code extends string> extends EStateError {
  declare readonly code: Code

  constructor(
    code: Code,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(code, message, details, options)
  }
}
