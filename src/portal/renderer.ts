/**
 * The page renderer: one Nunjucks environment over the portal's own views, govuk-frontend's
 * component macros (`govuk/components/<name>/macro.njk`) and the modules' template folders, in
 * that order, so a module can neither shadow the layout nor a component. Output is escaped
 * unless a template says `| safe`; compiled templates are kept (the loader's cache, never
 * watching the disk).
 */
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join } from 'node:path'
import nunjucks from 'nunjucks'
import { CSRF_FIELD } from './csrf.ts'

export const VIEWS = join(import.meta.dirname, 'views')

/** govuk-frontend's `dist/` folder, found as Node finds the package. */
export const GOVUK_DIST = join(
  dirname(createRequire(import.meta.url).resolve('govuk-frontend/package.json')),
  'dist',
)

export interface Renderer {
  /** Renders a template to HTML; throws on a missing template or a template error. */
  render(template: string, context: Readonly<Record<string, unknown>>): string
  /** Compiles templates now (at start), so a broken one fails the start, not a visitor. */
  compile(templates: readonly string[]): void
}

export interface RendererOptions {
  /** Modules' template folders (absolute paths), searched after the portal's and govuk's. */
  readonly folders?: readonly string[]
}

export function createRenderer(options: RendererOptions = {}): Renderer {
  const folders = [...new Set(options.folders ?? [])]
  for (const folder of folders)
    if (!isAbsolute(folder)) throw new TypeError(`a template folder must be absolute: ${folder}`)
  const loader = new nunjucks.FileSystemLoader([VIEWS, GOVUK_DIST, ...folders], {
    noCache: false,
    watch: false,
  })
  const environment = new nunjucks.Environment(loader, {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  })
  // `{{ csrfField() }}` in any form: the hidden field with this request's token, which every
  // page context carries (`csrfToken`); a form without it is refused with CSRF_TOKEN_INVALID.
  environment.addGlobal('csrfField', function (this: { ctx?: Record<string, unknown> }) {
    const token = this.ctx?.csrfToken
    // A token is base64url, so it needs no escaping; anything else is a wiring mistake.
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]+$/.test(token))
      throw new TypeError('csrfField() outside a portal page')
    return new nunjucks.runtime.SafeString(
      `<input type="hidden" name="${CSRF_FIELD}" value="${token}">`,
    )
  })
  return {
    render: (template, context) => environment.render(template, context),
    compile(templates) {
      for (const template of templates) environment.getTemplate(template, true)
    },
  }
}
