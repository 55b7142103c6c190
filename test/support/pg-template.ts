// A PostgreSQL data directory made once by initdb and copied for each throwaway test cluster.
//
// initdb costs ~0.9 s of CPU per cluster and a suite run starts some 45 clusters on a 2-core
// machine, while a `cp -a` of its 39 MB output takes ~0.14 s. What initdb writes depends on the
// binaries, its options and the owner, not on the directory's path, so one template per
// (PostgreSQL build, owner uid) serves every cluster on the machine; the caller names it so.
//
// Worker processes may build it at the same moment: each initdb's into its own `<dir>.build-*`,
// writes the marker last and renames the whole directory into place (atomic, same filesystem); a
// loser of the race deletes its own and uses the winner's. Only a directory at the final name
// holding the marker counts as a template, so a half-built one is never copied.
import { execFile } from 'node:child_process'
import { chown, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

const MARKER = 'complete'
const COPY_TIMEOUT_MS = 60_000

const building = new Map<string, Promise<void>>()

export interface PgTemplate {
  /** Where the template lives: `<dir>/data` is the data directory, `<dir>/complete` the marker. */
  readonly dir: string
  /** As root, the server's OS user: the template's data directory belongs to it. */
  readonly owner: { uid: number; gid: number } | undefined
  /** Runs initdb (as the owner) into a directory that does not exist yet. */
  readonly initdb: (dataDir: string) => Promise<unknown>
}

/**
 * Copy the template's data directory to `dataDir` (which must not exist), keeping owners and
 * modes, building the template first when missing. Answers false, with `dataDir` removed, when
 * the template cannot serve for any reason: the caller then runs initdb itself.
 */
export async function copyTemplateDataDir(template: PgTemplate, dataDir: string): Promise<boolean> {
  try {
    await ensureTemplate(template)
    await execFileAsync('cp', ['-a', '--', path.join(template.dir, 'data'), dataDir], {
      timeout: COPY_TIMEOUT_MS,
    })
    // Someone removing the template while we copied could leave a partial copy without an error.
    if (!(await isComplete(template.dir))) throw new Error('template removed during the copy')
    return true
  } catch {
    await rm(dataDir, { recursive: true, force: true }).catch(() => {})
    return false
  }
}

/** One build per template at a time within this process; other processes race by rename. */
function ensureTemplate(template: PgTemplate): Promise<void> {
  let ready = building.get(template.dir)
  if (ready === undefined) {
    ready = buildTemplate(template).finally(() => building.delete(template.dir))
    building.set(template.dir, ready)
  }
  return ready
}

async function buildTemplate({ dir, owner, initdb }: PgTemplate): Promise<void> {
  if (await isComplete(dir)) return
  const build = await mkdtemp(`${dir}.build-`)
  let renamed = false
  try {
    if (owner) await chown(build, owner.uid, owner.gid) // initdb runs as the owner
    await initdb(path.join(build, 'data'))
    await writeFile(path.join(build, MARKER), '')
    try {
      await rename(build, dir)
      renamed = true
    } catch (err) {
      if (!(await isComplete(dir))) throw err // else another process won the race: use theirs
    }
  } finally {
    if (!renamed) await rm(build, { recursive: true, force: true })
  }
}

async function isComplete(dir: string): Promise<boolean> {
  return stat(path.join(dir, MARKER)).then(
    () => true,
    () => false,
  )
}
