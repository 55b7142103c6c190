import { sql, type Kysely } from 'kysely'
import type { Engine } from '../../platform/index.ts'

/** Keys and indexes of the business register, built after its rows (the last a seed writes). */
export function businessKeysMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (engine === 'postgres') {
        await sql`ALTER TABLE companies ADD PRIMARY KEY (registry_code)`.execute(db)
        await sql`ALTER TABLE company_people ADD PRIMARY KEY (registry_code, personal_code, role)`.execute(
          db,
        )
      } else {
        await db.schema
          .createIndex('companies_pkey')
          .unique()
          .on('companies')
          .column('registry_code')
          .execute()
        await db.schema
          .createIndex('company_people_pkey')
          .unique()
          .on('company_people')
          .columns(['registry_code', 'personal_code', 'role'])
          .execute()
      }
      await db.schema.createIndex('companies_name').on('companies').column('name').execute()
    },
  }
}
