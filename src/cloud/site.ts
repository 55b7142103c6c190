/**
 * A site: one PostgreSQL server e-state runs, in a directory of its own —
 *
 *   <dir>/site.json   what the commands need to know (role, names, ports, the peer)
 *   <dir>/data/       the cluster (owned by the `postgres` OS user when we are root)
 *   <dir>/tls/        CA bundle, server certificate and key, replication client certificate
 *   <dir>/server.log  and the server's Unix socket, through which the operator's commands
 *                     connect (trust on the socket; the directory is the server user's only)
 *
 * `initPrimary` makes the primary: durable settings, TLS, a replication role that logs in only
 * with its client certificate, the e-state database migrated, and synchronous replication
 * (`synchronous_commit = remote_apply` to the standby named `embassy`). From then on no commit is
 * acknowledged until the embassy has applied it — so until `initEmbassy` has run (or an operator
 * runs `site degrade`), commits wait. That is the promise, kept from the first commit.
 *
 * `initEmbassy` clones the primary with pg_basebackup over the mutual-TLS link and starts it as
 * a hot standby: the embassy's e-state nodes read from it (registries, the public ledger, the
 * witness) while the primary is up.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { openStore, type MigrationHistory } from '../storage/index.ts'
import { CloudError } from './errors.ts'
import {
  cloneReplica,
  findPostgresBinDir,
  giveToServer,
  initCluster,
  serverOwner,
  startServer,
  stopServer,
  writeAccessRules,
  writeServerSettings,
  type PostgresServer,
} from './postgres-server.ts'
import { REPLICATION_ROLE, TLS_FILE_NAMES, tlsFilesIn, type SiteTlsFiles } from './site-tls.ts'

export const EMBASSY_NAME = 'embassy'
export const DATABASE = 'estate'

export interface SiteConfig {
  readonly role: 'primary' | 'embassy'
  /** The name peers dial: in the server certificate, checked with verify-full. */
  readonly host: string
  /** Where peers actually connect, when `host` is not resolvable (loopback drills). */
  readonly address?: string
  readonly listen: string
  readonly port: number
  /** The embassy's primary, as set up. */
  readonly primary?: { readonly host: string; readonly address?: string; readonly port: number }
  /** The arbiter's URL, for automatic promotion. */
  readonly arbiter?: string
  /** Application connections from loopback without a password (drills and tests only). */
  readonly loopbackTrust?: boolean
}

export interface Site {
  readonly dir: string
  readonly config: SiteConfig
  readonly server: PostgresServer
  readonly tls: SiteTlsFiles
  /** The operator's connection string (Unix socket in the site directory). */
  readonly adminUrl: string
}

export function openSite(dir: string, config?: SiteConfig): Site {
  const absolute = path.resolve(dir)
  const loaded = config ?? readSiteConfig(absolute)
  return {
    dir: absolute,
    config: loaded,
    server: {
      binDir: findPostgresBinDir(),
      dataDir: path.join(absolute, 'data'),
      runDir: absolute,
      port: loaded.port,
      owner: serverOwner(),
    },
    tls: tlsFilesIn(path.join(absolute, 'tls')),
    adminUrl: `postgres://postgres@/${DATABASE}?host=${encodeURIComponent(absolute)}&port=${loaded.port}`,
  }
}

function readSiteConfig(dir: string): SiteConfig {
  const file = path.join(dir, 'site.json')
  if (!existsSync(file))
    throw new CloudError('CLOUD_SITE_INVALID', `${dir} is not a site directory (no site.json)`)
  return JSON.parse(readFileSync(file, 'utf8')) as SiteConfig
}

/** Connects to a site's server as the operator; the caller ends the client. */
export async function connectAdmin(site: Site, database = DATABASE): Promise<pg.Client> {
  const client = new pg.Client({
    host: site.dir,
    port: site.config.port,
    user: 'postgres',
    database,
    connectionTimeoutMillis: 5_000,
  })
  client.on('error', () => undefined)
  await client.connect()
  return client
}

export async function withAdmin<T>(
  site: Site,
  action: (client: pg.Client) => Promise<T>,
  database = DATABASE,
): Promise<T> {
  const client = await connectAdmin(site, database)
  try {
    return await action(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Makes a fresh site directory for the server user; refuses one already in use. */
async function prepareSiteDir(dir: string, config: SiteConfig): Promise<Site> {
  if (existsSync(path.join(dir, 'data')) || existsSync(path.join(dir, 'site.json')))
    throw new CloudError('CLOUD_SITE_INVALID', `${dir} already holds a site`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const site = openSite(dir, config)
  await giveToServer(site.server.owner, site.dir, 0o700)
  return site
}

async function saveSiteConfig(site: Site): Promise<void> {
  await writeFile(path.join(site.dir, 'site.json'), `${JSON.stringify(site.config, null, 2)}\n`)
}

export interface InitPrimaryOptions {
  readonly dir: string
  readonly config: Omit<SiteConfig, 'role' | 'primary'>
  /** A directory holding this site's TLS files (`issueSiteTls`); copied into the site. */
  readonly tlsDir: string
  /** The e-state database's history (every module's migrations), applied to the new database. */
  readonly migrations: MigrationHistory
  /** Extra statements run on the new database (the drill's payload table). */
  readonly setup?: readonly string[]
}

export async function initPrimary(options: InitPrimaryOptions): Promise<Site> {
  const site = await prepareSiteDir(options.dir, { ...options.config, role: 'primary' })
  await installTls(site, options.tlsDir)
  await initCluster(site.server)
  await writeServerSettings(site.server, serverSettings(site))
  await writeAccessRules(site.server, accessRules(site))
  await startServer(site.server)
  try {
    await createDatabase(site, options.migrations, options.setup ?? [])
    await withAdmin(site, async (client) => {
      await client.query(`ALTER SYSTEM SET synchronous_standby_names = '"${EMBASSY_NAME}"'`)
      await client.query(`ALTER SYSTEM SET synchronous_commit = 'remote_apply'`)
      await client.query('SELECT pg_reload_conf()')
    })
    await saveSiteConfig(site)
  } catch (error) {
    await stopServer(site.server, 'immediate').catch(() => undefined)
    throw error
  }
  return site
}

async function createDatabase(
  site: Site,
  migrations: MigrationHistory,
  setup: readonly string[],
): Promise<void> {
  await withAdmin(
    site,
    async (client) => {
      await client.query(`CREATE ROLE ${REPLICATION_ROLE} WITH REPLICATION LOGIN`)
      await client.query(`CREATE DATABASE ${DATABASE}`)
    },
    'postgres',
  )
  const store = await openStore({ url: site.adminUrl, poolSize: 2 })
  try {
    await store.migrate(migrations)
  } finally {
    await store.close()
  }
  if (setup.length > 0)
    await withAdmin(site, async (client) => {
      for (const statement of setup) await client.query(statement)
    })
}

export interface InitEmbassyOptions {
  readonly dir: string
  readonly config: Omit<SiteConfig, 'role'> & {
    readonly primary: NonNullable<SiteConfig['primary']>
  }
  /** This site's TLS files (issued with the primary's). */
  readonly tlsDir: string
}

export async function initEmbassy(options: InitEmbassyOptions): Promise<Site> {
  const site = await prepareSiteDir(options.dir, { ...options.config, role: 'embassy' })
  await installTls(site, options.tlsDir)
  await cloneReplica(site.server, {
    conninfo: replicationConninfo(site),
    slot: EMBASSY_NAME,
  })
  // The clone carries the primary's postgresql.conf; this site's own lines come after and win.
  await writeServerSettings(site.server, serverSettings(site))
  await writeAccessRules(site.server, accessRules(site))
  await startServer(site.server)
  await saveSiteConfig(site)
  return site
}

/** The embassy's libpq connection to its primary: mutual TLS, the name verified. */
export function replicationConninfo(site: Site): string {
  const primary = site.config.primary
  if (primary === undefined) throw new CloudError('CLOUD_SITE_INVALID', 'no primary configured')
  const fields: Record<string, string> = {
    host: primary.host,
    ...(primary.address === undefined ? {} : { hostaddr: primary.address }),
    port: String(primary.port),
    user: REPLICATION_ROLE,
    sslmode: 'verify-full',
    sslrootcert: site.tls.ca,
    sslcert: site.tls.clientCertificate,
    sslkey: site.tls.clientKey,
    application_name: EMBASSY_NAME,
    connect_timeout: '5',
  }
  return Object.entries(fields)
    .map(([key, value]) => `${key}='${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`)
    .join(' ')
}

function serverSettings(site: Site): Parameters<typeof writeServerSettings>[1] {
  return {
    listen: site.config.listen,
    ssl: { certificate: site.tls.serverCertificate, key: site.tls.serverKey, ca: site.tls.ca },
  }
}

/**
 * Replication only over TLS with the role's certificate; applications over TLS with a
 * password; plain loopback only where the site says so (drills).
 */
function accessRules(site: Site): string[] {
  return [
    `hostssl replication,postgres ${REPLICATION_ROLE} all cert`,
    ...(site.config.loopbackTrust === true ? ['host all all 127.0.0.1/32 trust'] : []),
    'hostssl all all all scram-sha-256',
  ]
}

async function installTls(site: Site, from: string): Promise<void> {
  const dir = path.dirname(site.tls.ca)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await giveToServer(site.server.owner, dir, 0o700)
  for (const [field, name] of Object.entries(TLS_FILE_NAMES)) {
    const source = path.join(from, name)
    if (!existsSync(source))
      throw new CloudError('CLOUD_SITE_INVALID', `TLS file missing: ${source}`)
    const target = site.tls[field as keyof SiteTlsFiles]
    await writeFile(target, await readFile(source))
    await giveToServer(site.server.owner, target, name.endsWith('.key') ? 0o600 : 0o644)
  }
}
