/**
 * The ledger's tables, as Kysely types: the outbox, the log's entries, its stored tree and its
 * checkpoints. Declaration merging adds them to storage's `Schema`.
 */
import type { Generated } from 'kysely'

export interface LedgerOutboxTable {
  id: Generated<number>
  /** A kind declared by the module that records it (`ledgerKinds`). */
  kind: string
  ref_id: number
  recorded_at: string
  /** The entry as it will go into the public log: a commitment, never readable personal data. */
  entry: Uint8Array
}

export interface LedgerEntryTable {
  idx: number
  kind: string
  entry: Uint8Array
  leaf_hash: Uint8Array
  appended_at: string
  /** The row this entry commits to (access record, registry change), when there is one. */
  ref_id: number | null
}

/** The hash of leaves [idx·256^level, (idx+1)·256^level), for level ≥ 1. */
export interface LedgerTileHashTable {
  level: number
  idx: number
  hash: Uint8Array
}

export interface LedgerCheckpointTable {
  size: number
  root_hash: Uint8Array
  /** The note signed by the log alone. */
  note: string
  signed_at: string
  /** The note with the witnesses' cosignatures: what /ledger/checkpoint serves once set. */
  cosigned_note: string | null
  published_at: string | null
}

export interface LedgerTables {
  ledger_outbox: LedgerOutboxTable
  ledger_entries: LedgerEntryTable
  ledger_tile_hashes: LedgerTileHashTable
  ledger_checkpoints: LedgerCheckpointTable
}

declare module '../storage/index.ts' {
  // Declaration merging: the whole database's `Schema` gains these tables.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Schema extends LedgerTables {}
}
