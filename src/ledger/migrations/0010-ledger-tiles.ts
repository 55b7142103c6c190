import type { Kysely } from 'kysely'
import { binary } from '../../storage/index.ts'
import type { Engine } from '../../platform/index.ts'

/**
 * The stored Merkle tree and publication (issue "Integrity ledger"):
 * - `ledger_tile_hashes` holds, for levels 1 and up, the hash of every complete subtree of 256^L
 *   leaves (the entries of C2SP tlog-tiles hash tiles above level 0; level 0 is
 *   `ledger_entries.leaf_hash`), so proofs and tiles cost O(log n) reads at any log size;
 * - `ledger_entries.ref_id` ties an entry to the row it commits to (access record, registry
 *   change), for receipts and the audit;
 * - a checkpoint is signed by the log first and "published" once the witnesses have cosigned it.
 */
export function ledgerTilesMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ledger_tile_hashes')
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('idx', 'bigint', (c) => c.notNull())
        .addColumn('hash', binary(engine), (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_tile_hashes_pk', ['level', 'idx'])
        .execute()
      await db.schema.alterTable('ledger_entries').addColumn('ref_id', 'bigint').execute()
      await db.schema
        .createIndex('ledger_entries_ref')
        .on('ledger_entries')
        .columns(['kind', 'ref_id'])
        .execute()
      await db.schema.alterTable('ledger_checkpoints').addColumn('cosigned_note', 'text').execute()
      await db.schema.alterTable('ledger_checkpoints').addColumn('published_at', 'text').execute()
    },
  }
}
