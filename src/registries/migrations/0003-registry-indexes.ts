import { sql, type Kysely } from 'kysely'
import type { Engine } from '../../platform/index.ts'

/** Natural keys of the bulk-loaded tables: a primary key on PostgreSQL, a unique index on SQLite
 * (which cannot add a primary key to an existing table; for lookups the two are the same). */
const KEYS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['counties', ['code']],
  ['municipalities', ['code']],
  ['settlements', ['code']],
  ['streets', ['code']],
  ['buildings', ['code']],
  ['persons', ['personal_code']],
  ['vehicles', ['plate']],
  ['driving_licences', ['licence_number']],
  ['incomes', ['personal_code', 'employer_code', 'year']],
  ['health_insurance', ['personal_code']],
]

const UNIQUE: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['vehicles_vin', 'vehicles', ['vin']],
]

const INDEXES: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['municipalities_county', 'municipalities', ['county_code']],
  ['settlements_municipality', 'settlements', ['municipality_code']],
  ['streets_settlement', 'streets', ['settlement_code']],
  ['buildings_street', 'buildings', ['street_code']],
  ['persons_last_name', 'persons', ['last_name', 'first_name']],
  ['persons_residence', 'persons', ['residence_building']],
  ['vital_events_person', 'vital_events', ['personal_code']],
  ['vehicles_owner', 'vehicles', ['owner_code']],
  ['vehicles_user', 'vehicles', ['user_code']],
  ['driving_licences_person', 'driving_licences', ['personal_code']],
  ['employments_person', 'employments', ['personal_code']],
  ['employments_employer', 'employments', ['employer_code']],
  ['access_records_subject', 'access_records', ['subject_code', 'recorded_at']],
  ['ledger_outbox_recorded', 'ledger_outbox', ['recorded_at']],
]

/**
 * Keys and secondary indexes, built once after a fresh country's households are loaded (see
 * 0002); the business register's come in 0007, since companies are written last.
 */
export function registryIndexesMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const [table, columns] of KEYS) {
        if (engine === 'postgres') {
          await sql`ALTER TABLE ${sql.table(table)} ADD PRIMARY KEY (${sql.join(columns.map((column) => sql.ref(column)))})`.execute(
            db,
          )
        } else {
          await db.schema
            .createIndex(`${table}_pkey`)
            .unique()
            .on(table)
            .columns([...columns])
            .execute()
        }
      }
      for (const [name, table, columns] of UNIQUE) {
        await db.schema
          .createIndex(name)
          .unique()
          .on(table)
          .columns([...columns])
          .execute()
      }
      for (const [name, table, columns] of INDEXES) {
        await db.schema
          .createIndex(name)
          .on(table)
          .columns([...columns])
          .execute()
      }
      // Parent links are often unknown: partial indexes skip the empty ones (both engines use
      // them for `mother_code = ?` / `IN (…)`, which imply NOT NULL).
      for (const column of ['mother_code', 'father_code']) {
        await db.schema
          .createIndex(`persons_${column.replace('_code', '')}`)
          .on('persons')
          .column(column)
          .where(sql.ref(column), 'is not', null)
          .execute()
      }
    },
  }
}
