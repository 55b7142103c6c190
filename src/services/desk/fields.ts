/**
 * The two fields every desk act's form starts with: the resident's personal code (checked, EVS
 * 585) and the clerk's word that they checked the resident's identity document. A module passes
 * its own text catalogue holding their words; the rules are the desk's, so every act asks the
 * same way.
 */
import { textsOf, type FormFields, type TextCatalogue } from '../../platform/index.ts'
import { isPersonalCode } from '../../shared/index.ts'

/**
 * The words the fields need from the module's catalogue: the two labels, `codeInvalid` (not a
 * valid personal code) and `mustCheck` (the document not ticked as checked).
 */
export type ResidentFieldWords = TextCatalogue<
  'residentCode' | 'documentChecked' | 'codeInvalid' | 'mustCheck'
>

export type ResidentField = 'personalCode' | 'documentChecked'

export function residentFields(words: ResidentFieldWords): FormFields<ResidentField> {
  const mustCheck = textsOf(words, 'mustCheck')
  return {
    personalCode: {
      label: textsOf(words, 'residentCode'),
      required: true,
      maxLength: 11,
      check: (value) => (isPersonalCode(value) ? undefined : 'PERSONAL_CODE_INVALID'),
      messages: { PERSONAL_CODE_INVALID: textsOf(words, 'codeInvalid') },
    },
    documentChecked: {
      label: textsOf(words, 'documentChecked'),
      required: true,
      check: (value) => (value === 'yes' ? undefined : 'DOCUMENT_NOT_CHECKED'),
      messages: { FIELD_REQUIRED: mustCheck, DOCUMENT_NOT_CHECKED: mustCheck },
    },
  }
}
