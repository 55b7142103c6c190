// Seeded app folders, kept as templates so that a test app's start is a warm start on a copy.
//
// A first start on SQLite seeds the country, makes the state PKI, the exchange keys, the dev
// credentials and the development keys beside the data folder: seconds, in some 26 test files,
// often twice a file. None of it depends on where the folder is (no file `start()` writes holds
// its path; keys are found by name, `<root>/keys/data-*.key`), so a closed app's whole root
// copied elsewhere is a store that starts warm, as after a restart.
//
// A template lives in `<tmp>/estate-seeded-apps/<key>-<window>`:
// - `key` is the caller's seeding key joined with a fingerprint of what writes the store: every
//   file under src/ (content, not mtime: a checkout touches mtimes, an edit within the same
//   second keeps them), package-lock.json, this file and app.ts, and the Node version. Hashing
//   2.6 MB once per worker process costs milliseconds.
// - `window` is the 30-minute slice of time it was built in. A store is not timeless: its
//   certificates start at seeding, its global configuration (valid 24 h) is re-signed by a start
//   past half of that, its ledger checkpoint and data keys carry the seeding time. Within 30
//   minutes none of that shows (once the genesis act is drained, see app.ts); a template is
//   used in its own window and, while under 30 minutes old, in the next. Templates three
//   windows old are removed: at least 30 minutes after the last copy of them could have begun.
//
// Workers build concurrently: each in a private `.build-*` folder, the marker (with the list of
// files and sizes) written last, then renamed into place; a loser of the race removes its own and
// uses the winner's. A copy is checked against the marker, so a half-built or vanished template
// is never started on. Any failure is thrown, and the caller starts fresh.
import { createHash } from 'node:crypto'
import {
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

const CACHE = path.join(os.tmpdir(), 'estate-seeded-apps')
const WINDOW_MS = 30 * 60_000
const MARKER = 'seeded.json'
const REPOSITORY = path.resolve(import.meta.dirname, '..', '..')
const BUILD_RECIPE = ['package-lock.json', 'test/support/app.ts', 'test/support/seeded-cache.ts']

interface Marker {
  readonly createdAt: number
  readonly files: readonly { readonly path: string; readonly size: number }[]
}

let fingerprint: Promise<string> | undefined

/**
 * A new folder (under the system temp folder, named `<prefix>…`) holding a copy of the seeded
 * root for `key`, built first by `build(root)` when no usable template exists.
 */
export async function copySeededRoot(
  key: string,
  prefix: string,
  build: (root: string) => Promise<void>,
): Promise<string> {
  const window = Math.floor(Date.now() / WINDOW_MS)
  const name = createHash('sha256')
    .update(`${key}\0${await sourceFingerprint()}`)
    .digest('hex')
    .slice(0, 32)
  await mkdir(CACHE, { recursive: true, mode: 0o700 })
  await sweep(window).catch(() => undefined)
  const entry =
    (await usable(`${name}-${window}`)) ??
    (await usable(`${name}-${window - 1}`)) ??
    (await buildTemplate(`${name}-${window}`, build))
  const root = await mkdtemp(path.join(os.tmpdir(), prefix))
  try {
    const marker = path.join(entry.folder, MARKER)
    await cp(entry.folder, root, { recursive: true, filter: (source) => source !== marker })
    await checkCopy(root, entry.marker)
    return root
  } catch (error) {
    await rm(root, { recursive: true, force: true })
    throw error
  }
}

/** The template's folder and marker, when it is complete and young enough. */
async function usable(name: string): Promise<{ folder: string; marker: Marker } | undefined> {
  const folder = path.join(CACHE, name)
  let marker: Marker
  try {
    marker = JSON.parse(await readFile(path.join(folder, MARKER), 'utf8')) as Marker
  } catch {
    return undefined
  }
  if (!(Date.now() - marker.createdAt < WINDOW_MS)) return undefined
  return { folder, marker }
}

async function buildTemplate(
  name: string,
  build: (root: string) => Promise<void>,
): Promise<{ folder: string; marker: Marker }> {
  const building = await mkdtemp(path.join(CACHE, '.build-'))
  try {
    await build(building)
    const marker: Marker = { createdAt: Date.now(), files: await filesOf(building) }
    await writeFile(path.join(building, MARKER), JSON.stringify(marker), { mode: 0o600 })
    try {
      await rename(building, path.join(CACHE, name))
      return { folder: path.join(CACHE, name), marker }
    } catch (error) {
      // Another worker renamed its template into place first: use that one.
      const winner = await usable(name)
      if (winner === undefined) throw error
      return winner
    }
  } finally {
    await rm(building, { recursive: true, force: true })
  }
}

/** Every file under `root`, relative, with its size; sorted. */
async function filesOf(root: string): Promise<Marker['files']> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const files = []
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const full = path.join(entry.parentPath, entry.name)
    files.push({ path: path.relative(root, full), size: (await stat(full)).size })
  }
  return files.sort((a, b) => a.path.localeCompare(b.path))
}

async function checkCopy(root: string, marker: Marker): Promise<void> {
  const copied = JSON.stringify(await filesOf(root))
  if (copied !== JSON.stringify(marker.files))
    throw new Error('the copy of the seeded template does not match its marker')
}

/** Removes templates three windows old and builds abandoned for an hour. */
async function sweep(window: number): Promise<void> {
  for (const name of await readdir(CACHE)) {
    const built = /-(\d+)$/.exec(name)
    const old = name.startsWith('.build-')
      ? Date.now() - (await stat(path.join(CACHE, name))).mtimeMs > 2 * WINDOW_MS
      : built !== null && Number(built[1]) <= window - 3
    if (old) await rm(path.join(CACHE, name), { recursive: true, force: true })
  }
}

/** What writes a seeded store: the sources, the dependencies, this recipe, the runtime. */
function sourceFingerprint(): Promise<string> {
  fingerprint ??= (async () => {
    const hash = createHash('sha256').update(process.version)
    const sources = (await readdir(path.join(REPOSITORY, 'src'), { recursive: true }))
      .map((file) => path.join('src', file))
      .sort()
    for (const file of [...sources, ...BUILD_RECIPE]) {
      const full = path.join(REPOSITORY, file)
      if (!(await stat(full)).isFile()) continue
      hash
        .update(`${file}\0`)
        .update(await readFile(full))
        .update('\0')
    }
    return hash.digest('hex')
  })()
  // A failed read (a file moved away mid-walk) is tried again next time, not kept.
  fingerprint.catch(() => (fingerprint = undefined))
  return fingerprint
}
