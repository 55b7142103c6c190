/**
 * The shell's static files, made once per process and kept in memory: the stylesheet
 * (govuk-frontend compiled with e-state's theme by the pure-JS `sass`), govuk-frontend's own
 * script, a small module of ours that starts it (the CSP allows no inline script), and the
 * state's icon. Each is served under a name carrying its content hash, so it can be cached for
 * good and a new version is a new URL. Nothing is fetched: every input is in the repository or
 * in node_modules.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
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

const THEME_DIR = join(import.meta.dirname, 'theme')
// Beside the installed packages (`node_modules/.cache`, as other tools keep theirs), so only the
// installation itself can put a stylesheet there, never another user of a shared temp folder.
const CACHE_DIR = join(GOVUK_DIST, '..', '..', '.cache', 'e-state')

/**
 * govuk-frontend compiled with our theme (`theme/theme.scss`), minified. Compiling takes a
 * second or two of CPU, so the result is kept under a name made of everything it depends on
 * (our theme's files, the versions of govuk-frontend and sass): a new start of the same
 * installation reads it back, and any change to an input makes a new name. A cache that
 * cannot be read or written only means compiling again.
 */
async function compileTheme(): Promise<Buffer> {
  const key = await themeKey()
  const cached = join(CACHE_DIR, `theme.${key}.css`)
  const hit = await readFile(cached).catch(() => undefined)
  if (hit !== undefined) return hit
  // Imported here, not at the top: the compiler is large, and only a start that serves the
  // portal needs it (not every command line), and then only once per change of the theme.
  const sass = await import('sass')
  const result = await sass.compileAsync(join(THEME_DIR, 'theme.scss'), {
    importers: [new sass.NodePackageImporter(import.meta.dirname)],
    style: 'compressed',
    // govuk-frontend's own deprecation notices are its maintainers' to act on, not a start's.
    quietDeps: true,
  })
  const css = Buffer.from(result.css)
  await keep(cached, css).catch(() => undefined)
  return css
}

async function themeKey(): Promise<string> {
  const hash = createHash('sha256')
  for (const manifest of [join(GOVUK_DIST, '..', 'package.json'), sassManifest()])
    hash.update(
      String((JSON.parse(await readFile(manifest, 'utf8')) as { version?: string }).version),
    )
  for (const name of (await readdir(THEME_DIR)).sort())
    hash.update(name).update(await readFile(join(THEME_DIR, name)))
  return hash.digest('hex').slice(0, 16)
}

function sassManifest(): string {
  // Its package.json is not among its exports; it sits beside the entry point.
  return join(dirname(createRequire(import.meta.url).resolve('sass')), 'package.json')
}

/** Written whole or not at all: a temporary name, then a rename. */
async function keep(path: string, body: Buffer): Promise<void> {
  await mkdir(CACHE_DIR, { recursive: true })
  const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  try {
    await writeFile(partial, body, { flag: 'wx' })
    await rename(partial, path)
  } finally {
    await rm(partial, { force: true })
  }
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
