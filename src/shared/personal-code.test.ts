import { describe, it, expect } from 'vitest'
import { EStateError, ValidationError } from './errors.ts'
import {
  formatPersonalCode,
  isPersonalCode,
  parsePersonalCode,
  type PersonalCodeParts,
  type Sex,
} from './personal-code.ts'

// An independent reference for the EVS 585 check digit, written from the standard's text, so the
// tests do not trust the implementation they check.
function referenceCheckDigit(body: string): number {
  const sum = (weights: number[]) =>
    [...body].reduce((total, digit, index) => total + Number(digit) * weights[index], 0)
  const first = sum([1, 2, 3, 4, 5, 6, 7, 8, 9, 1]) % 11
  if (first !== 10) return first
  const second = sum([3, 4, 5, 6, 7, 8, 9, 1, 2, 3]) % 11
  return second === 10 ? 0 : second
}

/** A body completed with its correct check digit, whatever the body says. */
function withCheckDigit(body: string): string {
  return body + String(referenceCheckDigit(body))
}

function firstWeightRemainder(body: string): number {
  const weights = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1]
  return [...body].reduce((total, digit, index) => total + Number(digit) * weights[index], 0) % 11
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

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

describe('parsePersonalCode', () => {
  it.each([
    ['38001085718', { sex: 'male', birthDate: '1980-01-08', serial: 571 }],
    ['48707032744', { sex: 'female', birthDate: '1987-07-03', serial: 274 }],
    ['39001010000', { sex: 'male', birthDate: '1990-01-01', serial: 0 }],
    ['60001019906', { sex: 'female', birthDate: '2000-01-01', serial: 990 }],
  ])('reads sex, birth date and serial from %s', (code, parts) => {
    expect(parsePersonalCode(code)).toEqual(parts)
    expect(isPersonalCode(code)).toBe(true)
  })

  it('maps the first digit to the century and sex', () => {
    const expected: Array<[string, Sex, string]> = [
      ['1', 'male', '1801'],
      ['2', 'female', '1801'],
      ['3', 'male', '1901'],
      ['4', 'female', '1901'],
      ['5', 'male', '2001'],
      ['6', 'female', '2001'],
      ['7', 'male', '2101'],
      ['8', 'female', '2101'],
    ]
    for (const [digit, sex, year] of expected) {
      const parts = parsePersonalCode(withCheckDigit(`${digit}010203004`))
      expect(parts).toEqual({ sex, birthDate: `${year}-02-03`, serial: 4 })
    }
  })

  it('rejects every wrong check digit with INVALID_PERSONAL_CODE and the field name', () => {
    for (const valid of ['38001085718', '48707032744', '39001010000', '60001019906']) {
      const body = valid.slice(0, 10)
      for (let digit = 0; digit <= 9; digit++) {
        if (String(digit) === valid[10]) continue
        const error = rejection(() => parsePersonalCode(body + String(digit), 'applicant'))
        expect(error).toBeInstanceOf(EStateError)
        expect(error.code).toBe('INVALID_PERSONAL_CODE')
        expect(error.details).toEqual({ field: 'applicant' })
        expect(error.message).toMatch(/check digit/)
        expect(isPersonalCode(body + String(digit))).toBe(false)
      }
    }
  })

  it('names the default field personalCode', () => {
    const error = rejection(() => parsePersonalCode('38001085719'))
    expect(error.details.field).toBe('personalCode')
    expect(error.message).toContain('personalCode')
  })

  describe('the second weight round', () => {
    // 3800108007: 3+16+0+0+5+0+56+0+0+7 = 87, and 87 mod 11 = 10, so the second round decides.
    it('is used when the first weighted sum leaves remainder 10', () => {
      expect(firstWeightRemainder('3800108007')).toBe(10)
      expect(parsePersonalCode('38001080079')).toEqual({
        sex: 'male',
        birthDate: '1980-01-08',
        serial: 7,
      })
      // A naive implementation that maps the first remainder 10 straight to 0 would accept this.
      expect(rejection(() => parsePersonalCode('38001080070')).code).toBe('INVALID_PERSONAL_CODE')
    })

    it('falls back to 0 when the second round also leaves remainder 10', () => {
      // 5000101004: first round 5+5+7+4 = 21 (remainder 10), second 15+7+9+12 = 43 (remainder 10).
      expect(firstWeightRemainder('5000101004')).toBe(10)
      expect(parsePersonalCode('50001010040')).toEqual({
        sex: 'male',
        birthDate: '2000-01-01',
        serial: 4,
      })
      for (let digit = 1; digit <= 9; digit++) {
        expect(isPersonalCode(`5000101004${digit}`)).toBe(false)
      }
    })

    it('agrees with the reference on every serial of a day', () => {
      let secondRound = 0
      for (let serial = 0; serial <= 999; serial++) {
        const body = `4870703${String(serial).padStart(3, '0')}`
        if (firstWeightRemainder(body) === 10) secondRound++
        const code = withCheckDigit(body)
        expect(parsePersonalCode(code).serial).toBe(serial)
        const wrong = body + String((referenceCheckDigit(body) + 1) % 10)
        expect(isPersonalCode(wrong)).toBe(false)
      }
      expect(secondRound).toBeGreaterThan(50)
    })
  })

  describe('birth dates', () => {
    it.each([
      ['February 30', '3800230'],
      ['February 31', '3800231'],
      ['April 31', '3800431'],
      ['month 13', '3801301'],
      ['month 00', '3800001'],
      ['day 00', '3800100'],
      ['day 32', '3800132'],
      ['29 February 1900 (not a leap year)', '3000229'],
      ['29 February 2100 (not a leap year)', '7000229'],
      ['29 February 1800 (not a leap year)', '1000229'],
      ['29 February 1981', '3810229'],
    ])('rejects %s even with a correct check digit', (_name, prefix) => {
      const code = withCheckDigit(`${prefix}001`)
      const error = rejection(() => parsePersonalCode(code, 'child'))
      expect(error.code).toBe('INVALID_PERSONAL_CODE')
      expect(error.details).toEqual({ field: 'child' })
      expect(error.message).toMatch(/birth date/)
    })

    it.each([
      ['29 February 2000 (divisible by 400)', '5000229', '2000-02-29'],
      ['29 February 1904', '3040229', '1904-02-29'],
      ['29 February 1804', '1040229', '1804-02-29'],
      ['29 February 2196', '7960229', '2196-02-29'],
      ['31 December 2199', '8991231', '2199-12-31'],
      ['1 January 1800', '1000101', '1800-01-01'],
    ])('accepts %s', (_name, prefix, birthDate) => {
      expect(parsePersonalCode(withCheckDigit(`${prefix}123`)).birthDate).toBe(birthDate)
    })
  })

  describe('shape', () => {
    it.each([
      ['ten digits', '3800108571'],
      ['twelve digits', '380010857180'],
      ['empty', ''],
      ['a letter', '3800108571A'],
      ['a leading space', ' 38001085718'],
      ['a trailing space', '38001085718 '],
      ['a trailing newline', '38001085718\n'],
      ['a dash', '380010-5718'],
      ['full-width digits', '３８００１０８５７１８'],
      ['first digit 0', withCheckDigit('0800108571')],
      ['first digit 9', withCheckDigit('9800108571')],
    ])('rejects %s', (_name, code) => {
      const error = rejection(() => parsePersonalCode(code))
      expect(error.code).toBe('INVALID_PERSONAL_CODE')
      expect(error.details).toEqual({ field: 'personalCode' })
      expect(isPersonalCode(code)).toBe(false)
    })

    it.each([
      ['a number', 38001085718],
      ['a bigint', 38001085718n],
      ['null', null],
      ['undefined', undefined],
      ['an object', { code: '38001085718' }],
      ['an array', ['38001085718']],
      ['a String object', new String('38001085718')],
    ])('rejects %s', (_name, value) => {
      const error = rejection(() => parsePersonalCode(value, 'subject'))
      expect(error.code).toBe('INVALID_PERSONAL_CODE')
      expect(error.details).toEqual({ field: 'subject' })
      expect(isPersonalCode(value)).toBe(false)
    })
  })
})

describe('formatPersonalCode', () => {
  it('builds the known code for a known person', () => {
    expect(formatPersonalCode({ sex: 'male', birthDate: '1980-01-08', serial: 571 })).toBe(
      '38001085718',
    )
    expect(formatPersonalCode({ sex: 'female', birthDate: '1987-07-03', serial: 274 })).toBe(
      '48707032744',
    )
    expect(formatPersonalCode({ sex: 'male', birthDate: '1980-01-08', serial: 7 })).toBe(
      '38001080079',
    )
  })

  it('round-trips through parsePersonalCode for every year 1800-2199 and both sexes', () => {
    let checked = 0
    for (let year = 1800; year <= 2199; year++) {
      const month = (year % 12) + 1
      const days = [1, 28, new Date(Date.UTC(year, month, 0)).getUTCDate()]
      if (isLeap(year)) days.push(-1) // 29 February
      for (const sex of ['male', 'female'] as const) {
        for (const [index, day] of days.entries()) {
          const birthDate =
            day === -1
              ? `${year}-02-29`
              : `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
          const serial = (year * 7 + index * 331 + (sex === 'male' ? 0 : 500)) % 1000
          const parts: PersonalCodeParts = { sex, birthDate, serial }
          const code = formatPersonalCode(parts)
          expect(code).toMatch(/^[1-8]\d{10}$/)
          expect(Number(code[0])).toBe((Math.floor(year / 100) - 18) * 2 + (sex === 'male' ? 1 : 2))
          expect(code.slice(10)).toBe(String(referenceCheckDigit(code.slice(0, 10))))
          expect(parsePersonalCode(code)).toEqual(parts)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(2400)
  })

  it('encodes the serial with leading zeros, 0 through 999', () => {
    for (const serial of [0, 1, 9, 10, 99, 100, 999]) {
      const code = formatPersonalCode({ sex: 'female', birthDate: '2024-02-29', serial })
      expect(code.slice(7, 10)).toBe(String(serial).padStart(3, '0'))
      expect(parsePersonalCode(code).serial).toBe(serial)
    }
  })

  it.each([
    ['a year before 1800', { sex: 'male', birthDate: '1799-12-31', serial: 1 }],
    ['a year after 2199', { sex: 'female', birthDate: '2200-01-01', serial: 1 }],
    ['a negative serial', { sex: 'male', birthDate: '1980-01-08', serial: -1 }],
    ['a serial above 999', { sex: 'male', birthDate: '1980-01-08', serial: 1000 }],
  ] satisfies Array<[string, PersonalCodeParts]>)('refuses %s with a TypeError', (_name, parts) => {
    expect(() => formatPersonalCode(parts)).toThrow(TypeError)
  })

  // The doc comment promises "Builds a valid code"; these inputs pass the range checks and come
  // back as strings that parsePersonalCode rejects. They should be refused like the ones above.
  it.each([
    ['a fractional serial', { sex: 'male', birthDate: '1980-01-08', serial: 1.5 }],
    ['a NaN serial', { sex: 'male', birthDate: '1980-01-08', serial: Number.NaN }],
    ['a date that does not exist', { sex: 'male', birthDate: '1900-02-29', serial: 1 }],
    ['month 13', { sex: 'female', birthDate: '1980-13-01', serial: 1 }],
    ['a date without zero padding', { sex: 'male', birthDate: '1980-1-8', serial: 1 }],
    ['a non-numeric year', { sex: 'male', birthDate: 'abcd-01-08', serial: 1 }],
  ] satisfies Array<[string, PersonalCodeParts]>)(
    'never returns an invalid code for %s',
    (_name, parts) => {
      let code: string | undefined
      try {
        code = formatPersonalCode(parts)
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError)
        return
      }
      expect(isPersonalCode(code), `formatPersonalCode returned ${code}`).toBe(true)
    },
  )
})
