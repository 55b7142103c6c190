import type { CreateTableBuilder, Kysely } from 'kysely'
import { binary, serialKey, serialOptions } from '../../storage/index.ts'
import type { Engine } from '../../platform/index.ts'

type Columns = (table: CreateTableBuilder<string, never>) => CreateTableBuilder<string, never>

/**
 * The base registries, without their keys and indexes: 0003 adds them, so a fresh country is
 * bulk-loaded into bare tables and every index is built once, sorted, afterwards (several times
 * faster than maintaining them row by row).
 */
export function registriesMigration(engine: Engine) {
  const tables: Record<string, Columns> = {
    counties: (t) =>
      t.addColumn('code', 'text', (c) => c.notNull()).addColumn('name', 'text', (c) => c.notNull()),
    municipalities: (t) =>
      t
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('county_code', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull()),
    settlements: (t) =>
      t
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('municipality_code', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull()),
    streets: (t) =>
      t
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('settlement_code', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull()),
    buildings: (t) =>
      t
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('settlement_code', 'text', (c) => c.notNull())
        .addColumn('street_code', 'text')
        .addColumn('house_number', 'text', (c) => c.notNull())
        .addColumn('postal_code', 'text', (c) => c.notNull())
        .addColumn('dwellings', 'integer', (c) => c.notNull()),
    persons: (t) =>
      t
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('first_name', 'text', (c) => c.notNull())
        .addColumn('last_name', 'text', (c) => c.notNull())
        .addColumn('sex', 'text', (c) => c.notNull())
        .addColumn('birth_date', 'text', (c) => c.notNull())
        .addColumn('citizenship', 'text', (c) => c.notNull())
        .addColumn('native_language', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('death_date', 'text')
        .addColumn('residence_building', 'text')
        .addColumn('residence_apartment', 'integer')
        .addColumn('contact_email', 'text')
        .addColumn('contact_phone', 'text')
        .addColumn('spouse_code', 'text')
        .addColumn('mother_code', 'text')
        .addColumn('father_code', 'text')
        .addColumn('household_id', 'integer', (c) => c.notNull()),
    vital_events: (t) =>
      t
        .addColumn('id', serialKey(engine), (c) => serialOptions(engine, c))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('event_date', 'text', (c) => c.notNull())
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('other_code', 'text')
        .addColumn('municipality_code', 'text'),
    companies: (t) =>
      t
        .addColumn('registry_code', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('legal_form', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('founded_on', 'text', (c) => c.notNull())
        .addColumn('building_code', 'text')
        .addColumn('activity_code', 'text', (c) => c.notNull())
        .addColumn('email', 'text'),
    company_people: (t) =>
      t
        .addColumn('registry_code', 'text', (c) => c.notNull())
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('share_percent', 'real')
        .addColumn('since', 'text', (c) => c.notNull()),
    vehicles: (t) =>
      t
        .addColumn('plate', 'text', (c) => c.notNull())
        .addColumn('vin', 'text', (c) => c.notNull())
        .addColumn('make', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('first_registered', 'text', (c) => c.notNull())
        .addColumn('owner_code', 'text', (c) => c.notNull())
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('user_code', 'text')
        .addColumn('inspection_valid_until', 'text')
        .addColumn('insurance_valid_until', 'text')
        .addColumn('status', 'text', (c) => c.notNull()),
    driving_licences: (t) =>
      t
        .addColumn('licence_number', 'text', (c) => c.notNull())
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('categories', 'text', (c) => c.notNull())
        .addColumn('issued_on', 'text', (c) => c.notNull())
        .addColumn('valid_until', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull()),
    employments: (t) =>
      t
        .addColumn('id', serialKey(engine), (c) => serialOptions(engine, c))
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('employer_code', 'text', (c) => c.notNull())
        .addColumn('position', 'text', (c) => c.notNull())
        .addColumn('started_on', 'text', (c) => c.notNull())
        .addColumn('ended_on', 'text'),
    incomes: (t) =>
      t
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('employer_code', 'text', (c) => c.notNull())
        .addColumn('year', 'integer', (c) => c.notNull())
        .addColumn('months', binary(engine), (c) => c.notNull()),
    health_insurance: (t) =>
      t
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('coverage', binary(engine), (c) => c.notNull()),
    access_records: (t) =>
      t
        .addColumn('id', serialKey(engine), (c) => serialOptions(engine, c))
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .addColumn('subject_code', 'text', (c) => c.notNull())
        .addColumn('actor_code', 'text', (c) => c.notNull())
        .addColumn('actor_name', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('agency_code', 'text', (c) => c.notNull())
        .addColumn('registry', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('covert_until', 'text')
        // Salt of the record's public commitment (the ledger shows only the salted hash).
        .addColumn('salt', binary(engine), (c) => c.notNull()),
  }
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const [name, columns] of Object.entries(tables)) {
        await columns(db.schema.createTable(name) as CreateTableBuilder<string, never>).execute()
      }
    },
  }
}
