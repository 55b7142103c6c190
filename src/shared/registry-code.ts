/**
 * Registry code of a legal person (registrikood): 8 digits, the last a modulus-11 check digit
 * over the first seven, computed as for personal codes. The first digit tells the kind:
 * 1 companies, 7 state and local government bodies, 8 non-profit associations, 9 foundations.
 */
import { computeCheckDigit } from './check-digit.ts'
import { ValidationError } from './errors.ts'

const PATTERN = /^[1-9]\d{7}$/

export function assertRegistryCode(code: unknown, field = 'registryCode'): string {
  if (typeof code !== 'string' || !PATTERN.test(code)) {
    throw new ValidationError('INVALID_REGISTRY_CODE', field, `${field} must be 8 digits`)
  }
  if (computeCheckDigit(code.slice(0, 7)) !== code.charCodeAt(7) - 48) {
    throw new ValidationError('INVALID_REGISTRY_CODE', field, `${field} has a wrong check digit`)
  }
  return code
}

export function isRegistryCode(code: unknown): code is string {
  try {
    assertRegistryCode(code)
    return true
  } catch {
    return false
  }
}

/** Completes seven digits (first one 1-9) with their check digit. */
export function formatRegistryCode(body: string): string {
  if (!/^[1-9]\d{6}$/.test(body)) throw new TypeError(`not a registry code body: ${body}`)
  return body + String(computeCheckDigit(body))
}
