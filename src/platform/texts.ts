/**
 * The state's three languages and a module's texts in them. Every key a module uses exists in
 * all three (`TextCatalogue<Key>` makes a missing translation a `tsc` error).
 */
export const LANGUAGES = ['et', 'en', 'ru'] as const
export type Language = (typeof LANGUAGES)[number]
export const DEFAULT_LANGUAGE: Language = 'et'

/** One text in each language. */
export type Texts = Readonly<Record<Language, string>>

/** A module's catalogue of texts: every key in every language. */
export type TextCatalogue<Key extends string> = Readonly<
  Record<Language, Readonly<Record<Key, string>>>
>

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)
}

/** One key of a catalogue in every language (a field's label or message, say). */
export function textsOf<Key extends string>(catalogue: TextCatalogue<Key>, key: Key): Texts {
  return { et: catalogue.et[key], en: catalogue.en[key], ru: catalogue.ru[key] }
}
