import { sql, type Kysely } from 'kysely'
import { PERSONAL_TABLES } from '../schema.ts'
import type { Engine } from './column-types.ts'

export const APP_ROLE = 'estate_app'
export const DOOR_ROLE = 'estate_door'

/** The two roles, made when missing (they live in the cluster: a restore needs them first). */
export const CREATE_ROLES_SQL = `DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'estate_app') THEN
    CREATE ROLE estate_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'estate_door') THEN
    CREATE ROLE estate_door NOLOGIN;
  END IF;
END $$`

/**
 * Least privilege on PostgreSQL (ARCHITECTURE invariant 1 enforced by the database itself):
 * application sessions run as `estate_app`, which cannot touch a personal table at all; the
 * access gate alone switches to `estate_door` for the length of one transaction. SQLite has no
 * roles; there the import-boundary test is the guard.
 */
export function postgresRolesMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (engine !== 'postgres') return
      await sql.raw(CREATE_ROLES_SQL).execute(db)
      const personal = new Set<string>(PERSONAL_TABLES)
      const tables = (await db.introspection.getTables()).map((table) => table.name)
      await sql`GRANT USAGE ON SCHEMA public TO estate_app, estate_door`.execute(db)
      await sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO estate_app, estate_door`.execute(
        db,
      )
      for (const table of tables) {
        const id = sql.table(table)
        if (personal.has(table)) {
          await sql`REVOKE ALL ON ${id} FROM estate_app`.execute(db)
          await sql`GRANT SELECT, INSERT, UPDATE ON ${id} TO estate_door`.execute(db)
        } else {
          await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ${id} TO estate_app`.execute(db)
          await sql`GRANT SELECT ON ${id} TO estate_door`.execute(db)
        }
      }
      await sql`GRANT INSERT ON ledger_outbox TO estate_door`.execute(db)
    },
  }
}
