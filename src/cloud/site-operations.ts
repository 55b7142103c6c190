/**
 * What an operator asks of a running site: its status, and the one decision synchronous
 * replication forces on us — what to do while the embassy is away.
 *
 * With one synchronous standby, losing the embassy blocks every commit at the primary. We do not
 * fall back to asynchronous replication on our own: that would silently withdraw the promise
 * that an acknowledged act survives the loss of the primary site. Writers whose commits wait
 * too long get "outcome unknown" (never success), the status shows the embassy missing, and an
 * operator decides: `e-state site degrade --reason …` lets the primary commit alone (recorded in
 * the site's events, with who and why, and in the `cloud_site` row), and
 * `e-state site restore-sync` returns to synchronous replication once the embassy streams again
 * (it waits for the embassy to confirm, then records it; the record's own commit is the proof).
 */
import type pg from 'pg'
import { commitWithin } from './acts.ts'
import { CloudError } from './errors.ts'
import { probePrimary } from './promote.ts'
import { EMBASSY_NAME, withAdmin, type Site } from './site.ts'

export interface SiteStatus {
  readonly role: 'primary' | 'replica'
  readonly generation: number
  readonly replicationMode: string
  readonly fenced: boolean
  /** On a primary: the embassy's replication state, if it is connected. */
  readonly embassy?: {
    readonly state: string
    readonly syncState: string
    readonly replayLagBytes: number
  }
  /** On a replica: whether its primary answers, and how far behind it has replayed. */
  readonly primary?: 'alive' | 'dead'
  readonly synchronousStandbyNames: string
}

export async function siteStatus(site: Site): Promise<SiteStatus> {
  const status = await withAdmin(site, async (client) => {
    const row = (
      await client.query<{
        r: boolean
        generation: string
        replication_mode: string
        fenced_at: string | null
        names: string
      }>(
        `SELECT pg_is_in_recovery() AS r, generation::text AS generation, replication_mode,
                fenced_at, current_setting('synchronous_standby_names') AS names
         FROM cloud_site WHERE id = 1`,
      )
    ).rows[0]
    if (row === undefined) throw new CloudError('CLOUD_SITE_INVALID', 'no cloud_site row: migrate')
    const embassy = row.r
      ? undefined
      : (
          await client.query<{ state: string; sync_state: string; lag: string }>(
            `SELECT state, sync_state,
                    coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::text AS lag
             FROM pg_stat_replication WHERE application_name = $1`,
            [EMBASSY_NAME],
          )
        ).rows[0]
    return {
      role: row.r ? ('replica' as const) : ('primary' as const),
      generation: Number(row.generation),
      replicationMode: row.replication_mode,
      fenced: row.fenced_at !== null,
      synchronousStandbyNames: row.names,
      embassy:
        embassy === undefined
          ? undefined
          : {
              state: embassy.state,
              syncState: embassy.sync_state,
              replayLagBytes: Number(embassy.lag),
            },
    }
  })
  if (status.role === 'replica') return { ...status, primary: await probePrimary(site) }
  return status
}

/** The primary commits without waiting for the embassy, recorded with the reason given. */
export async function degradeSite(site: Site, reason: string, by: string): Promise<void> {
  await withAdmin(site, async (client) => {
    await assertPrimary(client)
    // First stop waiting (commits already waiting are released), then record the decision.
    await client.query(`ALTER SYSTEM SET synchronous_standby_names = ''`)
    await client.query('SELECT pg_reload_conf()')
    await recordMode(client, 'degraded', `by ${by}: ${reason}`)
  })
}

/** Back to synchronous replication; fails (and stays degraded) unless the embassy streams. */
export async function restoreSync(site: Site, by: string, timeoutMs = 30_000): Promise<void> {
  await withAdmin(site, async (client) => {
    await assertPrimary(client)
    const streaming = await client.query(
      `SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'`,
      [EMBASSY_NAME],
    )
    if (streaming.rowCount === 0)
      throw new CloudError(
        'CLOUD_SITE_INVALID',
        'the embassy is not streaming: synchronous replication cannot be restored yet',
      )
    await client.query(`ALTER SYSTEM SET synchronous_standby_names = '"${EMBASSY_NAME}"'`)
    await client.query(`ALTER SYSTEM SET synchronous_commit = 'remote_apply'`)
    await client.query('SELECT pg_reload_conf()')
    // This commit waits for the embassy: when it returns, replication is synchronous again.
    await recordMode(client, 'synchronous', `by ${by}`, timeoutMs)
  })
}

async function assertPrimary(client: pg.ClientBase): Promise<void> {
  const result = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')
  if (result.rows[0]?.r !== false)
    throw new CloudError('CLOUD_SITE_INVALID', 'this site is a replica: run this on the primary')
}

async function recordMode(
  client: pg.ClientBase,
  mode: 'synchronous' | 'degraded',
  detail: string,
  timeoutMs = 30_000,
): Promise<void> {
  const at = new Date().toISOString()
  await client.query('BEGIN')
  await client.query(
    `UPDATE cloud_site SET replication_mode = $1, mode_changed_at = $2 WHERE id = 1`,
    [mode, at],
  )
  await client.query(
    `INSERT INTO cloud_site_events (at, generation, event, detail)
     SELECT $1, generation, $2, $3 FROM cloud_site WHERE id = 1`,
    [at, mode === 'degraded' ? 'degrade' : 'restore-sync', detail],
  )
  if (!(await commitWithin(client, timeoutMs)))
    throw new CloudError(
      'CLOUD_OUTCOME_UNKNOWN',
      'the embassy did not confirm in time: synchronous replication is set but not confirmed',
    )
}
