import { describe, expect, it } from 'vitest'
import { validateForm } from './forms.ts'

const fields = {
  name: { label: { et: 'Nimi', en: 'Name', ru: 'Имя' }, required: true, maxLength: 10 },
  code: {
    label: { et: 'Isikukood', en: 'Personal code', ru: 'Личный код' },
    pattern: /^\d{11}$/,
    messages: {
      FIELD_INVALID: {
        et: 'Isikukood on 11 numbrit',
        en: 'A personal code is 11 digits',
        ru: 'Личный код состоит из 11 цифр',
      },
    },
  },
  purpose: {
    label: { et: 'Eesmärk', en: 'Purpose', ru: 'Цель' },
    check: (value: string) => (value === 'curiosity' ? 'PURPOSE_NOT_LAWFUL' : undefined),
  },
  constructor: { label: { et: 'Ehitaja', en: 'Builder', ru: 'Строитель' } },
}

describe('validateForm', () => {
  it('accepts a good form and trims what was sent', () => {
    const result = validateForm({ name: ' Mari ', code: '48707032744' }, fields, 'et')
    expect(result).toEqual({
      ok: true,
      values: { name: 'Mari', code: '48707032744', purpose: '', constructor: '' },
    })
  })

  it('names each refused field with a stable code, in the order of the form', () => {
    const result = validateForm(
      { name: 'x'.repeat(11), code: '123', purpose: 'curiosity' },
      fields,
      'en',
    )
    if (result.ok) throw new Error('accepted a bad form')
    expect(result.errors.list.map((error) => [error.field, error.code])).toEqual([
      ['name', 'FIELD_TOO_LONG'],
      ['code', 'FIELD_INVALID'],
      ['purpose', 'PURPOSE_NOT_LAWFUL'],
    ])
    expect(result.values.code).toBe('123')
  })

  it("writes the summary and the field's message in the page's language", () => {
    const result = validateForm({ code: 'abc' }, fields, 'ru')
    if (result.ok) throw new Error('accepted a bad form')
    expect(result.errors.summary.titleText).toBe('Возникла проблема')
    expect(result.errors.summary.errorList).toEqual([
      {
        text: 'Имя: Это поле обязательно для заполнения',
        href: '#name',
        attributes: { 'data-code': 'FIELD_REQUIRED' },
      },
      {
        text: 'Личный код: Личный код состоит из 11 цифр',
        href: '#code',
        attributes: { 'data-code': 'FIELD_INVALID' },
      },
    ])
    expect(result.errors.fields.code).toEqual({
      text: 'Личный код состоит из 11 цифр',
      visuallyHiddenText: 'Ошибка',
      attributes: { 'data-code': 'FIELD_INVALID' },
    })
  })

  it('refuses a field sent twice, and reads nothing from the prototype', () => {
    const result = validateForm({ name: ['a', 'b'] }, fields, 'et')
    if (result.ok) throw new Error('accepted a repeated field')
    expect(result.errors.fields.name.attributes['data-code']).toBe('FIELD_INVALID')
    expect(result.values.constructor).toBe('')
    expect(result.errors.fields.constructor).toBe(undefined)
  })
})
