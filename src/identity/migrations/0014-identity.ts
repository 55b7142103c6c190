import type { Kysely } from 'kysely'

/**
 * Logins (issue "Trust services and e-ID"): single-use challenge nonces for Web eID, and
 * sessions (only a hash of the session id is stored; idle and absolute expiry; logout ends them).
 */
export function identityMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('auth_challenges')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('given_name', 'text', (c) => c.notNull())
        .addColumn('surname', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .execute()
      await db.schema
        .createIndex('sessions_person')
        .on('sessions')
        .column('personal_code')
        .execute()
    },
  }
}
