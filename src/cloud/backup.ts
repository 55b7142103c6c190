/**
 * Encrypted backups of the whole state, on both engines, and their restore.
 *
 * A backup is one file:
 *
 *   e-state-backup/1\n
 *   {"engine":…,"createdAt":…,"masterKeyId":…,"wrappedKey":…,"chunkBytes":…}\n
 *   frames: [4-byte length][AES-256-GCM sealed chunk] …
 *
 * The snapshot is encrypted under a fresh data key, itself sealed by the installation's master
 * key (the envelope's master key: the same ring, so a rotation that keeps the old key as
 * previous still opens older backups, and a site without the key cannot open one). Each frame's
 * associated data binds the header's SHA-256, the frame's index and whether it is the last:
 * frames cannot be reordered, spliced from another backup, or cut off unnoticed.
 *
 * - SQLite (the one-machine store): `VACUUM INTO` on its own connection — an online,
 *   consistent snapshot while the node keeps writing — then encrypted; restored by decrypting
 *   into a new file, checking `PRAGMA integrity_check`, and only then moving it into place.
 * - PostgreSQL: `pg_dump --format=custom` streamed straight into the encryption (the plain
 *   dump never touches a disk); restored with `pg_restore` into an empty database, after
 *   making the two roles the privileges name (`estate_app`, `estate_door`).
 *
 * A backup is written as `NAME.partial`, flushed, then renamed: a crash leaves no half backup
 * under a backup's name. Backups go to a folder at the other site (`E_STATE_BACKUP_DIR`, a
 * mount of the embassy's storage; see docs/cloud.md), on a schedule with a retention count.
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import { open } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { Readable, Writable } from 'node:stream'
import { openAead, sealAead, type MasterKeyRing } from '../crypto/index.ts'
import type { Logger } from '../shared/index.ts'
import { CREATE_ROLES_SQL } from '../storage/index.ts'
import { CloudError } from './errors.ts'
import { findPostgresBinDir } from './postgres-server.ts'

export const BACKUP_FORMAT = 'e-state-backup/1'
const CHUNK_BYTES = 1024 * 1024
const FRAME_MAX = CHUNK_BYTES + 64

export interface BackupHeader {
  readonly engine: 'sqlite' | 'postgres'
  readonly createdAt: string
  readonly masterKeyId: string
  /** The data key, sealed by the master key (base64). */
  readonly wrappedKey: string
  readonly chunkBytes: number
}

export interface BackupReport {
  readonly path: string
  readonly engine: 'sqlite' | 'postgres'
  readonly bytes: number
  readonly createdAt: string
}

const isPostgres = (url: string) => /^postgres(ql)?:\/\//.test(url)

/** Takes an encrypted backup of the store at `databaseUrl` into `folder`. */
export async function createBackup(options: {
  readonly databaseUrl: string
  readonly masterKeys: MasterKeyRing
  readonly folder: string
  readonly now?: Date
}): Promise<BackupReport> {
  const engine = isPostgres(options.databaseUrl) ? 'postgres' : 'sqlite'
  const createdAt = (options.now ?? new Date()).toISOString()
  mkdirSync(options.folder, { recursive: true, mode: 0o700 })
  const name = `estate-${engine}-${createdAt.replaceAll(':', '')}.backup`
  const path = join(options.folder, name)
  const partial = `${path}.partial`
  const dataKey = randomBytes(32)
  const header: BackupHeader = {
    engine,
    createdAt,
    masterKeyId: options.masterKeys.current.id,
    wrappedKey: sealAead(options.masterKeys.current.key, dataKey, keyContext(createdAt)).toString(
      'base64',
    ),
    chunkBytes: CHUNK_BYTES,
  }
  const headerLine = JSON.stringify(header)
  const binding = createHash('sha256').update(headerLine).digest('hex')
  const output = createWriteStream(partial, { mode: 0o600, flags: 'wx' })
  let snapshot: string | undefined
  try {
    await write(output, Buffer.from(`${BACKUP_FORMAT}\n${headerLine}\n`, 'utf8'))
    if (engine === 'sqlite') {
      snapshot = join(dirname(options.databaseUrl), `.${basename(options.databaseUrl)}.snapshot`)
      rmSync(snapshot, { force: true })
      const database = new DatabaseSync(options.databaseUrl)
      try {
        database.exec('PRAGMA busy_timeout = 10000')
        database.exec(`VACUUM INTO '${snapshot.replaceAll("'", "''")}'`)
      } finally {
        database.close()
      }
      await encryptInto(createReadStream(snapshot), output, dataKey, binding)
    } else {
      const dump = spawn(
        join(findPostgresBinDir(), 'pg_dump'),
        ['--format=custom', '--no-password', `--dbname=${options.databaseUrl}`],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      const failure = toolFailure(dump, 'pg_dump')
      await encryptInto(dump.stdout, output, dataKey, binding)
      await failure
    }
    await new Promise<void>((resolve, reject) => {
      output.once('error', reject)
      output.end(() => resolve())
    })
    const handle = await open(partial, 'r+')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
    renameSync(partial, path)
    return { path, engine, bytes: statSync(path).size, createdAt }
  } catch (error) {
    output.destroy()
    rmSync(partial, { force: true })
    throw error
  } finally {
    if (snapshot !== undefined) rmSync(snapshot, { force: true })
  }
}

/** Reads and checks a backup's header (no key needed). */
export async function readBackupHeader(
  path: string,
): Promise<{ header: BackupHeader; headerLine: string; offset: number }> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new CloudError('CLOUD_BACKUP_INVALID', `cannot read ${path}`, {}, { cause: error })
  })
  try {
    const start = Buffer.alloc(4096)
    const { bytesRead } = await handle.read(start, 0, start.length, 0)
    const text = start.subarray(0, bytesRead).toString('utf8')
    const [magic, headerLine] = text.split('\n')
    if (
      magic !== BACKUP_FORMAT ||
      headerLine === undefined ||
      !text.includes('\n', magic.length + 1)
    )
      throw new CloudError('CLOUD_BACKUP_INVALID', `${path} is not an e-state backup`)
    let header: BackupHeader
    try {
      header = JSON.parse(headerLine) as BackupHeader
    } catch {
      throw new CloudError('CLOUD_BACKUP_INVALID', `${path} has a malformed header`)
    }
    if (
      (header.engine !== 'sqlite' && header.engine !== 'postgres') ||
      typeof header.wrappedKey !== 'string' ||
      typeof header.masterKeyId !== 'string' ||
      header.chunkBytes !== CHUNK_BYTES
    )
      throw new CloudError('CLOUD_BACKUP_INVALID', `${path} has a malformed header`)
    return {
      header,
      headerLine,
      offset: Buffer.byteLength(`${magic}\n${headerLine}\n`, 'utf8'),
    }
  } finally {
    await handle.close()
  }
}

/** Opens and authenticates every frame of a backup without restoring it. */
export async function verifyBackup(
  path: string,
  masterKeys: MasterKeyRing,
): Promise<BackupHeader & { plainBytes: number }> {
  const { header, frames } = await openBackup(path, masterKeys)
  let plainBytes = 0
  for await (const chunk of frames) plainBytes += chunk.length
  return { ...header, plainBytes }
}

async function openBackup(
  path: string,
  masterKeys: MasterKeyRing,
): Promise<{ header: BackupHeader; frames: AsyncGenerator<Buffer> }> {
  const { header, headerLine, offset } = await readBackupHeader(path)
  const master = [masterKeys.current, ...masterKeys.previous].find(
    (key) => key.id === header.masterKeyId,
  )
  if (master === undefined)
    throw new CloudError(
      'CLOUD_BACKUP_WRONG_KEY',
      `the backup is sealed by master key "${header.masterKeyId}", which this installation does not have`,
    )
  let dataKey: Buffer
  try {
    dataKey = openAead(
      master.key,
      Buffer.from(header.wrappedKey, 'base64'),
      keyContext(header.createdAt),
    )
  } catch {
    throw new CloudError(
      'CLOUD_BACKUP_WRONG_KEY',
      `master key "${header.masterKeyId}" here is not the one that sealed the backup`,
    )
  }
  const binding = createHash('sha256').update(headerLine).digest('hex')
  return {
    header,
    frames: decryptFrames(createReadStream(path, { start: offset }), dataKey, binding),
  }
}

/**
 * Rebuilds a store from a backup: a SQLite file at `target` (which must not exist unless
 * `replace`), or an empty PostgreSQL database at `target`. Nothing is left half-restored: a
 * backup that is corrupt, cut off, or sealed by a key this installation lacks is refused before
 * anything takes the target's place.
 */
export async function restoreBackup(options: {
  readonly path: string
  readonly masterKeys: MasterKeyRing
  readonly target: string
  readonly replace?: boolean
}): Promise<{ engine: 'sqlite' | 'postgres'; createdAt: string }> {
  const { header, frames } = await openBackup(options.path, options.masterKeys)
  if (header.engine === 'sqlite') {
    if (isPostgres(options.target))
      throw new CloudError('CLOUD_BACKUP_INVALID', 'a SQLite backup restores into a SQLite file')
    if (existsSync(options.target) && options.replace !== true)
      throw new CloudError(
        'CLOUD_SITE_INVALID',
        `${options.target} exists: restore into a new path, or replace it explicitly`,
      )
    mkdirSync(dirname(options.target), { recursive: true })
    const restoring = `${options.target}.restoring`
    rmSync(restoring, { force: true })
    try {
      const output = createWriteStream(restoring, { mode: 0o600, flags: 'wx' })
      for await (const chunk of frames) await write(output, chunk)
      await new Promise<void>((resolve, reject) => {
        output.once('error', reject)
        output.end(() => resolve())
      })
      const check = new DatabaseSync(restoring)
      try {
        const result = check.prepare('PRAGMA integrity_check').get() as Record<string, unknown>
        if (Object.values(result)[0] !== 'ok')
          throw new CloudError('CLOUD_BACKUP_CORRUPT', 'the restored database fails its check')
      } finally {
        check.close()
      }
      for (const suffix of ['-wal', '-shm']) rmSync(`${options.target}${suffix}`, { force: true })
      renameSync(restoring, options.target)
    } catch (error) {
      rmSync(restoring, { force: true })
      throw error
    }
  } else {
    if (!isPostgres(options.target))
      throw new CloudError('CLOUD_BACKUP_INVALID', 'a PostgreSQL backup restores into postgres://…')
    await restorePostgres(frames, options.target)
  }
  return { engine: header.engine, createdAt: header.createdAt }
}

/**
 * `pg_restore` in one transaction, fed the decrypted frames on its standard input: its input
 * is closed only after the last frame authenticated, so a damaged or cut-off backup kills it
 * before it can commit, and the database stays as it was (empty).
 */
async function restorePostgres(frames: AsyncIterable<Buffer>, target: string): Promise<void> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: target })
  await client.connect()
  try {
    const used = await client.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
    )
    if ((used.rows[0] as { n: number }).n > 0)
      throw new CloudError(
        'CLOUD_SITE_INVALID',
        'the target database is not empty: restore into a new, empty database',
      )
    // The roles live in the cluster, not in the dump: made first, so the grants restore.
    await client.query(CREATE_ROLES_SQL)
  } finally {
    await client.end()
  }
  const restore = spawn(
    join(findPostgresBinDir(), 'pg_restore'),
    ['--exit-on-error', '--no-owner', '--single-transaction', `--dbname=${target}`],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  )
  const finished = toolFailure(restore, 'pg_restore')
  restore.stdin?.on('error', () => undefined) // a pg_restore that stopped reads no more
  try {
    for await (const chunk of frames) await write(restore.stdin as Writable, chunk)
  } catch (error) {
    restore.kill('SIGKILL')
    await finished.catch(() => undefined)
    throw error
  }
  restore.stdin?.end()
  await finished
}

/** Takes a backup every `intervalMs` into `folder`, keeping the newest `keep`. */
export function scheduleBackups(options: {
  readonly databaseUrl: string
  readonly masterKeys: MasterKeyRing
  readonly folder: string
  readonly intervalMs: number
  readonly keep: number
  readonly logger: Logger
}): { close(): Promise<void>; runNow(): Promise<BackupReport> } {
  let running: Promise<BackupReport> | undefined
  const runNow = () => {
    running ??= createBackup(options)
      .then((report) => {
        pruneBackups(options.folder, options.keep)
        options.logger.info(
          { path: report.path, bytes: report.bytes, engine: report.engine },
          'backup written',
        )
        return report
      })
      .finally(() => (running = undefined))
    return running
  }
  const timer = setInterval(() => {
    runNow().catch((error: unknown) =>
      options.logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'backup failed',
      ),
    )
  }, options.intervalMs)
  timer.unref()
  return {
    runNow,
    async close() {
      clearInterval(timer)
      await running?.catch(() => undefined)
    },
  }
}

/** The backups in a folder, newest first. */
export function listBackups(folder: string): string[] {
  if (!existsSync(folder)) return []
  return readdirSync(folder)
    .filter((name) => /^estate-(sqlite|postgres)-.+\.backup$/.test(name))
    .sort()
    .reverse()
    .map((name) => join(folder, name))
}

function pruneBackups(folder: string, keep: number): void {
  for (const old of listBackups(folder).slice(keep)) rmSync(old, { force: true })
}

const keyContext = (createdAt: string) => `${BACKUP_FORMAT}:data-key:${createdAt}`
const frameContext = (binding: string, index: number, last: boolean) =>
  `${BACKUP_FORMAT}:${binding}:${index}:${last ? 'last' : 'more'}`

async function encryptInto(
  source: Readable,
  output: Writable,
  key: Buffer,
  binding: string,
): Promise<void> {
  let pending: Buffer[] = []
  let size = 0
  let index = 0
  const frame = async (chunk: Buffer, last: boolean) => {
    const sealed = sealAead(key, chunk, frameContext(binding, index++, last))
    const length = Buffer.alloc(4)
    length.writeUInt32BE(sealed.length)
    await write(output, Buffer.concat([length, sealed]))
  }
  for await (const piece of source as AsyncIterable<Buffer>) {
    pending.push(piece)
    size += piece.length
    while (size > CHUNK_BYTES) {
      const all = Buffer.concat(pending, size)
      await frame(all.subarray(0, CHUNK_BYTES), false)
      pending = [all.subarray(CHUNK_BYTES)]
      size -= CHUNK_BYTES
    }
  }
  await frame(Buffer.concat(pending, size), true)
}

async function* decryptFrames(
  source: Readable,
  key: Buffer,
  binding: string,
): AsyncGenerator<Buffer> {
  let buffered: Buffer = Buffer.alloc(0)
  let index = 0
  let done = false
  for await (const piece of source as AsyncIterable<Buffer>) {
    buffered = buffered.length === 0 ? piece : Buffer.concat([buffered, piece])
    while (buffered.length >= 4) {
      if (done) throw new CloudError('CLOUD_BACKUP_CORRUPT', 'the backup has data after its end')
      const length = buffered.readUInt32BE(0)
      if (length > FRAME_MAX || length < 28)
        throw new CloudError('CLOUD_BACKUP_CORRUPT', `frame ${index} is malformed`)
      if (buffered.length < 4 + length) break
      const sealed = buffered.subarray(4, 4 + length)
      buffered = buffered.subarray(4 + length)
      let plain: Buffer | undefined
      let last = false
      for (const candidate of [false, true]) {
        try {
          plain = openAead(key, sealed, frameContext(binding, index, candidate))
          last = candidate
          break
        } catch {
          // try as the last frame
        }
      }
      if (plain === undefined)
        throw new CloudError(
          'CLOUD_BACKUP_CORRUPT',
          `frame ${index} does not authenticate: the backup was changed or damaged`,
        )
      index++
      done = last
      yield plain
    }
  }
  if (buffered.length > 0 && done)
    throw new CloudError('CLOUD_BACKUP_CORRUPT', 'the backup has data after its end')
  if (!done) throw new CloudError('CLOUD_BACKUP_CORRUPT', 'the backup is cut off before its end')
}

function write(output: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    output.write(chunk, (error) => (error ? reject(error) : resolve()))
  })
}

function toolFailure(child: ReturnType<typeof spawn>, tool: string): Promise<void> {
  const errors: Buffer[] = []
  child.stderr?.on('data', (chunk: Buffer) => {
    if (errors.length < 64) errors.push(chunk)
  })
  return new Promise((resolve, reject) => {
    child.once('error', (error) =>
      reject(new CloudError('CLOUD_POSTGRES_FAILED', `${tool}: ${error.message}`)),
    )
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new CloudError(
              'CLOUD_POSTGRES_FAILED',
              `${tool} failed: ${Buffer.concat(errors).toString().trim().slice(-2000)}`,
            ),
          ),
    )
  })
}
