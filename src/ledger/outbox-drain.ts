/**
 * Moves outbox entries (genesis, access records, registry changes) into the log, in order, in
 * batches: one transaction takes the oldest entries, appends them with their RFC 9162 leaf
 * hashes at the next indices and deletes them from the outbox. Checkpoints, tiles and witness
 * cosignatures build on these entries (issue "Integrity ledger").
 *
 * On PostgreSQL an advisory lock makes one drainer at a time append, whatever the number of
 * application processes; on SQLite there is one writer anyway.
 */
import { sql, type Kysely } from 'kysely'
import type { Clock } from '../shared/index.ts'
import type { Schema, Store } from '../storage/index.ts'
import { formatCheckpoint } from './checkpoint.ts'
import { createCompactRange, type CompactRange } from './compact-range.ts'
import { hashLeaf } from './merkle-hash.ts'
import { signNote, type NoteSigner } from './note.ts'

const DRAIN_LOCK = 0x65737461 // "esta"

export interface OutboxDrain {
  /** Appends what the outbox holds now (up to one batch); returns how many entries moved. */
  drainOnce(): Promise<number>
  stop(): Promise<void>
}

export interface OutboxDrainOptions {
  readonly store: Store
  readonly clock: Clock
  /** Sign a C2SP checkpoint of the new tree size with every batch appended. */
  readonly checkpoints?: { readonly origin: string; readonly signer: NoteSigner }
  readonly intervalMs?: number
  readonly batchSize?: number
  readonly onError?: (error: unknown) => void
}

export function startOutboxDrain(options: OutboxDrainOptions): OutboxDrain {
  const { store, clock } = options
  const batchSize = options.batchSize ?? 5000
  let stopped = false
  let running: Promise<number> | null = null

  // The tree's right edge as of the last committed batch; rebuilt from the stored leaf hashes
  // whenever another process has appended meanwhile (or at start).
  let range: CompactRange | undefined
  const rangeAt = async (db: Kysely<Schema>, size: number): Promise<CompactRange> => {
    if (range?.size === size) return range.clone()
    const rebuilt = createCompactRange()
    const leaves = await db
      .selectFrom('ledger_entries')
      .select('leaf_hash')
      .where('idx', '<', size)
      .orderBy('idx')
      .execute()
    for (const leaf of leaves) rebuilt.append(leaf.leaf_hash)
    return rebuilt
  }
  const publisher: Publisher | undefined =
    options.checkpoints === undefined
      ? undefined
      : {
          ...options.checkpoints,
          rangeAt,
          accept: (next) => {
            range = next
          },
        }

  const drainOnce = (): Promise<number> => {
    running ??= appendBatch(store, clock, batchSize, publisher).finally(() => {
      running = null
    })
    return running
  }

  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        const moved = await drainOnce()
        if (moved === batchSize) continue
      } catch (error) {
        options.onError?.(error)
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100))
    }
  }
  const looping = options.intervalMs === 0 ? Promise.resolve() : loop()

  return {
    drainOnce,
    async stop() {
      stopped = true
      await looping
      await running
    },
  }
}

interface Publisher {
  readonly origin: string
  readonly signer: NoteSigner
  rangeAt(db: Kysely<Schema>, size: number): Promise<CompactRange>
  accept(range: CompactRange): void
}

async function appendBatch(
  store: Store,
  clock: Clock,
  batchSize: number,
  publisher?: Publisher,
): Promise<number> {
  let extended: CompactRange | undefined
  const moved = await store.db.transaction().execute(async (trx) => {
    if (store.engine === 'postgres') {
      const { rows } = await sql<{
        locked: boolean
      }>`select pg_try_advisory_xact_lock(${DRAIN_LOCK}) as locked`.execute(trx)
      if (rows[0]?.locked !== true) return 0
    }
    const pending = await trx
      .selectFrom('ledger_outbox')
      .select(['id', 'kind', 'entry'])
      .orderBy('id')
      .limit(batchSize)
      .execute()
    if (pending.length === 0) return 0
    const next = await nextIndex(trx)
    const appendedAt = clock.now().toISOString()
    const rows = pending.map((item, offset) => ({
      idx: next + offset,
      kind: item.kind,
      entry: item.entry,
      leaf_hash: hashLeaf(item.entry),
      appended_at: appendedAt,
    }))
    for (let start = 0; start < rows.length; start += 500) {
      await trx
        .insertInto('ledger_entries')
        .values(rows.slice(start, start + 500))
        .execute()
    }
    // Exactly the ids taken: on PostgreSQL a lower id can still commit after a higher one.
    const ids = pending.map((item) => item.id)
    for (let start = 0; start < ids.length; start += 1000) {
      await trx
        .deleteFrom('ledger_outbox')
        .where('id', 'in', ids.slice(start, start + 1000))
        .execute()
    }
    if (publisher !== undefined) {
      extended = await publisher.rangeAt(trx, next)
      for (const row of rows) extended.append(row.leaf_hash)
      const rootHash = extended.root()
      const note = signNote(
        formatCheckpoint({ origin: publisher.origin, size: extended.size, rootHash }),
        [publisher.signer],
      )
      await trx
        .insertInto('ledger_checkpoints')
        .values({ size: extended.size, root_hash: rootHash, note, signed_at: appendedAt })
        .execute()
    }
    return pending.length
  })
  if (extended !== undefined) publisher?.accept(extended)
  return moved
}

async function nextIndex(db: Kysely<Schema>): Promise<number> {
  const row = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.max('idx').as('last'))
    .executeTakeFirst()
  return row?.last === null || row?.last === undefined ? 0 : Number(row.last) + 1
}
