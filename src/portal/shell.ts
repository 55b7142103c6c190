/**
 * The shell around every page: the layout's context (language and its texts, the language
 * switch, the navigation, who is logged in, the CSRF token, the stylesheet and scripts), the
 * security headers, and the kit route handlers render with.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Audience, Language } from '../platform/index.ts'
import { EStateError } from '../shared/index.ts'
import type { Csrf } from './csrf.ts'
import { validateForm } from './forms.ts'
import { languageLinks, rememberLanguage, resolveLanguage } from './i18n.ts'
import type { PortalKit, PortalOptions, PortalSession, RenderOptions } from './options.ts'
import type { Renderer } from './renderer.ts'
import { shellAssets } from './shell-assets.ts'
import { shellTexts } from './texts/index.ts'

/** The strict policy of every page: our own files only, no inline script or style. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
/** A page whose script talks to the server (the e-ID login) may also connect to us. */
const CONNECTING_CSP = `${PAGE_CSP}; connect-src 'self'`

export function setPageHeaders(reply: FastifyReply, connects = false): void {
  reply
    .header('content-security-policy', connects ? CONNECTING_CSP : PAGE_CSP)
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    // A page names the person and carries their form token: never stored on the way.
    .header('cache-control', 'no-store')
}

export interface Shell extends PortalKit {
  /** The layout's context for a page in `language` (used for error pages too). */
  layoutContext(
    request: FastifyRequest,
    reply: FastifyReply,
    language: Language,
    session: PortalSession | undefined,
  ): Promise<Record<string, unknown>>
}

export function createShell(options: PortalOptions, renderer: Renderer, csrf: Csrf): Shell {
  const pages = options.pages ?? []
  const development = options.environment !== 'production'

  const navigationOf = (path: string, language: Language) => {
    const t = shellTexts(language)
    const items = [
      { href: '/', text: t.navFront },
      ...pages
        .filter((page) => page.listed)
        .map((page) => ({ href: page.path, text: page.title[language] })),
      { href: '/ledger', text: t.navLedger },
      { href: '/trust', text: t.navTrust },
      { href: '/docs', text: t.navDocs },
    ]
    return items.map((item) => ({ ...item, current: item.href === path }))
  }

  // Looked up once per request (the audience check and the header both ask).
  const sessions = new WeakMap<FastifyRequest, Promise<PortalSession | undefined>>()
  const session = (request: FastifyRequest): Promise<PortalSession | undefined> => {
    let found = sessions.get(request)
    if (found === undefined) {
      // Called inside a promise: a lookup that throws at once (the platform not started yet)
      // rejects like one that fails later, so the callers' `.catch` sees both.
      found = new Promise<PortalSession | undefined>((resolve) =>
        resolve(options.session?.(request)),
      )
      sessions.set(request, found)
    }
    return found
  }

  const shell: Shell = {
    language: resolveLanguage,
    session,
    async requireAudience(request, audience: Audience) {
      if (audience === 'public') return session(request).catch(() => undefined)
      const person = await session(request)
      // Identity's codes (401 and 403), raised here for the shell's pages.
      if (person === undefined)
        throw new EStateError('SESSION_REQUIRED', 'log in with your e-ID first')
      const audiences = person.audiences ?? ['resident']
      if (audience !== 'resident' && !audiences.includes(audience))
        throw new EStateError('ROLE_REQUIRED', `this page is for the ${audience} role`)
      return person
    },
    async layoutContext(request, reply, language, person) {
      const assets = await shellAssets()
      const path = request.url.split('?')[0]
      const links = languageLinks(request.url, language)
      return {
        language,
        t: shellTexts(language),
        assets: { stylesheet: assets.stylesheet, script: assets.script, icon: assets.icon },
        languageLinks: links,
        // Every language is a link (choosing the current one remembers it), the current marked.
        languageItems: links.map((link) => ({
          href: link.href,
          text: link.name,
          lang: link.language,
          attributes: link.current ? { 'aria-current': 'true' } : {},
        })),
        navigation: navigationOf(path, language),
        session:
          person === undefined
            ? undefined
            : { name: `${person.givenName} ${person.surname}`, personalCode: person.personalCode },
        canLogOut: person !== undefined && options.logout !== undefined,
        csrfToken: csrf.tokenFor(request, reply),
        development,
      }
    },
    async render(request, reply, template, context, renderOptions: RenderOptions = {}) {
      const language = resolveLanguage(request)
      rememberLanguage(request, reply)
      // Only the header reads it here: a public page still answers when the session store
      // cannot (while the node starts); pages that need a person asked requireAudience first.
      const person = await session(request).catch((error: unknown) => {
        request.log.warn({ err: error }, 'the portal header could not read the session')
        return undefined
      })
      const layout = await shell.layoutContext(request, reply, language, person)
      const html = renderer.render(template, {
        ...context,
        ...layout,
        scripts: renderOptions.scripts ?? [],
      })
      setPageHeaders(reply, renderOptions.connects)
      return reply
        .code(renderOptions.status ?? 200)
        .type('text/html; charset=utf-8')
        .send(html)
    },
    validate: (request, fields) => validateForm(request.body, fields, resolveLanguage(request)),
  }
  return shell
}
