import type { Kysely } from 'kysely'
import { binary, serialKey, serialOptions } from '../../storage/index.ts'
import type { Engine } from '../../platform/index.ts'

/**
 * Changes to base-registry records, one row per changed record: what changed, by whom, why.
 * The ledger gets a salted commitment of each row (like access records), so the audit can tie
 * every stored change to its log entry without the public log showing whose record it was.
 */
export function registryChangesMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('registry_changes')
        .addColumn('id', serialKey(engine), (c) => serialOptions(engine, c))
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addColumn('registry', 'text', (c) => c.notNull())
        .addColumn('record_id', 'text', (c) => c.notNull())
        .addColumn('agency_code', 'text', (c) => c.notNull())
        .addColumn('actor_code', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('change', 'text', (c) => c.notNull())
        .addColumn('salt', binary(engine), (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('registry_changes_record')
        .on('registry_changes')
        .columns(['registry', 'record_id'])
        .execute()
    },
  }
}
