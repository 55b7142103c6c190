/**
 * The two fields every desk act's form starts with: the resident's personal code (checked, EVS
 * 585) and the clerk's word that they checked the resident's identity document. A module passes
 * its own words for them; the rules are the desk's, so every act asks the same way.
 */
import type { FormFields, Texts } from '../../platform/index.ts'
import { isPersonalCode } from '../../shared/index.ts'

export interface ResidentFieldWords {
  readonly residentCode: Texts
  readonly documentChecked: Texts
  /** When the code is not a valid personal code. */
  readonly codeInvalid: Texts
  /** When the document is not ticked as checked. */
  readonly mustCheck: Texts
}

export type ResidentField = 'personalCode' | 'documentChecked'

export function residentFields(words: ResidentFieldWords): FormFields<ResidentField> {
  return {
    personalCode: {
      label: words.residentCode,
      required: true,
      maxLength: 11,
      check: (value) => (isPersonalCode(value) ? undefined : 'PERSONAL_CODE_INVALID'),
      messages: { PERSONAL_CODE_INVALID: words.codeInvalid },
    },
    documentChecked: {
      label: words.documentChecked,
      required: true,
      check: (value) => (value === 'yes' ? undefined : 'DOCUMENT_NOT_CHECKED'),
      messages: { FIELD_REQUIRED: words.mustCheck, DOCUMENT_NOT_CHECKED: words.mustCheck },
    },
  }
}
