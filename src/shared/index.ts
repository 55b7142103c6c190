export { CodedError, EStateError, ValidationError, type ValidationErrorCode } from './errors.ts'
export {
  parsePersonalCode,
  isPersonalCode,
  formatPersonalCode,
  type PersonalCodeParts,
  type Sex,
} from './personal-code.ts'
export { computeCheckDigit } from './check-digit.ts'
export { assertRegistryCode, isRegistryCode, formatRegistryCode } from './registry-code.ts'
export { parseClientId, formatClientId, memberOf, type ClientId } from './exchange-id.ts'
export { systemClock, fixedClock, type Clock } from './clock.ts'
export { createLogger, type Logger } from './logger.ts'
export { createRandom, type Random } from './random.ts'
export { CLIENT_HEADER, ERRORS, ProblemSchema } from './http-schemas.ts'
export { parseCookies } from './cookies.ts'
