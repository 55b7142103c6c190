/**
 * PostgreSQL servers run by e-state: find the binaries, make a cluster, start, stop, kill and
 * pause its processes, and clone a streaming replica. `initdb` and `postgres` refuse to run as
 * root, so as root every tool runs as the `postgres` OS user (`runuser -u postgres --`) over
 * directories that user owns. Settings are always the durable ones (fsync, full page writes):
 * a failover drill measured without them would prove nothing.
 */
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { appendFile, chmod, chown, readFile, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { CloudError } from './errors.ts'

const execFileAsync = promisify(execFile)

export interface ServerOwner {
  readonly uid: number
  readonly gid: number
}

export interface PostgresServer {
  readonly binDir: string
  readonly dataDir: string
  /** Holds the Unix socket and the server log; owned by the server's OS user. */
  readonly runDir: string
  readonly port: number
  /** As root, the OS user the server runs as; undefined when we are not root. */
  readonly owner: ServerOwner | undefined
}

let cachedBinDir: string | undefined

/** The directory of `initdb`, `pg_ctl`, `postgres`: `pg_config --bindir`, Debian's layout, PATH. */
export function findPostgresBinDir(): string {
  if (cachedBinDir !== undefined) return cachedBinDir
  const hasInitdb = (dir: string): boolean => isFile(path.join(dir, 'initdb'))
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim()
    if (dir !== '' && hasInitdb(dir)) return (cachedBinDir = dir)
  } catch {
    // no pg_config on PATH
  }
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
    for (const version of versions) {
      const dir = path.join(root, version, 'bin')
      if (hasInitdb(dir)) return (cachedBinDir = dir)
    }
  }
  for (const entry of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(entry, 'initdb')
    if (entry !== '' && isFile(candidate))
      return (cachedBinDir = path.dirname(realpathSync(candidate)))
  }
  throw new CloudError(
    'CLOUD_POSTGRES_MISSING',
    'PostgreSQL server binaries not found (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH)',
  )
}

/** As root, the `postgres` OS user the server must run as; otherwise undefined. */
export function serverOwner(): ServerOwner | undefined {
  if (process.getuid?.() !== 0) return undefined
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    return { uid, gid }
  } catch (error) {
    throw new CloudError(
      'CLOUD_POSTGRES_FAILED',
      'running as root without a `postgres` OS user to run the server as',
      {},
      { cause: error },
    )
  }
}

/** Runs a PostgreSQL tool, as the server's OS user when we are root; PG* variables dropped. */
export async function runPostgresTool(
  server: Pick<PostgresServer, 'binDir' | 'owner' | 'runDir'>,
  tool: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<string> {
  const exe = path.join(server.binDir, tool)
  const [file, argv] =
    server.owner === undefined
      ? [exe, [...args]]
      : ['runuser', ['-u', 'postgres', '--', exe, ...args]]
  try {
    const { stdout } = await execFileAsync(file, argv, {
      timeout: timeoutMs,
      cwd: server.runDir,
      env: postgresFreeEnv(),
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    })
    return stdout
  } catch (error) {
    const failed = error as { stderr?: string; message?: string }
    throw new CloudError(
      'CLOUD_POSTGRES_FAILED',
      `${tool} failed: ${(failed.stderr ?? '').trim().slice(-2000) || failed.message}`,
      { tool },
      { cause: error },
    )
  }
}

/** Hands a file or directory we made to the server's OS user (no-op when not root). */
export async function giveToServer(
  owner: ServerOwner | undefined,
  file: string,
  mode?: number,
): Promise<void> {
  if (mode !== undefined) await chmod(file, mode)
  if (owner !== undefined) await chown(file, owner.uid, owner.gid)
}

/** `initdb` with checksums; the data directory must not exist yet (its parent is `runDir`). */
export async function initCluster(server: PostgresServer): Promise<void> {
  await runPostgresTool(server, 'initdb', [
    '-D',
    server.dataDir,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=reject',
    '--encoding=UTF8',
    '--no-locale',
    '--data-checksums',
    '--no-instructions',
  ])
}

export interface ServerSettings {
  /** Addresses to listen on ('127.0.0.1' in the drill). */
  readonly listen: string
  readonly ssl?: { readonly certificate: string; readonly key: string; readonly ca: string }
}

/**
 * The settings every site server gets, in postgresql.conf (so a replica's own lines, appended
 * after cloning, override the primary's): durable, replication-ready, TLS when given.
 */
export async function writeServerSettings(
  server: PostgresServer,
  settings: ServerSettings,
): Promise<void> {
  const quote = (value: string): string => `'${value.replaceAll("'", "''")}'`
  const lines = [
    '',
    '# e-state site',
    `listen_addresses = ${quote(settings.listen)}`,
    `port = ${server.port}`,
    `unix_socket_directories = ${quote(server.runDir)}`,
    'fsync = on',
    'full_page_writes = on',
    'synchronous_commit = on',
    'wal_level = replica',
    'max_wal_senders = 8',
    'max_replication_slots = 8',
    'hot_standby = on',
    'wal_keep_size = 256MB',
    'max_connections = 60',
    // A standby retries its primary (and notices a promotion request while it waits) this often.
    "wal_retrieve_retry_interval = '200ms'",
    ...(settings.ssl === undefined
      ? []
      : [
          'ssl = on',
          `ssl_cert_file = ${quote(settings.ssl.certificate)}`,
          `ssl_key_file = ${quote(settings.ssl.key)}`,
          `ssl_ca_file = ${quote(settings.ssl.ca)}`,
          "ssl_min_protocol_version = 'TLSv1.3'",
        ]),
    '',
  ]
  await appendFile(path.join(server.dataDir, 'postgresql.conf'), lines.join('\n'))
}

/** Replaces pg_hba.conf: the local socket for the operator, then the site's own lines. */
export async function writeAccessRules(server: PostgresServer, rules: string[]): Promise<void> {
  const file = path.join(server.dataDir, 'pg_hba.conf')
  await writeFile(file, ['local all all trust', ...rules, ''].join('\n'))
  await giveToServer(server.owner, file, 0o600)
}

export async function startServer(server: PostgresServer, timeoutS = 30): Promise<void> {
  await runPostgresTool(
    server,
    'pg_ctl',
    ['start', '-w', '-t', String(timeoutS), '-D', server.dataDir, '-l', logFileOf(server)],
    (timeoutS + 10) * 1000,
  )
}

/** Stops the server; `immediate` is a crash from the database's point of view. */
export async function stopServer(
  server: PostgresServer,
  mode: 'fast' | 'immediate' = 'fast',
): Promise<void> {
  const pid = postmasterPid(server)
  // No server, or a killed one not yet reaped (pg_ctl would wait for the reaping).
  if (pid === undefined || !isRunning(pid)) return
  try {
    await runPostgresTool(
      server,
      'pg_ctl',
      ['stop', '-D', server.dataDir, '-m', mode, '-w'],
      30_000,
    )
  } catch (error) {
    if (existsSync(path.join(server.dataDir, 'postmaster.pid'))) throw error
  }
}

/**
 * The postmaster's process id, from postmaster.pid, while a process of that id exists (a killed
 * postmaster not yet reaped counts: PostgreSQL itself refuses to start over it then).
 */
export function postmasterPid(server: Pick<PostgresServer, 'dataDir'>): number | undefined {
  try {
    const pid = Number(
      readFileSync(path.join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
    )
    if (!Number.isInteger(pid) || pid <= 0) return undefined
    process.kill(pid, 0)
    return pid
  } catch {
    return undefined
  }
}

/**
 * SIGKILL to the postmaster and every one of its processes at once: the machine dying, not a
 * shutdown. (Killing the postmaster alone leaves backends and the walsender running until they
 * notice, which could still ship WAL the drill would then credit to a dead server.)
 */
export function killServer(server: Pick<PostgresServer, 'dataDir'>): boolean {
  const pid = postmasterPid(server)
  if (pid === undefined) return false
  const family = [pid, ...childrenOf(pid)]
  for (const each of family) {
    try {
      process.kill(each, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  return true
}

/** SIGSTOP/SIGCONT to one server process (the drill pauses the walsender with it). */
export function signalProcess(pid: number, signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): void {
  process.kill(pid, signal)
}

/** Waits until the postmaster is gone (after a kill): ended, or a zombie nobody reaped yet. */
export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new CloudError('CLOUD_POSTGRES_FAILED', `process ${pid} did not exit`)
}

/** Alive and not a zombie (a killed postmaster whose parent is gone may wait to be reaped). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
}

/** Direct children from /proc (Linux): the postmaster forks every server process itself. */
function childrenOf(parent: number): number[] {
  const children: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return children
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // pid (comm) state ppid …; comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === parent) children.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return children
}

/**
 * Clones a replica from a running primary with `pg_basebackup` (WAL streamed during the copy,
 * a replication slot created so the primary keeps the WAL the replica has not received), then
 * marks it a standby. The replica's connection string is written by us, not `-R`, so it carries
 * exactly the TLS settings given.
 */
export async function cloneReplica(
  replica: PostgresServer,
  options: { readonly conninfo: string; readonly slot: string },
): Promise<void> {
  await runPostgresTool(
    replica,
    'pg_basebackup',
    [
      '-D',
      replica.dataDir,
      '-d',
      options.conninfo,
      '-X',
      'stream',
      '-C',
      '-S',
      options.slot,
      '-c',
      'fast',
      '--no-password',
    ],
    300_000,
  )
  const quote = (value: string): string => `'${value.replaceAll("'", "''")}'`
  await appendFile(
    path.join(replica.dataDir, 'postgresql.auto.conf'),
    `primary_conninfo = ${quote(options.conninfo)}\nprimary_slot_name = ${quote(options.slot)}\n`,
  )
  const signal = path.join(replica.dataDir, 'standby.signal')
  await writeFile(signal, '')
  await giveToServer(replica.owner, signal, 0o600)
}

/** A free TCP port on 127.0.0.1 (for the drill's throwaway servers). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.unref()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))))
    })
  })
}

export function logFileOf(server: Pick<PostgresServer, 'runDir'>): string {
  return path.join(server.runDir, 'server.log')
}

/** The end of the server log, for error messages. */
export async function serverLogTail(server: Pick<PostgresServer, 'runDir'>): Promise<string> {
  try {
    return (await readFile(logFileOf(server), 'utf8')).slice(-3000)
  } catch {
    return '(no server log)'
  }
}

/** The environment minus PG* variables, so an operator's PGHOST or PGDATA cannot leak in. */
function postgresFreeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('PG')) env[key] = value
  return env
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile()
  } catch {
    return false
  }
}
