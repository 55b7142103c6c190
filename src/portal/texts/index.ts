/**
 * The shell's texts in the state's three languages. The English file names the keys; each other
 * language is typed with all of them, so a missing or a stray translation fails `tsc`.
 */
import type { Language, TextCatalogue } from '../../platform/index.ts'
import { en } from './en.ts'
import { et } from './et.ts'
import { ru } from './ru.ts'

export type ShellTextKey = keyof typeof en
export type ShellTexts = Readonly<Record<ShellTextKey, string>>

export const SHELL_TEXTS: TextCatalogue<ShellTextKey> = { et, en, ru }

export function shellTexts(language: Language): ShellTexts {
  return SHELL_TEXTS[language]
}
