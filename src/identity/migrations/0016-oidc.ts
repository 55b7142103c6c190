import type { Kysely } from 'kysely'

/** The OpenID Connect provider's state (clients, grants, codes, sessions), one row per object. */
export function oidcMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('oidc_payloads')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('grant_id', 'text')
        .addColumn('uid', 'text')
        .addColumn('user_code', 'text')
        .addColumn('consumed_at', 'text')
        .addPrimaryKeyConstraint('oidc_payloads_pk', ['model', 'id'])
        .execute()
      await db.schema
        .createIndex('oidc_payloads_grant')
        .on('oidc_payloads')
        .column('grant_id')
        .execute()
      await db.schema.createIndex('oidc_payloads_uid').on('oidc_payloads').column('uid').execute()
    },
  }
}
