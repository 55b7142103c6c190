import { sql, type Kysely } from 'kysely'

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

/** What the grants need to know of the modules' tables. */
export interface RolePolicy {
  /** Every table some module declares. */
  readonly declared: ReadonlySet<string>
  /** The tables declared personal: the door's alone. */
  readonly personal: ReadonlySet<string>
}

/**
 * The door records each read of personal data in the ledger's outbox, in the read's own
 * transaction (invariant 1), so it may append there although the outbox is not personal.
 */
const DOOR_APPENDS = ['ledger_outbox']

/**
 * Least privilege on PostgreSQL (ARCHITECTURE invariant 1 enforced by the database itself):
 * application sessions run as `estate_app`, which cannot touch a personal table at all; the
 * access gate alone switches to `estate_door` for the length of one transaction. Applied after
 * every migration that makes, drops or re-makes a table or sequence, in its transaction, so a table is never without its grants (or with the
 * application's on a personal table) whichever module made it. SQLite has no roles; there the
 * import-boundary test is the guard.
 *
 * A table no module declares is refused: nobody has said whether it holds personal data, and
 * granting it to the application by default would fail open.
 */
export async function grantRoles(db: Kysely<unknown>, policy: RolePolicy): Promise<void> {
  await sql.raw(CREATE_ROLES_SQL).execute(db)
  const tables = await listTables(db)
  const undeclared = tables.filter((table) => !policy.declared.has(table))
  if (undeclared.length > 0) {
    throw new TypeError(
      `no module declares the tables ${undeclared.join(', ')}: add them to their module's tables (personal, or why not)`,
    )
  }
  const personal = tables.filter((table) => policy.personal.has(table))
  const other = tables.filter((table) => !policy.personal.has(table))
  const list = (names: readonly string[]) => sql.join(names.map((name) => sql.table(name)))
  await sql`GRANT USAGE ON SCHEMA public TO estate_app, estate_door`.execute(db)
  await sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO estate_app, estate_door`.execute(
    db,
  )
  if (other.length > 0) {
    await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ${list(other)} TO estate_app`.execute(db)
    await sql`GRANT SELECT ON ${list(other)} TO estate_door`.execute(db)
  }
  if (personal.length > 0) {
    await sql`REVOKE ALL ON ${list(personal)} FROM estate_app`.execute(db)
    await sql`GRANT SELECT, INSERT, UPDATE ON ${list(personal)} TO estate_door`.execute(db)
  }
  const appends = DOOR_APPENDS.filter((table) => other.includes(table))
  if (appends.length > 0) await sql`GRANT INSERT ON ${list(appends)} TO estate_door`.execute(db)
}

/** The store's tables, without the migrator's own (`kysely_migration`, `…_lock`). */
async function listTables(db: Kysely<unknown>): Promise<string[]> {
  const result = await sql<{ name: string }>`SELECT tablename AS name FROM pg_tables
    WHERE schemaname = 'public' AND tablename NOT IN ('kysely_migration', 'kysely_migration_lock')`.execute(
    db,
  )
  return result.rows.map((row) => row.name)
}
