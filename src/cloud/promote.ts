/**
 * Promotion of the embassy, and the fence that keeps the old primary from ever acknowledging
 * another act.
 *
 * Fencing, in three layers, each enough alone for what it covers:
 *
 * 1. The generation. `cloud_site.generation` is bumped by every promotion, on the new primary,
 *    before anything else is written there. Every act declares the generation its writer has
 *    seen (the highest: a writer never goes back) and the `cloud_acts` trigger refuses it on a
 *    server at another generation. A writer that has seen the promotion cannot write to the
 *    old primary again, whatever state that server comes back in.
 * 2. The old server itself, where promotion can reach it (a switchover, or `--force`): its row
 *    is marked fenced (the trigger then refuses every act), it is set read-only
 *    (`ALTER SYSTEM SET default_transaction_read_only`), its sessions are ended, and, when it runs
 *    on this machine, it is stopped. We wait for the embassy to replay everything it wrote.
 * 3. Synchronous replication. An old primary that was dead during promotion and restarts later
 *    still requires its standby `embassy` to confirm every commit; the embassy is now a primary
 *    and never will, so nothing it commits is ever acknowledged (a writer whose wait is
 *    cancelled gets "outcome unknown", see acts.ts). In degraded mode this layer is off, which
 *    is why degrading is an operator's recorded decision, and why the runbook says: never
 *    restart an old primary as a primary; rebuild it as the new primary's replica.
 *
 * Promotion refuses, and changes nothing, on a server that is not a replica, and while the
 * primary still answers unless forced (then it is fenced first). It reports done only after an
 * act has committed on the new primary under the new generation.
 */
import { existsSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { commitAct, commitWithin } from './acts.ts'
import { CloudError } from './errors.ts'
import { stopServer } from './postgres-server.ts'
import { connectAdmin, withAdmin, type Site } from './site.ts'
import { REPLICATION_ROLE } from './site-tls.ts'

export interface PromoteOptions {
  /** Promote even though the primary answers: it is fenced first. */
  readonly force?: boolean
  /** The old primary's site, when it is on this machine (fenced through its socket, stopped). */
  readonly oldPrimary?: Site
  /** The old primary's admin connection string, when it is elsewhere (fenced, not stopped). */
  readonly oldPrimaryUrl?: string
  /** Automatic mode: the arbiter's vote that the primary is dead; promotion needs it. */
  readonly vote?: () => Promise<boolean>
  readonly now?: () => Date
}

export interface PromoteReport {
  readonly generation: number
  /** What became of the old primary. */
  readonly oldPrimary: 'unreachable' | 'fenced-and-stopped' | 'fenced-read-only'
  readonly tookMs: number
}

export async function promoteEmbassy(
  embassy: Site,
  options: PromoteOptions = {},
): Promise<PromoteReport> {
  const started = performance.now()
  const now = options.now ?? (() => new Date())
  await assertReplica(embassy)
  const alive = (await probePrimary(embassy)) === 'alive'
  if (alive && options.force !== true)
    throw new CloudError(
      'CLOUD_PRIMARY_ALIVE',
      'the primary still answers: promote only a dead primary, or pass --force to fence it first',
    )
  if (options.vote !== undefined && !(await options.vote()))
    throw new CloudError('CLOUD_NO_QUORUM', 'the arbiter does not see the primary dead')
  let oldPrimary: PromoteReport['oldPrimary'] = 'unreachable'
  if (alive) {
    if (options.oldPrimary === undefined && options.oldPrimaryUrl === undefined)
      throw new CloudError(
        'CLOUD_PRIMARY_ALIVE',
        'the primary answers and cannot be fenced from here: give --primary-dir or --primary-url',
      )
    oldPrimary = await fenceOldPrimary(embassy, options, now)
  }
  await promoteServer(embassy)
  const generation = await bumpGeneration(embassy, now, oldPrimary)
  return { generation, oldPrimary, tookMs: Math.round(performance.now() - started) }
}

/** Refuses (having changed nothing) unless the server is a running replica. */
async function assertReplica(site: Site): Promise<void> {
  const inRecovery = await withAdmin(site, async (client) => {
    const result = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')
    return result.rows[0]?.r === true
  })
  if (!inRecovery)
    throw new CloudError(
      'CLOUD_NOT_REPLICA',
      `${site.dir} is not a replica: it is a primary already; nothing was changed`,
    )
}

/**
 * Does the primary answer? A TLS connection with the embassy's replication certificate, as the
 * replication link itself would make; refused, reset or silent for two seconds means dead.
 */
/** Connection errors that mean "nobody answers there" (not "it answered with an error"). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/** A failed connection that is silence (refused, unreachable, timed out): the server is dead. */
export function isSilence(error: unknown): boolean {
  const code = (error as { code?: string }).code
  return (code !== undefined && UNREACHABLE.has(code)) || /timeout/i.test((error as Error).message)
}

export async function probePrimary(site: Site, timeoutMs = 2_000): Promise<'alive' | 'dead'> {
  const primary = site.config.primary
  if (primary === undefined) return 'dead'
  const client = new pg.Client({
    host: primary.address ?? primary.host,
    port: primary.port,
    user: REPLICATION_ROLE,
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
    ssl: existsSync(site.tls.clientKey)
      ? {
          ca: readFileSync(site.tls.ca),
          cert: readFileSync(site.tls.clientCertificate),
          key: readFileSync(site.tls.clientKey),
          servername: primary.host,
          rejectUnauthorized: true,
        }
      : undefined,
  })
  client.on('error', () => undefined)
  try {
    await client.connect()
    return 'alive'
  } catch (error) {
    // Only silence counts as dead. Anything that answered (a refused login, a TLS handshake
    // with an unexpected certificate) is a server that may still take writes: alive, so
    // promotion is refused rather than risking two primaries.
    return isSilence(error) ? 'dead' : 'alive'
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function fenceOldPrimary(
  embassy: Site,
  options: PromoteOptions,
  now: () => Date,
): Promise<PromoteReport['oldPrimary']> {
  const client =
    options.oldPrimary !== undefined
      ? await connectAdmin(options.oldPrimary)
      : new pg.Client({ connectionString: options.oldPrimaryUrl, connectionTimeoutMillis: 5_000 })
  client.on('error', () => undefined)
  let lsn: string
  try {
    if (options.oldPrimary === undefined) await client.connect()
    const at = now().toISOString()
    await client.query('BEGIN')
    await client.query('UPDATE cloud_site SET fenced_at = $1 WHERE id = 1', [at])
    await client.query(
      `INSERT INTO cloud_site_events (at, generation, event, detail)
       SELECT $1, generation, 'fenced', 'promotion of the embassy' FROM cloud_site WHERE id = 1`,
      [at],
    )
    // Bounded: unconfirmed by the embassy, the mark still holds here, which is what counts.
    await commitWithin(client, 10_000)
    await client.query('ALTER SYSTEM SET default_transaction_read_only = on')
    await client.query('SELECT pg_reload_conf()')
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    )
    const result = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')
    lsn = result.rows[0]?.lsn ?? '0/0'
  } finally {
    await client.end().catch(() => undefined)
  }
  await waitForReplay(embassy, lsn)
  if (options.oldPrimary === undefined) return 'fenced-read-only'
  await stopServer(options.oldPrimary.server, 'fast')
  return 'fenced-and-stopped'
}

async function waitForReplay(site: Site, lsn: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  await withAdmin(site, async (client) => {
    for (;;) {
      const result = await client.query<{ done: boolean }>(
        'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
        [lsn],
      )
      if (result.rows[0]?.done === true) return
      if (Date.now() > deadline)
        throw new CloudError(
          'CLOUD_PROMOTE_FAILED',
          `the embassy did not replay the fenced primary's last WAL (${lsn}) in time; not promoted`,
        )
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })
}

/**
 * Ends recovery. Before that, the server is made read-only by default, so that between the end
 * of recovery and the new generation no act of the old generation can land here; and it drops
 * what the clone inherited from the primary that would block writes: `synchronous_standby_names`
 * (every commit would wait for a standby that does not exist).
 */
async function promoteServer(site: Site): Promise<void> {
  await withAdmin(site, async (client) => {
    await client.query('ALTER SYSTEM SET default_transaction_read_only = on')
    await client.query(`ALTER SYSTEM SET synchronous_standby_names = ''`)
    await client.query('SELECT pg_reload_conf()')
    const result = await client.query<{ ok: boolean }>('SELECT pg_promote(true, 60) AS ok')
    if (result.rows[0]?.ok !== true)
      throw new CloudError('CLOUD_PROMOTE_FAILED', 'pg_promote did not finish within 60 s')
  })
}

/**
 * The new generation (the first write here), then writes opened to all, then an act under the
 * new generation: done means a write has completed on the new primary.
 */
async function bumpGeneration(
  site: Site,
  now: () => Date,
  oldPrimary: PromoteReport['oldPrimary'],
): Promise<number> {
  const generation = await withAdmin(site, async (client) => {
    const at = now().toISOString()
    await client.query('BEGIN READ WRITE')
    const bumped = await client.query<{ generation: string }>(
      `UPDATE cloud_site SET generation = generation + 1, fenced_at = NULL,
         replication_mode = 'degraded', mode_changed_at = $1
       WHERE id = 1 RETURNING generation::text AS generation`,
      [at],
    )
    const next = Number(bumped.rows[0]?.generation)
    await client.query(
      `INSERT INTO cloud_site_events (at, generation, event, detail) VALUES ($1, $2, 'promoted', $3)`,
      [at, next, `the embassy is the primary; old primary ${oldPrimary}; no standby yet`],
    )
    await client.query('COMMIT')
    await client.query('ALTER SYSTEM RESET default_transaction_read_only')
    await client.query('SELECT pg_reload_conf()')
    return next
  })
  await writeProofAct(site, generation, now)
  return generation
}

/** An ordinary act on a fresh session; it may see the old read-only default for a moment. */
async function writeProofAct(site: Site, generation: number, now: () => Date): Promise<void> {
  const deadline = Date.now() + 5_000
  for (;;) {
    try {
      await withAdmin(site, (client) =>
        commitAct(client, { key: `promote:${generation}:${now().toISOString()}`, generation }),
      )
      return
    } catch (error) {
      const readOnly = (error as { code?: string }).code === READ_ONLY_TRANSACTION
      if (!readOnly || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
}

const READ_ONLY_TRANSACTION = '25006'
