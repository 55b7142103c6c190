import { sql, type Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ModuleMigration } from '../platform/index.ts'
import {
  ENGINES,
  freshLocation,
  usePostgresCluster,
  type FreshLocation,
} from '../../test/support/engines.ts'
import { combineMigrations, type MigratingModule } from './migration-history.ts'
import { openStore, type Store } from './store.ts'

usePostgresCluster()

/** A migration that creates one table with one column. */
function creating(name: string, table: string): ModuleMigration {
  return {
    name,
    migration: () => ({
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable(table)
          .addColumn('id', 'text', (c) => c.primaryKey())
          .execute()
      },
    }),
  }
}

// Two modules whose migrations interleave; the last of the whole history (after every
// grants-only entry) makes a personal table: nobody writes a privileges migration for it.
const NOTES: MigratingModule = {
  name: 'notes',
  migrations: [creating('0001-notes', 'notes'), creating('0040-note-secrets', 'note_secrets')],
  tables: [
    { name: 'notes', notPersonalBecause: 'test' },
    { name: 'note_secrets', personal: true },
  ],
}
const TAGS: MigratingModule = {
  name: 'tags',
  migrations: [creating('0030-tags', 'tags')],
  tables: [{ name: 'tags', notPersonalBecause: 'test' }],
}

describe('combineMigrations', () => {
  it('orders every module’s migrations by name, with the grants-only entries stores recorded', () => {
    const history = combineMigrations([NOTES, TAGS])
    expect(history.names).toEqual([...history.names].sort())
    expect(new Set(history.names).size).toBe(history.names.length)
    expect(history.names[0]).toBe('0001-notes')
    expect(history.names.slice(-2)).toEqual(['0030-tags', '0040-note-secrets'])
    expect(history.names).toContain('0004-postgres-roles')
    expect(history.names).toContain('0026-idempotency-privileges')
    expect(history.personalTables).toEqual(new Set(['note_secrets']))
  })

  it('refuses a migration name declared twice', () => {
    const again: MigratingModule = { ...TAGS, migrations: [creating('0001-notes', 'tags')] }
    expect(() => combineMigrations([NOTES, again])).toThrow(TypeError)
    expect(() => combineMigrations([NOTES, again])).toThrow(
      'migration 0001-notes is declared by both notes and tags',
    )
  })

  it('refuses a name of the grants-only history', () => {
    const taken: MigratingModule = { ...TAGS, migrations: [creating('0013-trust-privileges', 't')] }
    expect(() => combineMigrations([taken])).toThrow(/declared by both storage and tags/)
  })

  it('refuses a name that does not sort into place', () => {
    for (const name of ['27-late', '0027_late', '0027-Late', '00027-late']) {
      const odd: MigratingModule = { ...TAGS, migrations: [creating(name, 't')] }
      expect(() => combineMigrations([odd]), name).toThrow(TypeError)
    }
  })

  it('refuses a table declared by two modules', () => {
    const twice: MigratingModule = { ...TAGS, tables: [{ name: 'notes', personal: true }] }
    expect(() => combineMigrations([NOTES, twice])).toThrow(
      'table notes is declared by both notes and tags',
    )
  })
})

describe.each(ENGINES)('a combined history on %s', (engine) => {
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

  it('applies on a fresh store and records every name, in order', async () => {
    const history = combineMigrations([NOTES, TAGS])
    await store.migrate(history)
    expect(await applied()).toEqual(history.names)
    await store.migrate(history)
    expect(await applied()).toEqual(history.names)
  })

  it('migrates a fresh store part way with a shorter history, then to the end with the whole', async () => {
    const early = combineMigrations([{ ...NOTES, migrations: NOTES.migrations.slice(0, 1) }])
    await store.migrate(early, '0001-notes')
    expect(await applied()).toEqual(['0001-notes'])
    const whole = combineMigrations([NOTES, TAGS])
    await store.migrate(whole)
    expect(await applied()).toEqual(whole.names)
  })
})

describe('the grants after every migration, on postgres', () => {
  let location: FreshLocation
  let store: Store

  beforeEach(async () => {
    location = await freshLocation('postgres')
    store = await openStore({ url: location.url })
  })

  afterEach(async () => {
    await store?.close()
    await location?.cleanup()
  })

  async function privileges(role: string, table: string): Promise<string[]> {
    const result = await sql<{ privilege: string }>`SELECT privilege
      FROM (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE')) AS p(privilege)
      WHERE has_table_privilege(${role}, ${table}, privilege) ORDER BY privilege`.execute(
      store.admin,
    )
    return result.rows.map((row) => row.privilege)
  }

  it('gives the application every table but the personal ones, made by the last migration too', async () => {
    await store.migrate(combineMigrations([NOTES, TAGS]))
    for (const table of ['notes', 'tags']) {
      expect(await privileges('estate_app', table), table).toEqual([
        'DELETE',
        'INSERT',
        'SELECT',
        'UPDATE',
      ])
      expect(await privileges('estate_door', table), table).toEqual(['SELECT'])
    }
    expect(await privileges('estate_app', 'note_secrets')).toEqual([])
    expect(await privileges('estate_door', 'note_secrets')).toEqual(['INSERT', 'SELECT', 'UPDATE'])
    await expect(sql`select * from note_secrets`.execute(store.db)).rejects.toMatchObject({
      code: '42501',
    })
  })

  it('grants after a migration part way, before the rest is applied', async () => {
    await store.migrate(combineMigrations([NOTES, TAGS]), '0030-tags')
    expect(await privileges('estate_app', 'tags')).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE'])
  })

  it('refuses a table no module declares, and applies nothing', async () => {
    const stray: MigratingModule = { ...TAGS, tables: [] }
    await expect(store.migrate(combineMigrations([NOTES, stray]))).rejects.toMatchObject({
      code: 'STORAGE_MIGRATION_FAILED',
      cause: expect.objectContaining({
        message: expect.stringMatching(/declares the tables tags/),
      }),
    })
    const tables = await sql<{ name: string }>`SELECT tablename AS name FROM pg_tables
      WHERE schemaname = 'public' AND tablename IN ('notes', 'tags')`.execute(store.admin)
    expect(tables.rows).toEqual([])
  })
})
