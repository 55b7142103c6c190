import type { FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { LANGUAGES } from '../platform/index.ts'
import { LANGUAGE_COOKIE, languageLinks, resolveLanguage } from './i18n.ts'
import { SHELL_TEXTS } from './texts/index.ts'

const request = (query: Record<string, unknown>, cookie?: string) =>
  ({ query, headers: cookie === undefined ? {} : { cookie } }) as unknown as FastifyRequest

describe('the language of a page', () => {
  it('is ?lang= first, then the remembered one, then Estonian', () => {
    expect(resolveLanguage(request({ lang: 'ru' }, `${LANGUAGE_COOKIE}=en`))).toBe('ru')
    expect(resolveLanguage(request({}, `${LANGUAGE_COOKIE}=en`))).toBe('en')
    expect(resolveLanguage(request({}))).toBe('et')
    expect(resolveLanguage(request({}, `${LANGUAGE_COOKIE}=de`))).toBe('et')
  })

  it('refuses a ?lang= it does not speak with LANGUAGE_UNKNOWN', () => {
    for (const lang of ['de', '', 'EN', 'et-EE'])
      expect(() => resolveLanguage(request({ lang }))).toThrow(
        expect.objectContaining({ code: 'LANGUAGE_UNKNOWN' }),
      )
  })

  it('links the same page in each language, keeping the rest of the query', () => {
    const links = languageLinks('/tracker?page=2&lang=en', 'en')
    expect(links.map((link) => [link.language, link.href, link.current])).toEqual([
      ['et', '/tracker?page=2&lang=et', false],
      ['en', '/tracker?page=2&lang=en', true],
      ['ru', '/tracker?page=2&lang=ru', false],
    ])
  })

  it('never links to another host, whatever the path looks like', () => {
    for (const link of languageLinks('/.//evil.example/x', 'et'))
      expect(link.href.startsWith('//')).toBe(false)
  })
})

describe("the shell's texts", () => {
  const keys = Object.keys(SHELL_TEXTS.en) as (keyof typeof SHELL_TEXTS.en)[]

  it('has every text in every language, none empty', () => {
    for (const language of LANGUAGES) {
      expect(Object.keys(SHELL_TEXTS[language]).sort()).toEqual([...keys].sort())
      for (const key of keys) expect(SHELL_TEXTS[language][key].trim()).not.toBe('')
    }
  })

  it('is translated, not copied: Estonian and Russian differ from English', () => {
    for (const key of keys) {
      expect(SHELL_TEXTS.et[key], key).not.toBe(SHELL_TEXTS.en[key])
      expect(SHELL_TEXTS.ru[key], key).not.toBe(SHELL_TEXTS.en[key])
    }
    // Russian is written in Cyrillic, and Estonian with its own letters somewhere.
    expect(SHELL_TEXTS.ru.frontLead).toMatch(/[а-яё]/)
    expect(Object.values(SHELL_TEXTS.et).join(' ')).toMatch(/[õäöü]/)
  })
})
