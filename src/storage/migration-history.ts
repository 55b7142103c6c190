/**
 * One database, one ordered migration history: each module brings its own migrations (named
 * `NNNN-what`, the number giving the global order), and `combineMigrations` puts them in one
 * list, the order Kysely's migrator applies and records them in (`kysely_migration`). Each
 * migration that makes a table or a sequence is followed, in its own transaction, by the
 * PostgreSQL role grants, with the personal tables the modules declare: a module adding a table never writes a privileges
 * migration, and none can forget one.
 *
 * Storage cannot import the modules (they sit above it); the composition root combines them
 * once and hands the history to whoever migrates (`store.migrate(history)`).
 */
import { sql } from 'kysely'
import type { Migration } from 'kysely/migration'
import type { Engine, ModuleMigration, TableDeclaration } from '../platform/index.ts'
import { grantRoles, type RolePolicy } from './role-grants.ts'

/** What the history reads of a module (a `Module` is one). */
export interface MigratingModule {
  readonly name: string
  readonly migrations: readonly ModuleMigration[]
  readonly tables: readonly TableDeclaration[]
}

/** The combined history: made by `combineMigrations`, applied by `store.migrate`. */
export interface MigrationHistory {
  /** Every migration's name, in the order they apply. */
  readonly names: readonly string[]
  /** The tables the modules declare personal (on PostgreSQL, the door's alone). */
  readonly personalTables: ReadonlySet<string>
  /** Kysely's migrations for one engine, by name, each followed on PostgreSQL by the grants. */
  forEngine(engine: Engine): Record<string, Migration>
}

/**
 * Migrations that only re-applied the grants, written by hand after each migration that added
 * tables, before the grants followed every migration. Existing stores recorded them and the
 * migrator refuses a store whose recorded migration is missing, so they stay, doing nothing of
 * their own (the grants after each still run: harmless). No new one is ever needed.
 */
const GRANT_ENTRIES = [
  '0004-postgres-roles',
  '0006-registry-change-privileges',
  '0009-ledger-checkpoint-privileges',
  '0011-ledger-tile-privileges',
  '0013-trust-privileges',
  '0015-identity-privileges',
  '0017-oidc-privileges',
  '0019-passkey-privileges',
  '0021-exchange-privileges',
  '0023-cloud-privileges',
  '0026-idempotency-privileges',
]

/** Four digits, then kebab-case words: sorting the names is the order. */
const NAME = /^\d{4}-[a-z0-9]+(-[a-z0-9]+)*$/

export function combineMigrations(modules: readonly MigratingModule[]): MigrationHistory {
  const owners = new Map<string, string>()
  const entries: ModuleMigration[] = []
  const add = (owner: string, entry: ModuleMigration): void => {
    if (!NAME.test(entry.name))
      throw new TypeError(`migration ${entry.name} of ${owner} is not named NNNN-what`)
    const other = owners.get(entry.name)
    if (other !== undefined)
      throw new TypeError(`migration ${entry.name} is declared by both ${other} and ${owner}`)
    owners.set(entry.name, owner)
    entries.push(entry)
  }
  for (const name of GRANT_ENTRIES) add('storage', { name, migration: () => GRANTS_ONLY })
  for (const module of modules) for (const entry of module.migrations) add(module.name, entry)
  // The migrator's own order: it sorts the names the same way (by code unit).
  entries.sort((a, b) => (a.name < b.name ? -1 : 1))
  const policy = rolePolicy(modules)
  return {
    names: entries.map((entry) => entry.name),
    personalTables: policy.personal,
    forEngine: (engine) =>
      Object.fromEntries(
        entries.map((entry) => [entry.name, withGrants(entry.migration(engine), engine, policy)]),
      ),
  }
}

const GRANTS_ONLY: Migration = { up: async () => undefined }

function rolePolicy(modules: readonly MigratingModule[]): RolePolicy {
  const owners = new Map<string, string>()
  const personal = new Set<string>()
  for (const module of modules) {
    for (const table of module.tables) {
      const other = owners.get(table.name)
      if (other !== undefined)
        throw new TypeError(`table ${table.name} is declared by both ${other} and ${module.name}`)
      owners.set(table.name, module.name)
      if (table.personal === true) personal.add(table.name)
    }
  }
  return { declared: new Set(owners.keys()), personal }
}

/**
 * The grants follow a migration that made, dropped or re-made a table or a sequence: the only
 * changes that can leave one without its privileges. One that adds an index or a column (most
 * of them) changes no relation, so its grants would be the same statements again; skipping them
 * saves most of a fresh PostgreSQL store's migration time.
 */
function withGrants(migration: Migration, engine: Engine, policy: RolePolicy): Migration {
  if (engine !== 'postgres') return migration
  const step =
    (change: (db: Parameters<Migration['up']>[0]) => Promise<void>) =>
    async (db: Parameters<Migration['up']>[0]) => {
      const before = await relationsOf(db)
      await change(db)
      if ((await relationsOf(db)) !== before) await grantRoles(db, policy)
    }
  const { down } = migration
  return {
    up: step((db) => migration.up(db)),
    ...(down === undefined ? {} : { down: step((db) => down(db)) }),
  }
}

/** The schema's tables and sequences, each with its identity (a re-made table is a new one). */
async function relationsOf(db: Parameters<Migration['up']>[0]): Promise<string> {
  const { rows } = await sql<{
    relation: string
  }>`SELECT c.relkind::text || c.oid::text || c.relname AS relation
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S') ORDER BY c.oid`.execute(db)
  return rows.map((row) => row.relation).join(' ')
}
