import { existsSync } from 'node:fs'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, it, expect } from 'vitest'
import { generateMasterKey, openEnvelope } from '../crypto/index.ts'
import {
  ENGINES,
  freshLocation,
  usePostgresCluster,
  type FreshLocation,
} from '../../test/support/engines.ts'
import { MIGRATIONS } from '../../test/support/migrations.ts'
import { createDataKeyStore } from './data-key-store.ts'
import type { Schema } from './schema.ts'
import { engineOf, openStore, type Store } from './store.ts'

usePostgresCluster()

const NOW = () => new Date('2025-02-24T10:00:00.000Z')

const AGENCY: Schema['agencies'] = {
  registry_code: '70006317',
  member_id: 'EE/GOV/70006317',
  name: 'Riigi Infosüsteemi Amet',
  short_name: 'RIA',
  subsystem: 'ria',
  registries: 'population,vehicles',
  reads: 'companies',
}

const PERSON: Schema['persons'] = {
  personal_code: '38001085718',
  first_name: 'Jaan',
  last_name: 'Tamm',
  sex: 'male',
  birth_date: '1980-01-08',
  citizenship: 'EST',
  native_language: 'et',
  status: 'alive',
  death_date: null,
  residence_building: null,
  residence_apartment: null,
  contact_email: null,
  contact_phone: null,
  spouse_code: null,
  mother_code: null,
  father_code: null,
  household_id: 1,
}

/** Every byte value, plus NULs and high bytes at the edges (a text round trip would mangle it). */
const ALL_BYTES = Uint8Array.from([0, 0xff, ...Array.from({ length: 256 }, (_, i) => i), 0, 0x80])

function bytes(value: Uint8Array): number[] {
  return Array.from(value)
}

async function count(store: Store, table: 'agencies' | 'data_keys'): Promise<number> {
  const row = await store.admin
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return row.n
}

describe('engineOf', () => {
  it.each([
    ['postgres://u@h/db', 'postgres'],
    ['postgresql://u@h:5432/db', 'postgres'],
    ['/var/lib/estate/estate.db', 'sqlite'],
    ['estate.db', 'sqlite'],
    ['./postgres://not-a-url', 'sqlite'],
  ])('reads %s as %s', (url, engine) => {
    expect(engineOf(url)).toBe(engine)
  })
})

describe.each(ENGINES)('store on %s', (engine) => {
  let location: FreshLocation
  let store: Store

  beforeEach(async () => {
    location = await freshLocation(engine)
    store = await openStore({ url: location.url })
    await store.migrate(MIGRATIONS)
  })

  afterEach(async () => {
    await store?.close()
    await location?.cleanup()
  })

  it('opens the engine the url names', () => {
    expect(store.engine).toBe(engine)
    expect(store.sqlite === undefined).toBe(engine === 'postgres')
    expect(store.pool === undefined).toBe(engine === 'sqlite')
    if (engine === 'sqlite') expect(existsSync(location.url)).toBe(true)
  })

  it('stores and reads back an agency', async () => {
    await store.db.insertInto('agencies').values(AGENCY).execute()
    const rows = await store.db.selectFrom('agencies').selectAll().execute()
    expect(rows).toEqual([AGENCY])
  })

  it('enforces unique keys on agencies', async () => {
    await store.db.insertInto('agencies').values(AGENCY).execute()
    await expect(
      store.db
        .insertInto('agencies')
        .values({ ...AGENCY, registry_code: '70000001' })
        .execute(),
    ).rejects.toThrow()
    expect(await count(store, 'agencies')).toBe(1)
  })

  it('stores binary data keys byte for byte and numbers their ids', async () => {
    const inserted = await store.db
      .insertInto('data_keys')
      .values([
        {
          agency: '70006317',
          version: 1,
          master_key_id: 'master-1',
          wrapped: ALL_BYTES,
          created_at: NOW().toISOString(),
        },
        {
          agency: '70006317',
          version: 2,
          master_key_id: 'master-1',
          wrapped: Buffer.from([1, 2, 3]),
          created_at: NOW().toISOString(),
        },
      ])
      .returning('id')
      .execute()
    expect(inserted.map((row) => row.id)).toEqual([1, 2])
    expect(inserted.every((row) => typeof row.id === 'number')).toBe(true)

    const rows = await store.db.selectFrom('data_keys').selectAll().orderBy('id').execute()
    expect(rows).toHaveLength(2)
    const [first, second] = rows
    expect(typeof first.id).toBe('number')
    expect(first.id).toBe(1)
    expect(first.version).toBe(1)
    expect(first.wrapped).toBeInstanceOf(Uint8Array)
    expect(bytes(first.wrapped)).toEqual(bytes(ALL_BYTES))
    expect(bytes(second.wrapped)).toEqual([1, 2, 3])
    expect(first.created_at).toBe('2025-02-24T10:00:00.000Z')
  })

  it('enforces one data key per agency and version', async () => {
    const key = {
      agency: '70006317',
      version: 1,
      master_key_id: 'master-1',
      wrapped: Uint8Array.from([1]),
      created_at: NOW().toISOString(),
    }
    await store.db.insertInto('data_keys').values(key).execute()
    await expect(store.db.insertInto('data_keys').values(key).execute()).rejects.toThrow()
    expect(await count(store, 'data_keys')).toBe(1)
  })

  it('returns 64-bit integer columns and counts as JavaScript numbers', async () => {
    const idx = 2 ** 40 + 7
    await store.db
      .insertInto('ledger_entries')
      .values({
        idx,
        kind: 'genesis',
        entry: Uint8Array.from([9]),
        leaf_hash: new Uint8Array(32),
        appended_at: NOW().toISOString(),
      })
      .execute()
    const outbox = await store.db
      .insertInto('ledger_outbox')
      .values({ kind: 'genesis', ref_id: idx, recorded_at: NOW().toISOString(), entry: ALL_BYTES })
      .returning(['id', 'ref_id'])
      .executeTakeFirstOrThrow()
    expect(outbox).toEqual({ id: 1, ref_id: idx })

    const entry = await store.db.selectFrom('ledger_entries').selectAll().executeTakeFirstOrThrow()
    expect(entry.idx).toBe(idx)
    expect(bytes(entry.leaf_hash)).toEqual(bytes(new Uint8Array(32)))
    expect(await count(store, 'data_keys')).toBe(0)
    const counted = await store.db
      .selectFrom('ledger_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(counted.n).toBe(1)
  })

  it('migrating again is a no-op that keeps the data', async () => {
    await store.db.insertInto('agencies').values(AGENCY).execute()
    const applied = async () =>
      (
        await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
          store.admin,
        )
      ).rows.map((row) => row.name)
    const before = await applied()
    expect(before).toEqual(MIGRATIONS.names)

    await store.migrate(MIGRATIONS)
    await store.migrate(MIGRATIONS)

    expect(await applied()).toEqual(before)
    expect(await store.db.selectFrom('agencies').selectAll().execute()).toEqual([AGENCY])
  })

  it('migrates a second store over the same location without change', async () => {
    await store.db.insertInto('agencies').values(AGENCY).execute()
    await store.close()
    store = await openStore({ url: location.url })
    await store.migrate(MIGRATIONS)
    expect(await store.db.selectFrom('agencies').selectAll().execute()).toEqual([AGENCY])
  })

  it('leaves nothing behind when a transaction throws, and stays usable', async () => {
    const failure = new Error('abort the act')
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('agencies').values(AGENCY).execute()
        await trx
          .insertInto('data_keys')
          .values({
            agency: AGENCY.registry_code,
            version: 1,
            master_key_id: 'm',
            wrapped: Uint8Array.from([1]),
            created_at: NOW().toISOString(),
          })
          .execute()
        expect(await trx.selectFrom('agencies').selectAll().execute()).toHaveLength(1)
        throw failure
      }),
    ).rejects.toBe(failure)

    expect(await count(store, 'agencies')).toBe(0)
    expect(await count(store, 'data_keys')).toBe(0)

    await store.db.insertInto('agencies').values(AGENCY).execute()
    expect(await count(store, 'agencies')).toBe(1)
  })

  it('commits a transaction that completes', async () => {
    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto('agencies').values(AGENCY).execute()
    })
    expect(await count(store, 'agencies')).toBe(1)
  })

  it('lets the owner write and read a personal table', async () => {
    await store.admin.insertInto('persons').values(PERSON).execute()
    expect(await store.admin.selectFrom('persons').selectAll().execute()).toEqual([PERSON])
  })

  it('keeps wrapped data keys through createDataKeyStore and an envelope', async () => {
    const keys = createDataKeyStore(store.db, NOW)
    const master = generateMasterKey('master-1')
    const envelope = await openEnvelope({ current: master, previous: [] }, keys, ['70006317'])
    const sealed = envelope.encrypt('70006317', 'tervisekindlustus', 'health_insurance|1')

    const listed = await keys.listDataKeys()
    expect(listed).toHaveLength(1)
    expect(listed[0]).toMatchObject({ id: 1, agency: '70006317', version: 1 })
    expect(listed[0].masterKeyId).toBe('master-1')

    await envelope.rotateDataKey('70006317')
    const next = generateMasterKey('master-2')
    await envelope.rotateMasterKey(next)

    const after = await keys.listDataKeys()
    expect(after.map((key) => [key.id, key.version, key.masterKeyId])).toEqual([
      [1, 1, 'master-2'],
      [2, 2, 'master-2'],
    ])
    expect(bytes(after[0].wrapped)).not.toEqual(bytes(listed[0].wrapped))

    const reopened = await openEnvelope({ current: next, previous: [] }, keys, ['70006317'])
    expect(reopened.decryptText(sealed, 'health_insurance|1')).toBe('tervisekindlustus')
  })

  it('rolls back every re-wrap when one update fails', async () => {
    const keys = createDataKeyStore(store.db, NOW)
    const first = await keys.insertDataKey({
      agency: '70006317',
      version: 1,
      masterKeyId: 'master-1',
      wrapped: Uint8Array.from([1]),
    })
    await expect(
      keys.replaceWrapping([
        { ...first, masterKeyId: 'master-2', wrapped: Uint8Array.from([2]) },
        // null violates NOT NULL: the whole re-wrap must be undone.
        { ...first, masterKeyId: null as unknown as string, wrapped: Uint8Array.from([3]) },
      ]),
    ).rejects.toThrow()
    const listed = await keys.listDataKeys()
    expect(listed.map((key) => [key.masterKeyId, bytes(key.wrapped)])).toEqual([['master-1', [1]]])
  })
})

describe('least privilege on postgres', () => {
  let location: FreshLocation
  let store: Store

  beforeEach(async () => {
    location = await freshLocation('postgres')
    store = await openStore({ url: location.url })
    await store.migrate(MIGRATIONS)
    await store.admin.insertInto('persons').values(PERSON).execute()
  })

  afterEach(async () => {
    await store?.close()
    await location?.cleanup()
  })

  it('runs the application handle as estate_app and the admin handle as the owner', async () => {
    const who = async (db: Store['db']) =>
      (await sql<{ user: string }>`select current_user as user`.execute(db)).rows[0].user
    expect(await who(store.db)).toBe('estate_app')
    expect(await who(store.admin)).toBe('postgres')
  })

  it('refuses the application handle any read of persons; the owner reads it', async () => {
    await expect(sql`select * from persons`.execute(store.db)).rejects.toMatchObject({
      code: '42501', // insufficient_privilege
      message: expect.stringMatching(/permission denied/),
    })
    expect(await store.admin.selectFrom('persons').selectAll().execute()).toEqual([PERSON])
  })

  it.each([...MIGRATIONS.personalTables])(
    'refuses the application handle reads and writes on %s',
    async (table) => {
      await expect(
        sql`select count(*) from ${sql.table(table)}`.execute(store.db),
      ).rejects.toMatchObject({
        code: '42501',
      })
      await expect(sql`delete from ${sql.table(table)}`.execute(store.db)).rejects.toMatchObject({
        code: '42501',
      })
    },
  )

  it('refuses the application handle writes to persons', async () => {
    await expect(
      store.db
        .insertInto('persons')
        .values({ ...PERSON, personal_code: '48707032744' })
        .execute(),
    ).rejects.toMatchObject({ code: '42501' })
    await expect(
      store.db.updateTable('persons').set({ last_name: 'Kask' }).execute(),
    ).rejects.toMatchObject({ code: '42501' })
    expect(await store.admin.selectFrom('persons').select('last_name').execute()).toEqual([
      { last_name: 'Tamm' },
    ])
  })

  it('keeps the role after a failed query on the same pooled connection', async () => {
    await expect(sql`select * from persons`.execute(store.db)).rejects.toMatchObject({
      code: '42501',
    })
    const user = await sql<{ user: string }>`select current_user as user`.execute(store.db)
    expect(user.rows[0].user).toBe('estate_app')
  })

  it('lets createDataKeyStore work through the application role', async () => {
    const keys = createDataKeyStore(store.db, NOW)
    const first = await keys.insertDataKey({
      agency: '70006317',
      version: 1,
      masterKeyId: 'master-1',
      wrapped: ALL_BYTES,
    })
    const second = await keys.insertDataKey({
      agency: '70000001',
      version: 1,
      masterKeyId: 'master-1',
      wrapped: Uint8Array.from([7]),
    })
    expect([first.id, second.id]).toEqual([1, 2])

    await keys.replaceWrapping([
      { ...first, masterKeyId: 'master-2', wrapped: Uint8Array.from([1, 2]) },
      { ...second, masterKeyId: 'master-2', wrapped: Uint8Array.from([3, 4]) },
    ])
    const listed = await keys.listDataKeys()
    expect(listed.map((key) => [key.id, key.agency, key.masterKeyId, bytes(key.wrapped)])).toEqual([
      [1, '70006317', 'master-2', [1, 2]],
      [2, '70000001', 'master-2', [3, 4]],
    ])
    const owner = await store.admin.selectFrom('data_keys').select('created_at').execute()
    expect(owner).toEqual([
      { created_at: '2025-02-24T10:00:00.000Z' },
      { created_at: '2025-02-24T10:00:00.000Z' },
    ])
  })
})
