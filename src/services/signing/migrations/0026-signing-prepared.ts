import type { Kysely } from 'kysely'
import { binary } from '../../../storage/index.ts'
import type { Engine } from '../../../platform/index.ts'

/**
 * Prepared signatures in the store, not in one process's memory: a node that restarts, or the
 * data embassy after a failover, finishes a signature its twin prepared (issue "Every e-service
 * is a module": module state lives in the store).
 */
export function signingPreparedMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('signing_prepared')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('sealed', binary(engine), (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('signing_prepared_person')
        .on('signing_prepared')
        .columns(['personal_code', 'expires_at'])
        .execute()
      await db.schema
        .createIndex('signing_prepared_expiry')
        .on('signing_prepared')
        .column('expires_at')
        .execute()
    },
  }
}
