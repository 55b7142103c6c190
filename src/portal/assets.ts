/**
 * The browser code, bundled once per process with esbuild from the TypeScript in `browser/`:
 * `node:crypto` replaced by the browser shim, Node's `Buffer` by the `buffer` package. Nothing is
 * fetched: every input is in the repository or in node_modules.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { build } from 'esbuild'

export interface Bundle {
  readonly code: string
  /** A content hash, for the script URL and caching. */
  readonly etag: string
}

let bundle: Promise<Bundle> | undefined

export function browserBundle(): Promise<Bundle> {
  bundle ??= build({
    entryPoints: [join(import.meta.dirname, 'browser/app.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    minify: true,
    legalComments: 'none',
    alias: { 'node:crypto': join(import.meta.dirname, 'browser/node-crypto.ts') },
    inject: [join(import.meta.dirname, 'browser/buffer.ts')],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  }).then((result) => {
    const code = result.outputFiles[0].text
    return { code, etag: createHash('sha256').update(code).digest('base64url').slice(0, 16) }
  })
  bundle.catch(() => {
    bundle = undefined
  })
  return bundle
}
