/**
 * Errors in the portal are pages, not problem documents: a person reads them. Each has its
 * stable code on the page (and in the log), a status from the catalogue, words in the reader's
 * language (the default one for LANGUAGE_UNKNOWN, whose `?lang=` we cannot honour), and never
 * a stack trace. An unexpected error is logged whole and shown as INTERNAL_ERROR.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { DEFAULT_LANGUAGE, PLATFORM_ERRORS, type Language } from '../platform/index.ts'
import { EStateError } from '../shared/index.ts'
import { rememberedLanguage, resolveLanguage } from './i18n.ts'
import type { Renderer } from './renderer.ts'
import { setPageHeaders, type Shell } from './shell.ts'
import type { ShellTextKey } from './texts/index.ts'

/** Statuses of codes the shell raises that are not the platform's own (identity's). */
const SHELL_STATUSES: Readonly<Record<string, number>> = {
  SESSION_REQUIRED: 401,
  ROLE_REQUIRED: 403,
}

type Words = readonly [title: ShellTextKey, text: ShellTextKey]

const WORDS_BY_CODE: Readonly<Record<string, Words>> = {
  CSRF_TOKEN_INVALID: ['errorCsrfTitle', 'errorCsrfText'],
  CROSS_SITE_REFUSED: ['errorCrossSiteTitle', 'errorCrossSiteText'],
  LANGUAGE_UNKNOWN: ['errorLanguageTitle', 'errorLanguageText'],
  SESSION_REQUIRED: ['errorSessionTitle', 'errorSessionText'],
  ROLE_REQUIRED: ['errorRoleTitle', 'errorRoleText'],
}

function wordsOf(code: string, status: number): Words {
  const words = WORDS_BY_CODE[code]
  if (words !== undefined) return words
  if (status === 503) return ['errorUnavailableTitle', 'errorUnavailableText']
  if (status >= 500) return ['errorInternalTitle', 'errorInternalText']
  return ['errorRequestTitle', 'errorRequestText']
}

/** Fastify's own refusals (body too large, a media type we do not parse) in our codes. */
function fastifyCodeOf(error: FastifyError): { code: string; status: number } | undefined {
  const status = error.statusCode
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined
  const code =
    error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? 'BODY_TOO_LARGE'
      : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'UNSUPPORTED_MEDIA_TYPE'
        : 'INVALID_INPUT'
  return { code, status }
}

export function classify(
  error: FastifyError,
  statuses: ReadonlyMap<string, number> | undefined,
): { code: string; status: number } {
  if (error instanceof EStateError) {
    const status =
      statuses?.get(error.code) ??
      (PLATFORM_ERRORS as Readonly<Record<string, number>>)[error.code] ??
      SHELL_STATUSES[error.code] ??
      500
    return { code: error.code, status }
  }
  return fastifyCodeOf(error) ?? { code: 'INTERNAL_ERROR', status: 500 }
}

function languageFor(request: FastifyRequest, code: string): Language {
  if (code === 'LANGUAGE_UNKNOWN') return DEFAULT_LANGUAGE
  try {
    return resolveLanguage(request)
  } catch {
    return rememberedLanguage(request)
  }
}

/** The last resort when the error page itself cannot be rendered: plain, still coded. */
function bareErrorPage(code: string): string {
  return `<!DOCTYPE html><html lang="et"><head><meta charset="utf-8"><title>e-state</title></head><body><h1>e-state</h1><p>${code.replace(/[^A-Z0-9_]/g, '')}</p></body></html>`
}

export function createErrorHandler(
  shell: Shell,
  renderer: Renderer,
  statuses: ReadonlyMap<string, number> | undefined,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (error, request, reply) => {
    const { code, status } = classify(error, statuses)
    if (status >= 500) request.log.error({ err: error, code }, 'portal page failed')
    else request.log.info({ code, status }, 'refused')
    const language = languageFor(request, code)
    const [title, text] = wordsOf(code, status)
    setPageHeaders(reply)
    reply.code(status).type('text/html; charset=utf-8')
    try {
      const person = await shell.session(request).catch(() => undefined)
      const layout = await shell.layoutContext(request, reply, language, person)
      const t = layout.t as Readonly<Record<ShellTextKey, string>>
      return reply.send(
        renderer.render('error.njk', {
          ...layout,
          scripts: [],
          pageTitle: t[title],
          code,
          title: t[title],
          text: t[text],
        }),
      )
    } catch (failure) {
      request.log.error({ err: failure }, 'portal error page failed')
      return reply.send(bareErrorPage(code))
    }
  }
}
