/**
 * Checking a posted form and showing what is wrong the design system's way: an error summary at
 * the top linking to each field, and the message again next to the field. Every refusal has a
 * stable code (`FIELD_REQUIRED`, `FIELD_TOO_LONG`, `FIELD_INVALID` or the module's own), put in
 * the page as `data-code`, so tests and assistive tools need not read the words.
 */
import type { Language } from '../platform/index.ts'
import type {
  FieldError,
  FieldRule,
  FormErrors,
  FormFields,
  FormResult,
} from '../platform/index.ts'
import { shellTexts, type ShellTextKey } from './texts/index.ts'

const DEFAULT_MAX_LENGTH = 1000

const GENERIC: Readonly<Record<string, ShellTextKey>> = {
  FIELD_REQUIRED: 'formFieldRequired',
  FIELD_TOO_LONG: 'formFieldTooLong',
  FIELD_INVALID: 'formFieldInvalid',
}

/** The code a value fails with, or undefined when the rule accepts it. */
function refusalOf(rule: FieldRule, sent: unknown): string | undefined {
  // A field sent twice, or as anything but text, is not what our own form sends.
  if (sent !== undefined && typeof sent !== 'string') return 'FIELD_INVALID'
  const value = (sent ?? '').trim()
  if (value === '') return rule.required === true ? 'FIELD_REQUIRED' : undefined
  if (value.length > (rule.maxLength ?? DEFAULT_MAX_LENGTH)) return 'FIELD_TOO_LONG'
  if (rule.pattern !== undefined && !rule.pattern.test(value)) return 'FIELD_INVALID'
  return rule.check?.(value)
}

function errorOf(field: string, rule: FieldRule, code: string, language: Language): FieldError {
  const own = rule.messages?.[code]?.[language]
  if (own !== undefined) return { field, code, message: own }
  const texts = shellTexts(language)
  return { field, code, message: texts[GENERIC[code] ?? 'formFieldInvalid'] }
}

/** The view of a form's errors, for `govukErrorSummary` and each field's `errorMessage`. */
export function formErrorsView(
  errors: readonly FieldError[],
  fields: FormFields<string>,
  language: Language,
): FormErrors {
  const code = (error: FieldError) => ({ 'data-code': error.code })
  return {
    list: errors,
    summary: {
      titleText: shellTexts(language).errorSummaryTitle,
      errorList: errors.map((error) => ({
        // The summary stands apart from the field, so it names the field.
        text: `${fields[error.field]?.label[language] ?? error.field}: ${error.message}`,
        href: `#${error.field}`,
        attributes: code(error),
      })),
    },
    // Without a prototype: a template asking for `fields.constructor` must find nothing.
    fields: Object.assign(
      Object.create(null) as Record<string, never>,
      Object.fromEntries(
        errors.map((error) => [
          error.field,
          {
            text: error.message,
            visuallyHiddenText: shellTexts(language).errorPrefix,
            attributes: code(error),
          },
        ]),
      ),
    ),
  }
}

/** Checks `form` (a parsed urlencoded body) against each field's rule, in declaration order. */
export function validateForm<Field extends string>(
  form: unknown,
  fields: FormFields<Field>,
  language: Language,
): FormResult<Field> {
  const sent = (form !== null && typeof form === 'object' ? form : {}) as Record<string, unknown>
  const values = Object.create(null) as Record<Field, string>
  const errors: FieldError[] = []
  for (const field of Object.keys(fields) as Field[]) {
    const rule = fields[field]
    const value = Object.hasOwn(sent, field) ? sent[field] : undefined
    values[field] = typeof value === 'string' ? value.trim() : ''
    const code = refusalOf(rule, value)
    if (code !== undefined) errors.push(errorOf(field, rule, code, language))
  }
  if (errors.length === 0) return { ok: true, values }
  return { ok: false, values, errors: formErrorsView(errors, fields, language) }
}
