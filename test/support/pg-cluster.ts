// Throwaway PostgreSQL clusters for tests: initdb into a fresh temp dir (in practice a copy of a
// per-machine template, see pg-template.ts), start a server that listens only on 127.0.0.1 at a
// free port, create one database, and tear it all down on stop() (or, best effort, when the
// process exits).
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, rmSync } from 'node:fs'
import { appendFile, chown, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { findPostgresBinDir } from '../../src/cloud/index.ts'
import { freePort } from './net.ts'
import { copyTemplateDataDir, type PgTemplate } from './pg-template.ts'

const execFileAsync = promisify(execFile)

export interface PgCluster {
  url: string
  port: number
  dataDir: string
  stop(): Promise<void>
}

interface RunningCluster {
  binDir: string
  tmpDir: string
  dataDir: string
}

const PORT_ATTEMPTS = 5
const INITDB_TIMEOUT_MS = 60_000
const START_TIMEOUT_S = 30
const STOP_TIMEOUT_MS = 30_000
const INITDB_OPTIONS = [
  '-U',
  'postgres',
  '--auth=trust',
  '--encoding=UTF8',
  '--no-locale',
  '--no-sync',
  '--no-instructions',
]

const running = new Set<RunningCluster>()
let exitHookInstalled = false

/** Directory holding the PostgreSQL server binaries (initdb, pg_ctl, postgres): the same search
 * the `e-state site` commands use. */
export const findPgBinDir = findPostgresBinDir

/**
 * Start a throwaway cluster on 127.0.0.1 and create `options.database` (default `estate`).
 * Tests run without fsync for speed; `durable: true` keeps PostgreSQL's defaults (fsync,
 * synchronous commit) for benchmarks whose figures must include durability.
 */
export async function startPgCluster(
  options: { database?: string; durable?: boolean } = {},
): Promise<PgCluster> {
  const database = options.database ?? 'estate'
  const binDir = findPgBinDir()
  const owner = await serverOwner()

  const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'estate-pg-'))
  if (owner) await chown(tmpDir, owner.uid, owner.gid) // freshly created, so empty: nothing deeper
  const dataDir = path.join(tmpDir, 'data')
  const cluster: RunningCluster = { binDir, tmpDir, dataDir }
  let logFile: string
  let started = false

  const run = (cmd: string, args: string[], timeout: number) =>
    runPg(binDir, cmd, args, { timeout, cwd: tmpDir, asPostgres: owner !== undefined })

  const initdb = (dir: string) => run('initdb', ['-D', dir, ...INITDB_OPTIONS], INITDB_TIMEOUT_MS)

  try {
    try {
      const template = await pgTemplate(binDir, owner, initdb).catch(() => undefined)
      if (!template || !(await copyTemplateDataDir(template, dataDir))) await initdb(dataDir)
    } catch (err) {
      throw new Error(`initdb failed: ${describeExecError(err)}`, { cause: err })
    }

    await appendFile(
      path.join(dataDir, 'postgresql.conf'),
      [
        '',
        '# e-state test cluster',
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${tmpDir.replaceAll("'", "''")}'`,
        ...(options.durable === true
          ? []
          : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']),
        'max_connections = 80',
        '',
      ].join('\n'),
    )

    let port = 0
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      logFile = path.join(tmpDir, `server-${attempt}.log`)
      running.add(cluster)
      installExitHook()
      try {
        await run(
          'pg_ctl',
          [
            'start',
            '-w',
            '-t',
            String(START_TIMEOUT_S),
            '-D',
            dataDir,
            '-l',
            logFile,
            '-o',
            `-p ${port}`,
          ],
          (START_TIMEOUT_S + 10) * 1000,
        )
        started = true
        break
      } catch (err) {
        const log = await readLog(logFile)
        const portClash =
          /could not bind|address already in use|could not create any TCP\/IP/i.test(log)
        if (portClash && attempt < PORT_ATTEMPTS) continue
        throw new Error(
          `pg_ctl start failed (port ${port}, attempt ${attempt}): ${describeExecError(err)}\n` +
            `--- server log ---\n${tail(log)}`,
          { cause: err },
        )
      }
    }

    if (database !== 'postgres') {
      const client = new pg.Client({
        connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      })
      try {
        await client.connect()
        await client.query(`create database ${quoteIdent(database)}`)
      } catch (err) {
        throw new Error(
          `create database ${database} failed: ${(err as Error).message}\n` +
            `--- server log ---\n${tail(await readLog(logFile))}`,
          { cause: err },
        )
      } finally {
        await client.end().catch(() => {})
      }
    }

    let stopping: Promise<void> | undefined
    return {
      url: `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
      port,
      dataDir,
      stop() {
        stopping ??= stopCluster(cluster, owner !== undefined)
        return stopping
      },
    }
  } catch (err) {
    if (started) await stopCluster(cluster, owner !== undefined).catch(() => {})
    else {
      running.delete(cluster)
      await rm(tmpDir, { recursive: true, force: true }).catch(() => {})
    }
    throw err
  }
}

/** The machine's template for this PostgreSQL build and owner (named after both, and initdb's
 * options, so a change to any of them gets a fresh one). */
async function pgTemplate(
  binDir: string,
  owner: { uid: number; gid: number } | undefined,
  initdb: PgTemplate['initdb'],
): Promise<PgTemplate> {
  const { stdout } = await execFileAsync(path.join(binDir, 'initdb'), ['--version'], {
    timeout: 10_000,
    env: pgFreeEnv(),
  })
  const version = /\d+(\.\d+)*/.exec(stdout)?.[0] ?? 'unknown'
  const build = createHash('sha256')
    .update([stdout, binDir, ...INITDB_OPTIONS].join('\0'))
    .digest('hex')
    .slice(0, 12)
  const uid = owner?.uid ?? process.getuid?.() ?? 0
  const dir = path.join(os.tmpdir(), `estate-pg-template-${version}-${build}-uid${uid}`)
  return { dir, owner, initdb }
}

async function stopCluster(cluster: RunningCluster, asPostgres: boolean): Promise<void> {
  try {
    await runPg(
      cluster.binDir,
      'pg_ctl',
      ['stop', '-D', cluster.dataDir, '-m', 'immediate', '-w'],
      {
        timeout: STOP_TIMEOUT_MS,
        cwd: cluster.tmpDir,
        asPostgres,
      },
    )
  } catch (err) {
    // Already stopped (or never fully started) is fine; anything else is worth reporting.
    const pidFile = path.join(cluster.dataDir, 'postmaster.pid')
    if (existsSync(pidFile)) {
      throw new Error(`pg_ctl stop failed: ${describeExecError(err)}`, { cause: err })
    }
  } finally {
    running.delete(cluster)
    await rm(cluster.tmpDir, { recursive: true, force: true })
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    const asRoot = process.getuid?.() === 0
    for (const cluster of running) {
      try {
        const pgCtl = path.join(cluster.binDir, 'pg_ctl')
        const args = ['stop', '-D', cluster.dataDir, '-m', 'immediate', '-w']
        if (asRoot) {
          execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], {
            stdio: 'ignore',
            timeout: 10_000,
            cwd: cluster.tmpDir,
            env: pgFreeEnv(),
          })
        } else {
          execFileSync(pgCtl, args, {
            stdio: 'ignore',
            timeout: 10_000,
            cwd: cluster.tmpDir,
            env: pgFreeEnv(),
          })
        }
      } catch {
        // best effort
      }
      try {
        rmSync(cluster.tmpDir, { recursive: true, force: true })
      } catch {
        // best effort
      }
    }
    running.clear()
  })
}

async function runPg(
  binDir: string,
  cmd: string,
  args: string[],
  opts: { timeout: number; cwd: string; asPostgres: boolean },
): Promise<{ stdout: string; stderr: string }> {
  const exe = path.join(binDir, cmd)
  const [file, argv] = opts.asPostgres
    ? ['runuser', ['-u', 'postgres', '--', exe, ...args]]
    : [exe, args]
  return execFileAsync(file, argv, {
    timeout: opts.timeout,
    cwd: opts.cwd,
    env: pgFreeEnv(),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  })
}

let ownerPromise: Promise<{ uid: number; gid: number } | undefined> | undefined

/** As root, the OS user the server must run as (initdb/postgres refuse root); else undefined. */
function serverOwner(): Promise<{ uid: number; gid: number } | undefined> {
  ownerPromise ??= (async () => {
    if (process.getuid?.() !== 0) return undefined
    try {
      const [uid, gid] = await Promise.all([
        execFileAsync('id', ['-u', 'postgres'], { timeout: 10_000 }),
        execFileAsync('id', ['-g', 'postgres'], { timeout: 10_000 }),
      ])
      return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
    } catch (err) {
      throw new Error(
        'running as root, but there is no `postgres` OS user to run the test cluster as ' +
          `(initdb/postgres refuse to run as root): ${(err as Error).message}`,
        { cause: err },
      )
    }
  })()
  ownerPromise.catch(() => {
    ownerPromise = undefined
  })
  return ownerPromise
}

/** The environment minus PG* variables, so a developer's PGPORT/PGDATA/PGHOST cannot leak in. */
function pgFreeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PG')) env[key] = value
  }
  return env
}

function describeExecError(err: unknown): string {
  const e = err as { message?: string; stderr?: string; stdout?: string; killed?: boolean }
  const parts = [e.message ?? String(err)]
  if (e.killed) parts.push('(killed: timed out)')
  if (e.stderr?.trim()) parts.push(`--- stderr ---\n${tail(e.stderr)}`)
  if (e.stdout?.trim()) parts.push(`--- stdout ---\n${tail(e.stdout)}`)
  return parts.join('\n')
}

async function readLog(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch {
    return '(no server log)'
  }
}

function tail(text: string, max = 4000): string {
  return text.length > max ? `…${text.slice(-max)}` : text
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
