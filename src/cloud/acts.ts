/**
 * Writing an act so that a failover can neither lose nor double it.
 *
 * An act is one transaction that also inserts its idempotency key into `cloud_acts`, declaring
 * the generation the writer believes current. The table's trigger (migration 0022) refuses the
 * insert when the site is fenced or at another generation, so a writer that has seen a promotion
 * can never again write to the old primary, and no act at all lands on a fenced one.
 *
 * The outcome of an act is one of three, never guessed:
 * - applied (COMMIT returned OK with no warning): acknowledged;
 * - already applied (its key was there): a retry of an act that did commit; acknowledged;
 * - unknown (`CLOUD_OUTCOME_UNKNOWN`): the connection died during COMMIT, or PostgreSQL cancelled
 *   the wait for the embassy (it then commits locally and says so only in a WARNING, while COMMIT
 *   itself "succeeds"). Such an act is retried with the same key once a primary answers.
 */
import net from 'node:net'
import path from 'node:path'
import type pg from 'pg'
import { CloudError } from './errors.ts'

export type ActOutcome = 'applied' | 'already-applied'

export interface Act {
  /** The idempotency key: the same key for every retry of one act. */
  readonly key: string
  /** The site generation the writer believes current (the highest it has seen). */
  readonly generation: number
  /** The act's own statements, inside its transaction. */
  readonly apply?: (client: pg.ClientBase) => Promise<void>
  /** How long COMMIT may wait for the embassy before the act is "outcome unknown" (30 s). */
  readonly commitTimeoutMs?: number
}

const FENCE_SQLSTATE = 'ES001'
const CANCELLED_WAIT = /synchronous replication/i

export async function commitAct(client: pg.ClientBase, act: Act): Promise<ActOutcome> {
  await client.query('BEGIN')
  try {
    const inserted = await client.query(
      `INSERT INTO cloud_acts (act_key, generation, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (act_key) DO NOTHING`,
      [act.key, act.generation, new Date().toISOString()],
    )
    if (inserted.rowCount === 0) {
      await client.query('ROLLBACK')
      return 'already-applied'
    }
    await act.apply?.(client)
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw fenceOr(error, act)
  }
  await commitOrUnknown(client, act)
  return 'applied'
}

/** COMMIT, where anything but a clean OK means "outcome unknown". */
async function commitOrUnknown(client: pg.ClientBase, act: Act): Promise<void> {
  let confirmed: boolean
  try {
    confirmed = await commitWithin(client, act.commitTimeoutMs ?? 30_000)
  } catch (error) {
    throw new CloudError(
      'CLOUD_OUTCOME_UNKNOWN',
      `act ${act.key}: COMMIT failed (${(error as Error).message}); it may have committed`,
      { key: act.key },
      { cause: error },
    )
  }
  if (!confirmed)
    throw new CloudError(
      'CLOUD_OUTCOME_UNKNOWN',
      `act ${act.key}: committed here but not confirmed by the embassy (wait cancelled)`,
      { key: act.key },
    )
}

/**
 * COMMIT with a bound on the wait for the embassy: true when it returned clean; false when the
 * wait was cancelled (by us after `timeoutMs`, or by anyone: PostgreSQL then commits locally and
 * says so only in a WARNING). `statement_timeout` cannot bound it: PostgreSQL disarms it before
 * the commit's replication wait. Throws when COMMIT itself failed.
 */
export async function commitWithin(client: pg.ClientBase, timeoutMs: number): Promise<boolean> {
  const warnings: string[] = []
  const onNotice = (notice: { message?: string }): void => {
    if (notice.message !== undefined) warnings.push(notice.message)
  }
  client.on('notice', onNotice)
  const timer = setTimeout(() => void sendCancelRequest(client), timeoutMs)
  try {
    await client.query('COMMIT')
  } finally {
    clearTimeout(timer)
    client.off('notice', onNotice)
  }
  return !warnings.some((warning) => CANCELLED_WAIT.test(warning))
}

/**
 * The protocol's CancelRequest (PostgreSQL protocol §55.2.7) on a new connection to the same
 * server: 16 bytes naming the backend and its secret key; no login, so no credentials needed.
 * Should it arrive after COMMIT has returned, it can only cancel the writer's next statement,
 * which then fails and is retried under the same key.
 */
async function sendCancelRequest(client: pg.ClientBase): Promise<void> {
  const target = client as unknown as {
    host: string
    port: number
    processID: number | null
    secretKey: number | null
  }
  if (target.processID === null || target.secretKey === null) return
  const request = Buffer.alloc(16)
  request.writeInt32BE(16, 0)
  request.writeInt32BE(80877102, 4)
  request.writeUInt32BE(target.processID >>> 0, 8)
  request.writeUInt32BE(target.secretKey >>> 0, 12)
  await new Promise<void>((resolve) => {
    const socket = target.host.startsWith('/')
      ? net.connect(path.join(target.host, `.s.PGSQL.${target.port}`))
      : net.connect(target.port, target.host)
    socket.setTimeout(5_000, () => socket.destroy())
    socket.once('connect', () => socket.end(request))
    socket.once('error', () => resolve())
    socket.once('close', () => resolve())
  })
}

function fenceOr(error: unknown, act: Act): unknown {
  if ((error as { code?: string }).code !== FENCE_SQLSTATE) return error
  return new CloudError(
    'CLOUD_FENCED',
    `act ${act.key} refused: ${(error as Error).message}`,
    { key: act.key, generation: act.generation },
    { cause: error },
  )
}

export interface SiteGeneration {
  readonly generation: number
  readonly fenced: boolean
  /** True on a replica (it serves reads; acts go to the primary). */
  readonly inRecovery: boolean
}

/** What a writer needs to know of a server before it sends acts there. */
export async function readSiteGeneration(client: pg.ClientBase): Promise<SiteGeneration> {
  const result = await client.query<{ generation: string; fenced_at: string | null; r: boolean }>(
    'SELECT generation::text AS generation, fenced_at, pg_is_in_recovery() AS r FROM cloud_site WHERE id = 1',
  )
  const row = result.rows[0]
  if (row === undefined) throw new CloudError('CLOUD_SITE_INVALID', 'no cloud_site row: migrate')
  return { generation: Number(row.generation), fenced: row.fenced_at !== null, inRecovery: row.r }
}
