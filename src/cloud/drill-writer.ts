/**
 * One client of the failover drill: writes acts as fast as the primary acknowledges them, each
 * with its idempotency key, and keeps an honest ledger of what it was told — an act counts as
 * acknowledged only when COMMIT returned OK (or a retry found its key); an act whose COMMIT
 * errored, lost its connection or had its replication wait cancelled is "outcome unknown" and
 * is retried with the same key once a primary answers again. It finds that primary itself, by
 * asking each known server whether it is one, at the highest generation it has seen.
 *
 * An act has the shape of every module's act: its row (`drill_payloads`) and its ledger entry
 * through the ledger's recorder, in one transaction that declares the writer's generation
 * (`estate.generation`, as a node's connection does), so the site fence on the ledger's outbox
 * is on the path too.
 */
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely'
import pg from 'pg'
import { ledgerRecorder } from '../ledger/index.ts'
import type { Schema } from '../storage/index.ts'
import { commitAct, readSiteGeneration } from './acts.ts'
import { CloudError } from './errors.ts'

/** The ledger kind of a drill act's entry (throwaway clusters only, never a node's ledger). */
export const DRILL_ACT_KIND = 'drill-act'

export interface WriterEndpoint {
  readonly host: string
  readonly port: number
  readonly database: string
}

export interface WriterRecord {
  readonly acknowledged: Set<string>
  /** Keys whose outcome is still unknown. */
  readonly unknown: Set<string>
  /** Keys that were ever unknown, and how each ended. */
  readonly resolvedAsCommitted: Set<string>
  readonly resolvedByRetry: Set<string>
  /** Milliseconds from the primary's death to this writer's first acknowledgement after it. */
  firstAckAfter: number | undefined
}

export interface DrillWriter {
  readonly record: WriterRecord
  /** Marks the moment the primary died: the next acknowledgement after it is timed. */
  markDeath(at: number): void
  /** True once nothing is unknown and a write has succeeded since the death. */
  settled(): boolean
  stop(): Promise<void>
}

export function startDrillWriter(
  id: number,
  endpoints: readonly WriterEndpoint[],
  prefix: string,
): DrillWriter {
  const record: WriterRecord = {
    acknowledged: new Set(),
    unknown: new Set(),
    resolvedAsCommitted: new Set(),
    resolvedByRetry: new Set(),
    firstAckAfter: undefined,
  }
  let deathAt: number | undefined
  let generationAtDeath = 0
  let stopping = false
  let sequence = 0
  let highest = 0
  let client: pg.Client | undefined
  const retries: string[] = []

  const drop = async (): Promise<void> => {
    const old = client
    client = undefined
    void old?.end().catch(() => undefined)
  }

  const findPrimary = async (): Promise<pg.Client | undefined> => {
    for (const endpoint of endpoints) {
      const candidate = new pg.Client({
        ...endpoint,
        user: 'postgres',
        connectionTimeoutMillis: 1_000,
        query_timeout: 10_000,
      })
      candidate.on('error', () => undefined)
      try {
        await candidate.connect()
        const site = await readSiteGeneration(candidate)
        if (!site.inRecovery && !site.fenced && site.generation >= highest) {
          highest = site.generation
          return candidate
        }
      } catch {
        // dead, or not ready: try the next one
      }
      await candidate.end().catch(() => undefined)
    }
    return undefined
  }

  const writeOne = async (connection: pg.Client): Promise<void> => {
    const retry = retries.shift()
    const key = retry ?? `${prefix}-w${id}-${++sequence}`
    try {
      const outcome = await commitAct(connection, {
        key,
        generation: highest,
        apply: async (inside) => {
          await inside.query(`SELECT set_config('estate.generation', $1, true)`, [String(highest)])
          const payload = await inside.query<{ id: string }>(
            'INSERT INTO drill_payloads (act_key, writer) VALUES ($1, $2) RETURNING id',
            [key, id],
          )
          await ledgerRecorder.record(onConnection(inside), [
            {
              kind: DRILL_ACT_KIND,
              refId: Number(payload.rows[0]?.id),
              recordedAt: new Date().toISOString(),
              entry: Buffer.from(JSON.stringify({ kind: DRILL_ACT_KIND, act: key })),
            },
          ])
        },
      })
      record.acknowledged.add(key)
      if (record.unknown.delete(key)) {
        if (outcome === 'already-applied') record.resolvedAsCommitted.add(key)
        else record.resolvedByRetry.add(key)
      }
      // Only the new primary's acknowledgements count (one already in flight from the old
      // primary's socket buffer could arrive just after the kill).
      if (
        deathAt !== undefined &&
        highest > generationAtDeath &&
        record.firstAckAfter === undefined
      )
        record.firstAckAfter = performance.now() - deathAt
    } catch (error) {
      if (error instanceof CloudError && error.code === 'CLOUD_OUTCOME_UNKNOWN')
        record.unknown.add(key)
      // Unknown or surely not applied, the act is retried with the same key.
      retries.push(key)
      await drop()
    }
  }

  const loop = (async () => {
    while (!stopping) {
      client ??= await findPrimary()
      if (client === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        continue
      }
      await writeOne(client)
    }
    await drop()
  })()

  return {
    record,
    markDeath(at) {
      deathAt = at
      generationAtDeath = highest
    },
    settled: () =>
      deathAt !== undefined && record.firstAckAfter !== undefined && record.unknown.size === 0,
    async stop() {
      stopping = true
      await loop
    },
  }
}

const onConnections = new WeakMap<pg.ClientBase, Kysely<Schema>>()

/** Kysely on the one connection an act runs on, inside its open transaction (one per connection). */
export function onConnection(client: pg.ClientBase): Kysely<Schema> {
  let db = onConnections.get(client)
  if (db === undefined) {
    const pool = {
      connect: async () => Object.assign(client, { release: () => undefined }),
      end: async () => undefined,
    } as unknown as PostgresPool
    db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) })
    onConnections.set(client, db)
  }
  return db
}
