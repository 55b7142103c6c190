/**
 * The one migration history the composition root combines from every module (invariant 8:
 * one schema, two engines; invariant 1 on PostgreSQL: the application role holds no privilege
 * on a table a module declares personal, and all of its privileges on every other table).
 */
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MODULES } from '../src/main/modules.ts'
import { HOUSEHOLD_INDEX_POINT, SIDE_FILE_HISTORY } from '../src/registries/migrations/index.ts'
import { openStore, type Store } from '../src/storage/index.ts'
import {
  ENGINES,
  freshLocation,
  usePostgresCluster,
  type FreshLocation,
} from './support/engines.ts'
import { MIGRATIONS } from './support/migrations.ts'

usePostgresCluster()

const declared = MODULES.flatMap((module) => module.tables)
const personal = declared.filter((table) => table.personal === true).map((table) => table.name)

describe('the history of every module', () => {
  it('holds every module’s migrations once, ordered by name', () => {
    expect(MIGRATIONS.names).toEqual([...MIGRATIONS.names].sort())
    expect(new Set(MIGRATIONS.names).size).toBe(MIGRATIONS.names.length)
    for (const module of MODULES)
      for (const migration of module.migrations)
        expect(MIGRATIONS.names, module.name).toContain(migration.name)
    // Existing stores recorded these names: none may go.
    expect(MIGRATIONS.names.slice(0, 26)).toEqual([
      '0001-foundation',
      '0002-registries',
      '0003-registry-indexes',
      '0004-postgres-roles',
      '0005-registry-changes',
      '0006-registry-change-privileges',
      '0007-business-keys',
      '0008-ledger-checkpoints',
      '0009-ledger-checkpoint-privileges',
      '0010-ledger-tiles',
      '0011-ledger-tile-privileges',
      '0012-trust',
      '0013-trust-privileges',
      '0014-identity',
      '0015-identity-privileges',
      '0016-oidc',
      '0017-oidc-privileges',
      '0018-passkeys',
      '0019-passkey-privileges',
      '0020-exchange',
      '0021-exchange-privileges',
      '0022-cloud',
      '0023-cloud-privileges',
      '0024-site-fence',
      '0025-idempotency',
      '0026-idempotency-privileges',
    ])
  })

  it('takes the personal tables from the modules’ declarations', () => {
    expect(personal.length).toBeGreaterThan(5)
    expect([...MIGRATIONS.personalTables].sort()).toEqual([...personal].sort())
  })
})

describe.each(ENGINES)('the whole history on %s', (engine) => {
  let location: FreshLocation
  let store: Store

  beforeEach(async () => {
    location = await freshLocation(engine)
    store = await openStore({ url: location.url })
  })

  afterEach(async () => {
    await store?.close()
    await location?.cleanup()
  })

  const applied = async (): Promise<string[]> =>
    (
      await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        store.admin,
      )
    ).rows.map((row) => row.name)

  it('applies on a fresh store and makes every declared table', async () => {
    await store.migrate(MIGRATIONS)
    expect(await applied()).toEqual(MIGRATIONS.names)
    const tables = (await store.admin.introspection.getTables()).map((table) => table.name)
    expect([...tables].sort()).toEqual(declared.map((table) => table.name).sort())
  })

  // The side files exist on SQLite only (PostgreSQL seeds in one transaction); there the
  // shorter history, which declares no tables, would be refused its grants.
  // (Defined for SQLite only, so it is neither run nor reported as skipped on PostgreSQL.)
  if (engine === 'sqlite')
    it('finishes a seeder’s side file, migrated part way by the registries’ history alone', async () => {
      await store.migrate(SIDE_FILE_HISTORY, HOUSEHOLD_INDEX_POINT)
      expect(await applied()).toEqual(
        MIGRATIONS.names.filter((name) => name <= HOUSEHOLD_INDEX_POINT),
      )
      await store.migrate(MIGRATIONS)
      expect(await applied()).toEqual(MIGRATIONS.names)
    })
})

describe('privileges after the whole history, on postgres', () => {
  let location: FreshLocation
  let store: Store

  beforeEach(async () => {
    location = await freshLocation('postgres')
    store = await openStore({ url: location.url })
    await store.migrate(MIGRATIONS)
  })

  afterEach(async () => {
    await store?.close()
    await location?.cleanup()
  })

  /** Each table's privileges (of SELECT, INSERT, UPDATE, DELETE) held by the role. */
  async function privilegesOf(role: string): Promise<Record<string, string>> {
    const result = await sql<{ name: string; privileges: string }>`
      SELECT t.tablename AS name, coalesce(string_agg(p.privilege, ',' ORDER BY p.privilege)
        FILTER (WHERE has_table_privilege(${role}, quote_ident(t.tablename), p.privilege)), '')
        AS privileges
      FROM pg_tables t
      CROSS JOIN (VALUES ('DELETE'), ('INSERT'), ('SELECT'), ('UPDATE')) AS p(privilege)
      WHERE t.schemaname = 'public' AND t.tablename NOT LIKE 'kysely%'
      GROUP BY t.tablename`.execute(store.admin)
    return Object.fromEntries(result.rows.map((row) => [row.name, row.privileges]))
  }

  it('gives estate_app nothing on a personal table and all four on every other', async () => {
    const app = await privilegesOf('estate_app')
    expect(Object.keys(app).sort()).toEqual(declared.map((table) => table.name).sort())
    const expected = Object.fromEntries(
      declared.map((table) => [
        table.name,
        table.personal === true ? '' : 'DELETE,INSERT,SELECT,UPDATE',
      ]),
    )
    expect(app).toEqual(expected)
  })

  it('gives estate_door the personal tables, reads of the rest, and appends to the outbox', async () => {
    const door = await privilegesOf('estate_door')
    for (const table of declared) {
      const expected =
        table.personal === true
          ? 'INSERT,SELECT,UPDATE'
          : table.name === 'ledger_outbox'
            ? 'INSERT,SELECT'
            : 'SELECT'
      expect(door[table.name], table.name).toBe(expected)
    }
  })

  it('leaves the migrator’s own tables to the owner', async () => {
    const result = await sql<{ held: boolean }>`SELECT
      has_table_privilege('estate_app', 'kysely_migration', 'SELECT') AS held`.execute(store.admin)
    expect(result.rows).toEqual([{ held: false }])
  })
})
