import { describe, it, expect } from 'vitest'
import { ValidationError } from './errors.ts'
import { assertRegistryCode, formatRegistryCode, isRegistryCode } from './registry-code.ts'

// Independent reference: modulus 11, weights 1..7, then 3..9 when the first remainder is 10.
function referenceCheckDigit(body: string): number {
  const sum = (weights: number[]) =>
    [...body].reduce((total, digit, index) => total + Number(digit) * weights[index], 0)
  const first = sum([1, 2, 3, 4, 5, 6, 7]) % 11
  if (first !== 10) return first
  const second = sum([3, 4, 5, 6, 7, 8, 9]) % 11
  return second === 10 ? 0 : second
}

function rejection(action: () => unknown): ValidationError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError)
    return error as ValidationError
  }
  throw new Error('expected a ValidationError, but nothing was thrown')
}

// Real codes from the Estonian business register.
const REAL_CODES = [
  '10060701', // Swedbank AS
  '10004252', // AS SEB Pank
  '70006317', // Riigi Infosüsteemi Amet
  '75014913', // a local government
]

describe('assertRegistryCode', () => {
  it.each(REAL_CODES)('accepts and returns the real code %s', (code) => {
    expect(assertRegistryCode(code)).toBe(code)
    expect(isRegistryCode(code)).toBe(true)
  })

  it('rejects every wrong check digit with INVALID_REGISTRY_CODE and the field name', () => {
    for (const code of REAL_CODES) {
      for (let digit = 0; digit <= 9; digit++) {
        const candidate = code.slice(0, 7) + String(digit)
        if (candidate === code) continue
        const error = rejection(() => assertRegistryCode(candidate, 'employer'))
        expect(error.code).toBe('INVALID_REGISTRY_CODE')
        expect(error.details).toEqual({ field: 'employer' })
        expect(error.message).toMatch(/check digit/)
        expect(isRegistryCode(candidate)).toBe(false)
      }
    }
  })

  it('names the default field registryCode', () => {
    const error = rejection(() => assertRegistryCode('10060702'))
    expect(error.details).toEqual({ field: 'registryCode' })
    expect(error.message).toContain('registryCode')
  })

  it('uses the second weight round when the first leaves remainder 10', () => {
    // 1000006: 1 + 6·7 = 43, remainder 10; second round 3 + 6·9 = 57, remainder 2.
    expect(assertRegistryCode('10000062')).toBe('10000062')
    expect(isRegistryCode('10000060')).toBe(false)
    // 1000064: first 1 + 6·6 + 4·7 = 65 (remainder 10), second 3 + 6·8 + 4·9 = 87 (remainder 10): 0.
    expect(assertRegistryCode('10000640')).toBe('10000640')
    for (let digit = 1; digit <= 9; digit++) expect(isRegistryCode(`1000064${digit}`)).toBe(false)
  })

  it.each([
    ['seven digits', '1006070'],
    ['nine digits', '100607011'],
    ['empty', ''],
    ['first digit 0', `0123456${referenceCheckDigit('0123456')}`],
    ['a letter', '1006070A'],
    ['a space', '1006 0701'],
    ['a trailing newline', '10060701\n'],
    ['full-width digits', '１００６０７０１'],
  ])('rejects %s', (_name, code) => {
    const error = rejection(() => assertRegistryCode(code, 'company'))
    expect(error.code).toBe('INVALID_REGISTRY_CODE')
    expect(error.details).toEqual({ field: 'company' })
    expect(error.message).toMatch(/8 digits/)
    expect(isRegistryCode(code)).toBe(false)
  })

  it.each([
    ['a number', 10060701],
    ['null', null],
    ['undefined', undefined],
    ['an array', ['10060701']],
    ['a String object', new String('10060701')],
  ])('rejects %s', (_name, value) => {
    const error = rejection(() => assertRegistryCode(value, 'company'))
    expect(error.code).toBe('INVALID_REGISTRY_CODE')
    expect(error.details).toEqual({ field: 'company' })
    expect(isRegistryCode(value)).toBe(false)
  })
})

describe('formatRegistryCode', () => {
  it('completes the real codes', () => {
    for (const code of REAL_CODES) expect(formatRegistryCode(code.slice(0, 7))).toBe(code)
  })

  it('agrees with the reference and with assertRegistryCode over a sweep of bodies', () => {
    let secondRound = 0
    for (let body = 1_000_000; body <= 9_999_999; body += 997) {
      const digits = String(body)
      const code = formatRegistryCode(digits)
      expect(code).toBe(digits + String(referenceCheckDigit(digits)))
      expect(assertRegistryCode(code)).toBe(code)
      const wrong = digits + String((referenceCheckDigit(digits) + 1) % 10)
      expect(isRegistryCode(wrong)).toBe(false)
      const first = [...digits].reduce(
        (total, digit, index) => total + Number(digit) * (index + 1),
        0,
      )
      if (first % 11 === 10) secondRound++
    }
    expect(secondRound).toBeGreaterThan(100)
  })

  it.each([
    ['six digits', '100607'],
    ['eight digits', '10060701'],
    ['a leading zero', '0060701'],
    ['a letter', '100607A'],
    ['empty', ''],
  ])('refuses %s with a TypeError', (_name, body) => {
    expect(() => formatRegistryCode(body)).toThrow(TypeError)
  })
})
