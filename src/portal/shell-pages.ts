/**
 * The shell's own pages: the front page, the plain-words pages on the ledger and the trust
 * services (with links to their raw files), and the e-ID login. Each reads without JavaScript
 * except the login, whose signing is done by the browser.
 */
import type { FastifyInstance } from 'fastify'
import { browserBundle } from './assets.ts'
import type { PortalOptions } from './options.ts'
import { frontPageServices } from './services.ts'
import type { Shell } from './shell.ts'
import { shellTexts } from './texts/index.ts'

export const SHELL_VIEWS = ['front.njk', 'ledger.njk', 'trust.njk', 'login.njk', 'error.njk']

const HIDDEN = { schema: { hide: true } }

export function registerShellPages(
  portal: FastifyInstance,
  shell: Shell,
  options: PortalOptions,
): void {
  portal.get('/', HIDDEN, async (request, reply) => {
    const language = shell.language(request)
    return shell.render(request, reply, 'front.njk', {
      pageTitle: shellTexts(language).frontTitle,
      services: frontPageServices(options.pages ?? [], language, options.servicePaths),
    })
  })

  portal.get('/ledger', HIDDEN, async (request, reply) => {
    const language = shell.language(request)
    return shell.render(request, reply, 'ledger.njk', {
      pageTitle: shellTexts(language).ledgerTitle,
      showCheckpoint: options.checkpoint !== undefined,
      checkpoint: await currentCheckpoint(options, (error) =>
        request.log.warn({ err: error }, 'the ledger page could not read the checkpoint'),
      ),
    })
  })

  portal.get('/trust', HIDDEN, async (request, reply) => {
    const language = shell.language(request)
    return shell.render(request, reply, 'trust.njk', {
      pageTitle: shellTexts(language).trustTitle,
      authorities: ['root', 'citizen', 'eseal', 'tls', 'tsa'],
      revocationLists: ['citizen', 'eseal', 'tls'],
    })
  })

  portal.get('/login', HIDDEN, async (request, reply) => {
    const language = shell.language(request)
    const { etag } = await browserBundle()
    return shell.render(
      request,
      reply,
      'login.njk',
      { pageTitle: shellTexts(language).loginTitle },
      // The login's script fetches the challenge and posts the signed token.
      { scripts: [`${LOGIN_SCRIPT_PREFIX}${etag}.js`], connects: true },
    )
  })
}

/** The login bundle's URL: its content hash in the name, like the shell's other assets. */
export const LOGIN_SCRIPT_PREFIX = '/portal/assets/app.'

/** The checkpoint's text; the page still answers (without it) when the ledger cannot. */
async function currentCheckpoint(
  options: PortalOptions,
  warn: (error: unknown) => void,
): Promise<string | undefined> {
  try {
    return await options.checkpoint?.()
  } catch (error) {
    warn(error)
    return undefined
  }
}
