import { describe, it, expect } from 'vitest'
import { ValidationError } from './errors.ts'
import { formatClientId, memberOf, parseClientId, type ClientId } from './exchange-id.ts'

function rejection(action: () => unknown): ValidationError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError)
    return error as ValidationError
  }
  throw new Error('expected a ValidationError, but nothing was thrown')
}

describe('parseClientId', () => {
  it('reads a subsystem client', () => {
    const id = parseClientId('EE/GOV/70000012/population-register', 'client')
    expect(id).toEqual({
      instance: 'EE',
      memberClass: 'GOV',
      memberCode: '70000012',
      subsystem: 'population-register',
    })
  })

  it('reads a member without a subsystem and leaves the subsystem key out', () => {
    const id = parseClientId('EE/GOV/70000012', 'client')
    expect(id).toEqual({ instance: 'EE', memberClass: 'GOV', memberCode: '70000012' })
    expect('subsystem' in id).toBe(false)
  })

  it('accepts the whole allowed alphabet: letters, digits, dot, underscore, colon, dash', () => {
    const part = 'Az09._:-'
    expect(parseClientId(`${part}/${part}/${part}/${part}`, 'client')).toEqual({
      instance: part,
      memberClass: part,
      memberCode: part,
      subsystem: part,
    })
  })

  it('accepts parts of exactly 255 characters', () => {
    const part = 'a'.repeat(255)
    expect(parseClientId(`EE/GOV/${part}/${part}`, 'client').subsystem).toHaveLength(255)
  })

  it('refuses parts made only of dots, which would mean something else in a path', () => {
    for (const id of ['EE/GOV/../.', 'EE/GOV/70000007/..', 'EE/./70000007', '../GOV/70000007']) {
      expect(() => parseClientId(id, 'client')).toThrow(
        expect.objectContaining({ code: 'INVALID_IDENTIFIER' }),
      )
    }
    expect(parseClientId('EE/GOV/70000007/a.b', 'client').subsystem).toBe('a.b')
  })

  it.each([
    ['one part', 'EE'],
    ['two parts', 'EE/GOV'],
    ['five parts', 'EE/GOV/70000012/population-register/extra'],
    ['the empty string', ''],
    ['an empty instance', '/GOV/70000012'],
    ['an empty member code', 'EE/GOV//population-register'],
    ['an empty subsystem (trailing slash)', 'EE/GOV/70000012/'],
    ['a doubled slash', 'EE//GOV/70000012'],
    ['a leading slash', '/EE/GOV/70000012'],
    ['a space', 'EE/GOV/70000012/population register'],
    ['a leading space', ' EE/GOV/70000012'],
    ['a tab', 'EE/GOV/70000012/population\tregister'],
    ['a trailing newline', 'EE/GOV/70000012\n'],
    ['a NUL byte', 'EE/GOV/70000012\u0000'],
    ['a DEL character', 'EE/GOV/70000012\u007f'],
    ['an escaped slash %2F', 'EE/GOV/70000012%2Fpopulation-register'],
    ['a backslash', 'EE/GOV/70000012\\population-register'],
    ['a non-ASCII letter', 'EE/GOV/70000012/rahvastikuregistri-päring'],
    ['a 256-character instance', `${'E'.repeat(256)}/GOV/70000012`],
    ['a 256-character subsystem', `EE/GOV/70000012/${'s'.repeat(256)}`],
  ])('rejects %s', (_name, value) => {
    const error = rejection(() => parseClientId(value, 'xRoadClient'))
    expect(error.code).toBe('INVALID_IDENTIFIER')
    expect(error.details).toEqual({ field: 'xRoadClient' })
    expect(error.message).toContain('xRoadClient')
  })

  it.each([
    ['a number', 70000012],
    ['null', null],
    ['undefined', undefined],
    ['an array of parts', ['EE', 'GOV', '70000012']],
    ['an object', { instance: 'EE', memberClass: 'GOV', memberCode: '70000012' }],
  ])('rejects %s', (_name, value) => {
    expect(rejection(() => parseClientId(value, 'client')).code).toBe('INVALID_IDENTIFIER')
  })
})

describe('formatClientId', () => {
  it.each([
    'EE/GOV/70000012/population-register',
    'EE/GOV/70000012',
    'ee-test/COM/10060701/x.y_z:1',
  ])('round-trips %s', (text) => {
    expect(formatClientId(parseClientId(text, 'client'))).toBe(text)
  })

  it('round-trips a structured id through text', () => {
    const ids: ClientId[] = [
      { instance: 'EE', memberClass: 'GOV', memberCode: '70006317', subsystem: 'ria' },
      { instance: 'EE', memberClass: 'NGO', memberCode: '80000000' },
    ]
    for (const id of ids) expect(parseClientId(formatClientId(id), 'client')).toEqual(id)
  })

  it('memberOf drops the subsystem', () => {
    const id = parseClientId('EE/GOV/70000012/population-register', 'client')
    expect(memberOf(id)).toBe('EE/GOV/70000012')
    expect(memberOf(parseClientId('EE/GOV/70000012', 'client'))).toBe('EE/GOV/70000012')
  })
})
