/**
 * The log's writer and publisher.
 *
 * Writer: appends are queued and written in durable batches (group commit). One transaction
 * takes every queued append and the oldest entries of the outbox (access records and registry
 * changes that the personal-data door committed with its acts), gives them the next indices,
 * stores their RFC 9162 leaf hashes and the tile hashes they complete, and commits; only then
 * are the appends acknowledged. SQLite runs `synchronous=FULL`, so a commit is fsynced; on
 * PostgreSQL an advisory lock makes the appending processes take turns.
 *
 * Publisher: at most every `checkpointIntervalMs` (and on demand), the log signs a C2SP
 * checkpoint of the committed tree, stores it (one per size: the primary key refuses a second,
 * different note for a size), then asks each witness to cosign it with a consistency proof from
 * the size that witness last cosigned. A checkpoint is published — served, used for receipts —
 * only once every witness has cosigned it. Only committed entries are ever signed, so a crash at
 * any point cannot yield two different checkpoints of one size.
 */
import { sql, type Kysely } from 'kysely'
import type { Clock } from '../shared/index.ts'
import type { Schema, Store } from '../storage/index.ts'
import { LedgerError } from './errors.ts'
import { formatCheckpoint } from './checkpoint.ts'
import { hashLeaf } from './merkle-hash.ts'
import { signNote, type NoteSigner } from './note.ts'
import {
  createTreeReader,
  extendTileHashes,
  rangeHash,
  storedConsistencyProof,
  type TreeReader,
} from './stored-tree.ts'
import { appendCosignatures, formatAddCheckpoint } from './witness.ts'

const APPEND_LOCK = 0x65737461 // "esta"

/** A witness as the log sees it: the C2SP tlog-witness `add-checkpoint` call. */
export interface WitnessClient {
  readonly name: string
  addCheckpoint(body: string): Promise<{ status: number; contentType: string; body: string }>
}

export interface LedgerOptions {
  readonly store: Store
  readonly clock: Clock
  readonly origin: string
  readonly signer: NoteSigner
  /** Every one of them must cosign before a checkpoint is published. */
  readonly witnesses: readonly WitnessClient[]
  /** How often the outbox is drained; 0 runs nothing in the background (tests drive it). */
  readonly intervalMs?: number
  /** A new checkpoint at least this often while the log grows. */
  readonly checkpointIntervalMs?: number
  readonly batchSize?: number
  /** `stage` is `append`, `drain` or `publish`. */
  readonly onError?: (error: unknown, stage: 'append' | 'drain' | 'publish') => void
  readonly onBatch?: (entries: number) => void
  readonly onPublished?: (size: number) => void
  /**
   * A reader of a log another site writes (an embassy on its standby): the tree, proofs and
   * published checkpoints, nothing appended, drained or published here.
   */
  readonly readOnly?: boolean
}

export interface PublishedCheckpoint {
  readonly size: number
  readonly rootHash: Buffer
  /** The note with the log's signature and every witness's cosignature. */
  readonly note: string
}

export interface Ledger {
  readonly origin: string
  readonly signer: NoteSigner
  /** The stored tree, with full tiles cached. */
  readonly tree: TreeReader
  /** Appends one entry; resolves with its index once it is durable. */
  append(kind: string, entry: Uint8Array, refId?: number): Promise<number>
  /** Drains what the outbox holds now (one batch) and publishes; returns the entries moved. */
  drainOnce(): Promise<number>
  /** Signs and has cosigned a checkpoint of the committed tree, if it grew. */
  publish(): Promise<PublishedCheckpoint | undefined>
  /** The newest published checkpoint. */
  latest(): Promise<PublishedCheckpoint | undefined>
  stop(): Promise<void>
}

interface Pending {
  readonly kind: string
  readonly entry: Uint8Array
  readonly refId: number | null
  resolve(index: number): void
  reject(error: unknown): void
}

export async function openLedger(options: LedgerOptions): Promise<Ledger> {
  const { store, clock } = options
  const batchSize = options.batchSize ?? 5000
  const checkpointIntervalMs = options.checkpointIntervalMs ?? 1000
  const tree = createTreeReader(store.db, { cachedTiles: 2048 })
  if (options.readOnly === true) {
    const refuse = () =>
      Promise.reject(
        new LedgerError('LEDGER_READ_ONLY', 'this site reads the log; the primary writes it'),
      )
    return {
      origin: options.origin,
      signer: options.signer,
      tree,
      append: refuse,
      drainOnce: async () => 0,
      publish: async () => undefined,
      latest: () => latestPublished(store.db),
      stop: async () => undefined,
    }
  }
  const queue: Pending[] = []
  let stopped = false

  await repairTileHashes(store.db)

  // One batch at a time per process: appends and outbox drains share the chain.
  let chain: Promise<unknown> = Promise.resolve()
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = chain.then(task, task)
    chain = run.catch(() => undefined)
    return run
  }

  const writeBatch = async (withOutbox: boolean): Promise<number> => {
    const batch = queue.splice(0, batchSize)
    try {
      const { first, moved } = await appendBatch(store, clock, batch, withOutbox ? batchSize : 0)
      batch.forEach((item, offset) => item.resolve(first + offset))
      if (batch.length + moved > 0) options.onBatch?.(batch.length + moved)
      return batch.length + moved
    } catch (error) {
      for (const item of batch) item.reject(error)
      throw error
    }
  }

  let flushing = false
  const flushQueue = () => {
    if (flushing) return
    flushing = true
    void serial(async () => {
      try {
        while (queue.length > 0) await writeBatch(false)
      } catch (error) {
        options.onError?.(error, 'append')
      } finally {
        flushing = false
        if (queue.length > 0) flushQueue()
      }
    })
  }

  const witnessSizes = new Map<string, number>()
  let publishing: Promise<PublishedCheckpoint | undefined> | null = null
  const publish = (): Promise<PublishedCheckpoint | undefined> => {
    publishing ??= publishOnce(store.db, tree, options, clock, witnessSizes)
      .then((published) => {
        if (published !== undefined) options.onPublished?.(published.size)
        return published
      })
      .finally(() => {
        publishing = null
      })
    return publishing
  }

  const drainOnce = async (): Promise<number> => {
    const moved = await serial(() => writeBatch(true))
    await publish()
    return moved
  }

  const loop = async (): Promise<void> => {
    let lastPublished = 0
    while (!stopped) {
      let moved = 0
      try {
        moved = await serial(() => writeBatch(true))
      } catch (error) {
        options.onError?.(error, 'drain')
      }
      if (Date.now() - lastPublished >= checkpointIntervalMs) {
        lastPublished = Date.now()
        try {
          await publish()
        } catch (error) {
          options.onError?.(error, 'publish')
        }
      }
      if (moved === batchSize) continue
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100))
    }
  }
  const looping = options.intervalMs === 0 ? Promise.resolve() : loop()

  return {
    origin: options.origin,
    signer: options.signer,
    tree,
    append(kind, entry, refId) {
      if (stopped) return Promise.reject(new Error('the ledger is stopped'))
      return new Promise<number>((resolve, reject) => {
        queue.push({ kind, entry, refId: refId ?? null, resolve, reject })
        flushQueue()
      })
    },
    drainOnce,
    publish,
    latest: () => latestPublished(store.db),
    async stop() {
      stopped = true
      await looping
      await serial(async () => {
        while (queue.length > 0) await writeBatch(false)
      })
      await publishing?.catch(() => undefined)
    },
  }
}

async function appendBatch(
  store: Store,
  clock: Clock,
  batch: readonly Pending[],
  outboxLimit: number,
): Promise<{ first: number; moved: number }> {
  return store.db.transaction().execute(async (trx) => {
    if (store.engine === 'postgres') {
      await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx)
    }
    const first = await committedSize(trx)
    const pending =
      outboxLimit > 0
        ? await trx
            .selectFrom('ledger_outbox')
            .select(['id', 'kind', 'entry', 'ref_id'])
            .orderBy('id')
            .limit(outboxLimit)
            .execute()
        : []
    const appendedAt = clock.now().toISOString()
    const rows = [
      ...batch.map((item) => ({ kind: item.kind, entry: item.entry, ref_id: item.refId })),
      ...pending.map((item) => ({ kind: item.kind, entry: item.entry, ref_id: item.ref_id })),
    ].map((item, offset) => ({
      idx: first + offset,
      kind: item.kind,
      entry: item.entry,
      leaf_hash: hashLeaf(item.entry),
      appended_at: appendedAt,
      ref_id: item.ref_id,
    }))
    if (rows.length === 0) return { first, moved: 0 }
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
    await extendTileHashes(trx, first, first + rows.length)
    return { first, moved: pending.length }
  })
}

/** The number of entries committed (the next index). */
export async function committedSize(db: Kysely<Schema>): Promise<number> {
  const row = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.max('idx').as('last'))
    .executeTakeFirst()
  return row?.last === null || row?.last === undefined ? 0 : Number(row.last) + 1
}

async function repairTileHashes(db: Kysely<Schema>): Promise<void> {
  const size = await committedSize(db)
  const covered = await db
    .selectFrom('ledger_tile_hashes')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('level', '=', 1)
    .executeTakeFirst()
  const from = Number(covered?.count ?? 0) * 256
  if (from + 256 <= size) {
    await db.transaction().execute((trx) => extendTileHashes(trx, from, size))
  }
}

export async function latestPublished(
  db: Kysely<Schema>,
): Promise<PublishedCheckpoint | undefined> {
  const row = await db
    .selectFrom('ledger_checkpoints')
    .select(['size', 'root_hash', 'cosigned_note'])
    .where('cosigned_note', 'is not', null)
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (row?.cosigned_note == null) return undefined
  return { size: Number(row.size), rootHash: Buffer.from(row.root_hash), note: row.cosigned_note }
}

async function publishOnce(
  db: Kysely<Schema>,
  tree: TreeReader,
  options: LedgerOptions,
  clock: Clock,
  witnessSizes: Map<string, number>,
): Promise<PublishedCheckpoint | undefined> {
  const size = await committedSize(db)
  let newest = await db
    .selectFrom('ledger_checkpoints')
    .select(['size', 'root_hash', 'note', 'cosigned_note'])
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (size > 0 && (newest === undefined || Number(newest.size) < size)) {
    const root = await rangeHash(tree, 0, size)
    const note = signNote(formatCheckpoint({ origin: options.origin, size, rootHash: root }), [
      options.signer,
    ])
    await db
      .insertInto('ledger_checkpoints')
      .values({ size, root_hash: root, note, signed_at: clock.now().toISOString() })
      .onConflict((conflict) => conflict.column('size').doNothing())
      .execute()
    newest = { size, root_hash: root, note, cosigned_note: null }
  }
  if (newest === undefined) return undefined
  if (newest.cosigned_note !== null) return undefined
  const newestSize = Number(newest.size)
  const lines: string[] = []
  for (const witness of options.witnesses) {
    const cosignature = await requestCosignature(
      tree,
      witness,
      newestSize,
      newest.note,
      witnessSizes,
    )
    if (cosignature === undefined) return undefined
    lines.push(cosignature)
  }
  const cosigned = appendCosignatures(newest.note, lines.join(''))
  await db
    .updateTable('ledger_checkpoints')
    .set({ cosigned_note: cosigned, published_at: clock.now().toISOString() })
    .where('size', '=', newestSize)
    .where('cosigned_note', 'is', null)
    .execute()
  return { size: newestSize, rootHash: Buffer.from(newest.root_hash), note: cosigned }
}

/**
 * One witness's cosignature: sends the checkpoint with a consistency proof from the size the
 * witness last cosigned (learnt from its 409 answer when unknown). Undefined when the witness is
 * ahead of this checkpoint (another process published a larger one) or refuses.
 */
async function requestCosignature(
  tree: TreeReader,
  witness: WitnessClient,
  size: number,
  note: string,
  witnessSizes: Map<string, number>,
): Promise<string | undefined> {
  let old = witnessSizes.get(witness.name) ?? 0
  for (let attempt = 0; attempt < 3; attempt++) {
    if (old > size) return undefined
    const proof = old === 0 || old === size ? [] : await storedConsistencyProof(tree, old, size)
    const answer = await witness.addCheckpoint(formatAddCheckpoint(old, proof, note))
    if (answer.status === 200) {
      witnessSizes.set(witness.name, size)
      return answer.body
    }
    if (answer.status === 409 && answer.contentType.startsWith('text/x.tlog.size')) {
      const known = Number(answer.body.trim())
      if (!Number.isSafeInteger(known) || known < 0 || known === old) break
      old = known
      witnessSizes.set(witness.name, known)
      continue
    }
    break
  }
  throw new Error(`witness ${witness.name} did not cosign the checkpoint of size ${size}`)
}
