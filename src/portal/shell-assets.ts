/**
 * The shell's static files, made once per process and kept in memory: the stylesheet
 * (govuk-frontend compiled with e-state's theme by the pure-JS `sass`), govuk-frontend's own
 * script, a small module of ours that starts it (the CSP allows no inline script), and the
 * state's icon. Each is served under a name carrying its content hash, so it can be cached for
 * good and a new version is a new URL. Nothing is fetched: every input is in the repository or
 * in node_modules.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as sass from 'sass'
import { GOVUK_DIST } from './renderer.ts'

export const ASSET_PREFIX = '/portal/assets/'

export interface ShellAsset {
  readonly body: Buffer
  readonly type: string
}

export interface ShellAssets {
  /** The URLs a page links to. */
  readonly stylesheet: string
  readonly script: string
  readonly icon: string
  /** By file name under ASSET_PREFIX. */
  readonly files: ReadonlyMap<string, ShellAsset>
}

const hashOf = (body: Buffer | string) =>
  createHash('sha256').update(body).digest('hex').slice(0, 16)

function named(base: string, extension: string, body: Buffer): string {
  return `${base}.${hashOf(body)}.${extension}`
}

/** govuk-frontend compiled with our theme (`theme/theme.scss`), minified. */
async function compileTheme(): Promise<Buffer> {
  const result = await sass.compileAsync(join(import.meta.dirname, 'theme/theme.scss'), {
    importers: [new sass.NodePackageImporter(import.meta.dirname)],
    style: 'compressed',
    // govuk-frontend's own deprecation notices are its maintainers' to act on, not a start's.
    quietDeps: true,
  })
  return Buffer.from(result.css)
}

async function buildAssets(): Promise<ShellAssets> {
  const [css, govukScript, icon] = await Promise.all([
    compileTheme(),
    readFile(join(GOVUK_DIST, 'govuk/govuk-frontend.min.js'), 'utf8'),
    readFile(join(import.meta.dirname, 'static/favicon.svg')),
  ])
  // Without its source map comment: the map is not served (nor wanted from a browser).
  const govuk = Buffer.from(govukScript.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n'))
  const govukName = named('govuk-frontend', 'js', govuk)
  // What govuk-frontend's page template does in an inline script, which our CSP forbids. A
  // module script runs only in browsers that support govuk-frontend, so the check is implied.
  const init = Buffer.from(
    [
      `import { initAll } from './${govukName}'`,
      "document.body.classList.add('js-enabled', 'govuk-frontend-supported')",
      'initAll()',
      '',
    ].join('\n'),
  )
  const files = new Map<string, ShellAsset>([
    [govukName, { body: govuk, type: 'text/javascript; charset=utf-8' }],
  ])
  const add = (base: string, extension: string, body: Buffer, type: string): string => {
    const name = named(base, extension, body)
    files.set(name, { body, type })
    return `${ASSET_PREFIX}${name}`
  }
  return {
    stylesheet: add('e-state', 'css', css, 'text/css; charset=utf-8'),
    script: add('init', 'js', init, 'text/javascript; charset=utf-8'),
    icon: add('e-state-icon', 'svg', icon, 'image/svg+xml'),
    files,
  }
}

let assets: Promise<ShellAssets> | undefined

/** The shell's files; built on the first call (about two seconds for the stylesheet). */
export function shellAssets(): Promise<ShellAssets> {
  assets ??= buildAssets()
  assets.catch(() => {
    assets = undefined
  })
  return assets
}
