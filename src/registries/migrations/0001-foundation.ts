import type { Kysely } from 'kysely'
import { binary, serialKey, serialOptions } from '../../storage/index.ts'
import type { Engine } from '../../platform/index.ts'

/** Country metadata, agencies and their credentials, data keys, the ledger outbox and log. */
export function foundationMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('country')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('instance', 'text', (c) => c.notNull())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('seed', 'text', (c) => c.notNull())
        .addColumn('population', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('snapshot_hash', 'text')
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .execute()
      await db.schema
        .createTable('data_keys')
        .addColumn('id', serialKey(engine), (c) => serialOptions(engine, c))
        .addColumn('agency', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('master_key_id', 'text', (c) => c.notNull())
        .addColumn('wrapped', binary(engine), (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('data_keys_agency_version', ['agency', 'version'])
        .execute()
      await db.schema
        .createTable('agencies')
        .addColumn('registry_code', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('short_name', 'text', (c) => c.notNull())
        .addColumn('subsystem', 'text', (c) => c.notNull())
        .addColumn('registries', 'text', (c) => c.notNull())
        .addColumn('reads', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('member_credentials')
        .addColumn('id', serialKey(engine), (c) => serialOptions(engine, c))
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull().unique())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute()
      await db.schema
        .createTable('officials')
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('agency_code', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('since', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('officials_pk', ['personal_code', 'agency_code', 'role'])
        .execute()
      await db.schema
        .createTable('ledger_outbox')
        .addColumn('id', serialKey(engine), (c) => serialOptions(engine, c))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('ref_id', 'bigint', (c) => c.notNull())
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addColumn('entry', binary(engine), (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('ledger_entries')
        .addColumn('idx', 'bigint', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('entry', binary(engine), (c) => c.notNull())
        .addColumn('leaf_hash', binary(engine), (c) => c.notNull())
        .addColumn('appended_at', 'text', (c) => c.notNull())
        .execute()
    },
  }
}
