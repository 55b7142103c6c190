/**
 * Personal identification code (isikukood), EVS 585:2007: `GYYMMDDSSSC`.
 * G encodes century and sex (1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s, 7/8 = 2100s; odd = male),
 * then the birth date, a serial number for people born the same day and a modulus-11 check digit.
 */
import { computeCheckDigit } from './check-digit.ts'
import { ValidationError } from './errors.ts'

export type Sex = 'male' | 'female'

export interface PersonalCodeParts {
  readonly sex: Sex
  /** ISO date, `YYYY-MM-DD`. */
  readonly birthDate: string
  readonly serial: number
}

const PATTERN = /^[1-8]\d{10}$/

export function parsePersonalCode(code: unknown, field = 'personalCode'): PersonalCodeParts {
  if (typeof code !== 'string' || !PATTERN.test(code)) {
    throw new ValidationError(
      'INVALID_PERSONAL_CODE',
      field,
      `${field} must be 11 digits starting with 1-8 (EVS 585)`,
    )
  }
  const centuryDigit = code.charCodeAt(0) - 48
  const year = 1800 + Math.floor((centuryDigit - 1) / 2) * 100 + Number(code.slice(1, 3))
  const month = Number(code.slice(3, 5))
  const day = Number(code.slice(5, 7))
  if (!isRealDate(year, month, day)) {
    throw new ValidationError('INVALID_PERSONAL_CODE', field, `${field} holds no real birth date`)
  }
  if (computeCheckDigit(code.slice(0, 10)) !== code.charCodeAt(10) - 48) {
    throw new ValidationError('INVALID_PERSONAL_CODE', field, `${field} has a wrong check digit`)
  }
  return {
    sex: centuryDigit % 2 === 1 ? 'male' : 'female',
    birthDate: `${year}-${code.slice(3, 5)}-${code.slice(5, 7)}`,
    serial: Number(code.slice(7, 10)),
  }
}

export function isPersonalCode(code: unknown): code is string {
  try {
    parsePersonalCode(code)
    return true
  } catch {
    return false
  }
}

/** Builds a valid code; the caller keeps serials unique per birth date and sex. */
export function formatPersonalCode(parts: PersonalCodeParts): string {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(parts.birthDate)
  const year = Number(date?.[1])
  if (
    date === null ||
    year < 1800 ||
    year > 2199 ||
    !isRealDate(year, Number(date[2]), Number(date[3])) ||
    !Number.isInteger(parts.serial) ||
    parts.serial < 0 ||
    parts.serial > 999
  ) {
    throw new TypeError(`cannot encode ${parts.birthDate} serial ${parts.serial}`)
  }
  const centuryDigit = (Math.floor(year / 100) - 18) * 2 + (parts.sex === 'male' ? 1 : 2)
  const body =
    String(centuryDigit) +
    parts.birthDate.slice(2, 4) +
    parts.birthDate.slice(5, 7) +
    parts.birthDate.slice(8, 10) +
    String(parts.serial).padStart(3, '0')
  return body + String(computeCheckDigit(body))
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
}
