import type { Kysely } from 'kysely'
import { binary } from '../../storage/index.ts'
import type { Engine } from '../../platform/index.ts'

/**
 * Signed checkpoints, one per tree size: the primary key makes a second, different checkpoint
 * of a size already signed impossible to store (C2SP tlog-checkpoint; issue "Integrity ledger").
 */
export function ledgerCheckpointsMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ledger_checkpoints')
        .addColumn('size', 'bigint', (c) => c.primaryKey())
        .addColumn('root_hash', binary(engine), (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('signed_at', 'text', (c) => c.notNull())
        .execute()
    },
  }
}
