/**
 * Which language a page is in: `?lang=xx` when given (and then remembered in a cookie), else the
 * remembered one, else Estonian. An unknown `?lang=` is a clear 400 page, never a guess.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  DEFAULT_LANGUAGE,
  LANGUAGES,
  PlatformError,
  isLanguage,
  type Language,
} from '../platform/index.ts'
import { readCookies, setCookie } from './cookies.ts'

export const LANGUAGE_COOKIE = '__Host-estate_lang'
export const LANGUAGE_PARAMETER = 'lang'

/** Each language by its own name, as a reader of it looks for it. */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = {
  et: 'Eesti',
  en: 'English',
  ru: 'Русский',
}

const YEAR = 365 * 24 * 3600

function queryLanguage(request: FastifyRequest): unknown {
  const value = (request.query as Record<string, unknown> | null | undefined)?.[LANGUAGE_PARAMETER]
  return Array.isArray(value) ? value[0] : value
}

/** The language of this request; throws LANGUAGE_UNKNOWN for a `?lang=` we do not speak. */
export function resolveLanguage(request: FastifyRequest): Language {
  const asked = queryLanguage(request)
  if (asked !== undefined) {
    if (!isLanguage(asked))
      throw new PlatformError('LANGUAGE_UNKNOWN', `no pages in the language "${String(asked)}"`, {
        languages: LANGUAGES,
      })
    return asked
  }
  return rememberedLanguage(request)
}

/** The remembered language (cookie), else the default: what an error page is written in. */
export function rememberedLanguage(request: FastifyRequest): Language {
  const remembered = readCookies(request).get(LANGUAGE_COOKIE)
  return isLanguage(remembered) ? remembered : DEFAULT_LANGUAGE
}

/** Remembers a language chosen with `?lang=` (a preference, not a secret: SameSite=Lax). */
export function rememberLanguage(request: FastifyRequest, reply: FastifyReply): void {
  const asked = queryLanguage(request)
  if (isLanguage(asked) && readCookies(request).get(LANGUAGE_COOKIE) !== asked)
    setCookie(reply, LANGUAGE_COOKIE, asked, {
      maxAgeSeconds: YEAR,
      httpOnly: true,
      sameSite: 'Lax',
    })
}

export interface LanguageLink {
  readonly language: Language
  readonly name: string
  readonly href: string
  readonly current: boolean
}

/** The same page in each language: the request's path and query with `lang` set. */
export function languageLinks(url: string, current: Language): readonly LanguageLink[] {
  const parsed = new URL(url, 'http://portal.invalid')
  // One leading slash: `//host` would be a link to another site.
  const path = parsed.pathname.replace(/^\/+/, '/')
  return LANGUAGES.map((language) => {
    const query = new URLSearchParams(parsed.searchParams)
    query.set(LANGUAGE_PARAMETER, language)
    return {
      language,
      name: LANGUAGE_NAMES[language],
      href: `${path}?${query.toString()}`,
      current: language === current,
    }
  })
}
