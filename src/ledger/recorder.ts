/**
 * The one way into the ledger: every context and module records its entries here, in the
 * transaction of the act they record (the act and its entry commit together or not at all),
 * and reads back where an entry landed. The log's writer (`log.ts`) drains the outbox into
 * `ledger_entries`; no other file names either table (`test/module-contract.test.ts` checks).
 *
 * An entry is what the public log will hold: a salted commitment or a public fact, never
 * readable personal data.
 */
import type { Kysely } from 'kysely'
import type { Schema } from '../storage/index.ts'

export interface LedgerEntryToRecord {
  /** A kind some module declares in its `ledgerKinds`. */
  readonly kind: string
  /** The row the entry commits to (its id in the module's table), or 0 for none. */
  readonly refId: number
  readonly recordedAt: string
  readonly entry: Uint8Array
}

/** A transaction (or the store's handle, for an act that is one statement). */
export type LedgerTransaction = Kysely<Schema>

export interface LedgerRecorder {
  /** Queues entries in the act's transaction; the writer appends them in order. */
  record(trx: LedgerTransaction, entries: readonly LedgerEntryToRecord[]): Promise<void>
}

const KIND = /^[a-z][a-z0-9-]{1,39}$/

export const ledgerRecorder: LedgerRecorder = {
  async record(trx, entries) {
    for (const { kind } of entries) assertKind(kind)
    for (let start = 0; start < entries.length; start += 1000)
      await trx
        .insertInto('ledger_outbox')
        .values(
          entries.slice(start, start + 1000).map((entry) => ({
            kind: entry.kind,
            ref_id: entry.refId,
            recorded_at: entry.recordedAt,
            entry: entry.entry,
          })),
        )
        .execute()
  },
}

/** What waits in the outbox: its size and the age of its oldest entry (the door's bounds). */
export async function outboxBacklog(
  db: LedgerTransaction,
): Promise<{ readonly entries: number; readonly oldest: string } | undefined> {
  const backlog = await db
    .selectFrom('ledger_outbox')
    .select((eb) => [
      eb.fn.min('id').as('first'),
      eb.fn.max('id').as('last'),
      eb.fn.min('recorded_at').as('oldest'),
    ])
    .executeTakeFirst()
  if (backlog?.first === null || backlog?.first === undefined) return undefined
  return {
    entries: Number(backlog.last) - Number(backlog.first) + 1,
    oldest: String(backlog.oldest),
  }
}

/** The log indices of the entries of one kind that commit to these rows (once appended). */
export async function ledgerIndicesOf(
  db: LedgerTransaction,
  kind: string,
  refIds: readonly number[],
): Promise<Map<number, number>> {
  const indices = new Map<number, number>()
  for (let start = 0; start < refIds.length; start += 1000) {
    const rows = await db
      .selectFrom('ledger_entries')
      .select(['idx', 'ref_id'])
      .where('kind', '=', kind)
      .where('ref_id', 'in', refIds.slice(start, start + 1000))
      .execute()
    for (const row of rows) indices.set(Number(row.ref_id), Number(row.idx))
  }
  return indices
}

/** Entries of one kind and row, queued or appended (with their index once appended). */
export async function recordedEntries(
  db: LedgerTransaction,
  kind: string,
  refId: number,
): Promise<{ readonly index: number | undefined; readonly entry: Uint8Array }[]> {
  const queued = await db
    .selectFrom('ledger_outbox')
    .select('entry')
    .where('kind', '=', kind)
    .where('ref_id', '=', refId)
    .execute()
  const appended = await db
    .selectFrom('ledger_entries')
    .select(['idx', 'entry'])
    .where('kind', '=', kind)
    .where('ref_id', '=', refId)
    .execute()
  return [
    ...queued.map((row) => ({ index: undefined, entry: row.entry })),
    ...appended.map((row) => ({ index: Number(row.idx), entry: row.entry })),
  ]
}

/**
 * The outbox statements for a writer that keeps its own `node:sqlite` connection (a standalone
 * gateway's message-log thread): the same table and columns, as prepared SQL.
 */
export const OUTBOX_SQL = {
  insert: (kind: string): string =>
    `INSERT INTO ledger_outbox (kind, ref_id, recorded_at, entry) VALUES ('${assertKind(kind)}', ?, ?, ?)`,
  pendingAfter: (kind: string): string =>
    `SELECT ref_id, entry FROM ledger_outbox WHERE kind = '${assertKind(kind)}' AND ref_id > ? ORDER BY ref_id LIMIT ?`,
  forgetBetween: (kind: string): string =>
    `DELETE FROM ledger_outbox WHERE kind = '${assertKind(kind)}' AND ref_id BETWEEN ? AND ?`,
} as const

function assertKind(kind: string): string {
  if (!KIND.test(kind)) throw new TypeError(`not a ledger entry kind: ${kind}`)
  return kind
}

/** For an audit: the entries (queued or appended) of one kind committing to rows in a range. */
export async function entriesForRows(
  db: LedgerTransaction,
  kind: string,
  fromRef: number,
  toRef: number,
): Promise<Map<number, Uint8Array>> {
  const logged = new Map<number, Uint8Array>()
  for (const source of ['ledger_entries', 'ledger_outbox'] as const) {
    const found = await db
      .selectFrom(source)
      .select(['ref_id', 'entry'])
      .where('kind', '=', kind)
      .where('ref_id', '>=', fromRef)
      .where('ref_id', '<=', toRef)
      .execute()
    for (const item of found) logged.set(Number(item.ref_id), item.entry)
  }
  return logged
}

/** For an audit: the appended entries of one kind after a row, in row order (a page). */
export async function appendedRowsAfter(
  db: LedgerTransaction,
  kind: string,
  afterRef: number,
  limit: number,
): Promise<{ readonly refId: number; readonly index: number }[]> {
  const rows = await db
    .selectFrom('ledger_entries')
    .select(['ref_id', 'idx'])
    .where('kind', '=', kind)
    .where('ref_id', '>', afterRef)
    .orderBy('ref_id')
    .limit(limit)
    .execute()
  return rows.map((row) => ({ refId: Number(row.ref_id), index: Number(row.idx) }))
}
