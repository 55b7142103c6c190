import type { Kysely } from 'kysely'
import { binary } from '../../storage/index.ts'
import type { Engine } from '../../platform/index.ts'

/**
 * Idempotency keys of HTTP acts (`Idempotency-Key`): per presented identity and key, the
 * request's fingerprint, whether its act started or finished, and the answer to replay. A row
 * is committed before its act runs, so a retry (after a lost connection, or at the embassy
 * after a failover) finds it and can never apply the act twice.
 */
export function idempotencyMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('idempotent_requests')
        .addColumn('identity', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('status', 'integer')
        .addColumn('content_type', 'text')
        .addColumn('body', binary(engine))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotent_requests_pk', ['identity', 'idempotency_key'])
        .execute()
      await db.schema
        .createIndex('idempotent_requests_created')
        .on('idempotent_requests')
        .column('created_at')
        .execute()
    },
  }
}
