/**
 * The state portal: `registerPortal` mounts the shell in its own encapsulated Fastify scope, so
 * its form parser, its CSRF checks and its HTML error pages touch nothing else of the app (the
 * API keeps JSON and problem documents). Inside the scope: the shell's pages, the modules'
 * pages, the hashed static files, `/logout`, and whatever the root adds through `routes`.
 */
import formbody from '@fastify/formbody'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { browserBundle } from './assets.ts'
import { createCsrf, refuseCrossSite } from './csrf.ts'
import { createErrorHandler } from './errors-page.ts'
import { validateForm } from './forms.ts'
import type { PortalKit, PortalOptions, PortalPage } from './options.ts'
import type { PageOutcome } from '../platform/index.ts'
import { createRenderer } from './renderer.ts'
import { ASSET_PREFIX, shellAssets } from './shell-assets.ts'
import { LOGIN_SCRIPT_PREFIX, SHELL_VIEWS, registerShellPages } from './shell-pages.ts'
import { createShell, type Shell } from './shell.ts'

const HIDDEN = { schema: { hide: true } }
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function checkOptions(options: PortalOptions): URL {
  const url = new URL(options.publicUrl)
  // The portal's cookies are Secure and its forms bound to this origin: production needs TLS.
  if (options.environment === 'production' && url.protocol !== 'https:')
    throw new TypeError(`the portal needs an https public URL in production, not ${url.origin}`)
  return url
}

export async function registerPortal(
  app: FastifyInstance,
  options: PortalOptions,
): Promise<PortalKit> {
  const publicOrigin = checkOptions(options).origin
  const csrf = createCsrf(options.secret)
  const pages = options.pages ?? []
  const renderer = createRenderer({ folders: pages.flatMap((page) => page.templates ?? []) })
  renderer.compile(SHELL_VIEWS)
  const shell = createShell(options, renderer, csrf)
  // Build the stylesheet and the login script while the platform starts, so the first page
  // view does not wait; a failure shows in the log at once (and is retried on a page view).
  for (const build of [shellAssets, browserBundle])
    void build().catch((error: unknown) => app.log.error({ err: error }, 'portal assets failed'))

  void app.register(async (portal) => {
    await portal.register(formbody, { bodyLimit: options.formBodyLimit ?? 64 * 1024 })
    portal.setErrorHandler(createErrorHandler(shell, renderer, options.errorStatuses))
    // Another site's post is refused before its body is read; the token once it is parsed.
    portal.addHook('onRequest', async (request) => {
      if (!SAFE_METHODS.has(request.method)) refuseCrossSite(request, publicOrigin)
    })
    portal.addHook('preHandler', async (request) => {
      if (!SAFE_METHODS.has(request.method)) csrf.verify(request)
    })
    registerShellPages(portal, shell, options)
    for (const page of pages) registerModulePage(portal, shell, page)
    registerAssets(portal)
    const { logout } = options
    if (logout !== undefined)
      portal.post('/logout', HIDDEN, async (request, reply) => {
        await logout(request, reply)
        return reply.redirect('/', 303)
      })
    await options.routes?.(portal, shell)
  })
  return shell
}

function registerModulePage(portal: FastifyInstance, shell: Shell, page: PortalPage): void {
  const { render, submit } = page
  const answer = async (
    request: FastifyRequest,
    reply: FastifyReply,
    outcome: PageOutcome | undefined,
  ) => {
    if (outcome === undefined) return reply // the page sent its own reply
    if ('redirect' in outcome) return reply.redirect(localPath(outcome.redirect), 303)
    const title = page.title[shell.language(request)]
    const script =
      outcome.browserScript === true
        ? { scripts: [`${LOGIN_SCRIPT_PREFIX}${(await browserBundle()).etag}.js`], connects: true }
        : {}
    return shell.render(
      request,
      reply,
      outcome.template,
      { pageTitle: title, ...outcome.context },
      { status: outcome.status, ...script },
    )
  }
  if (render !== undefined)
    portal.get(page.path, HIDDEN, async (request, reply) => {
      const language = shell.language(request)
      await shell.requireAudience(request, page.audience)
      return answer(request, reply, await render({ request, reply, language }))
    })
  if (submit !== undefined)
    portal.post(page.path, HIDDEN, async (request, reply) => {
      const language = shell.language(request)
      await shell.requireAudience(request, page.audience)
      const form = (request.body ?? {}) as Readonly<Record<string, string | readonly string[]>>
      return answer(
        request,
        reply,
        await submit({
          request,
          reply,
          language,
          form,
          validate: (fields) => validateForm(form, fields, language),
        }),
      )
    })
}

/** A redirect stays on this site: `//host` or `/\host` would leave it. */
function localPath(path: string): string {
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\'))
    throw new TypeError(`a page may only redirect to a path of this site, not ${path}`)
  return path
}

function registerAssets(portal: FastifyInstance): void {
  portal.get(`${ASSET_PREFIX}:file`, HIDDEN, async (request, reply) => {
    const { file } = request.params as { file: string }
    const bundle = file.startsWith(LOGIN_SCRIPT_PREFIX.slice(ASSET_PREFIX.length))
      ? await browserBundle()
      : undefined
    const asset =
      bundle !== undefined && file === `app.${bundle.etag}.js`
        ? { body: bundle.code, type: 'text/javascript; charset=utf-8' }
        : (await shellAssets()).files.get(file)
    if (asset === undefined) return reply.callNotFound()
    // The name carries the content hash: a changed file is a new URL, so keep this one for good.
    return reply
      .type(asset.type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(asset.body)
  })
}
