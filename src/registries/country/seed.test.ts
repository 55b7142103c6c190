import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ENGINES, freshLocation, usePostgresCluster } from '../../../test/support/engines.ts'
import { MIGRATIONS } from '../../../test/support/migrations.ts'
import { generateMasterKey } from '../../crypto/index.ts'
import { isPersonalCode, isRegistryCode, systemClock } from '../../shared/index.ts'
import { openStore } from '../../storage/index.ts'
import { DEFAULT_PROFILE } from './profile.ts'
import { hasCountry, removeAbandonedSeed, seedCountry } from './seed.ts'

usePostgresCluster()
const masterKeys = { current: generateMasterKey('seed-test'), previous: [] }
const seed = (url: string, population: number, seedText: string, replace = false) =>
  seedCountry({
    url,
    profile: DEFAULT_PROFILE,
    population,
    seed: seedText,
    masterKeys,
    clock: systemClock,
    migrations: MIGRATIONS,
    replace,
  })

describe.each(ENGINES)('seeding a country on %s', (engine) => {
  const hashes: Record<string, string> = {}

  it('builds a complete, realistic country as one genesis act', async () => {
    const location = await freshLocation(engine)
    try {
      const report = await seed(location.url, 3000, 'same')
      hashes[engine] = report.snapshotHash
      expect(report.residents).toBeGreaterThanOrEqual(3000)
      expect(report.rows.persons).toBeGreaterThanOrEqual(report.residents)
      const store = await openStore({ url: location.url })
      try {
        expect(await hasCountry(store)).toBe(true)
        const persons = await store.admin
          .selectFrom('persons')
          .select(['personal_code', 'birth_date', 'mother_code'])
          .execute()
        expect(persons.every((person) => isPersonalCode(person.personal_code))).toBe(true)
        expect(new Set(persons.map((person) => person.personal_code)).size).toBe(persons.length)
        const companies = await store.admin
          .selectFrom('companies')
          .select('registry_code')
          .execute()
        expect(companies.length).toBeGreaterThan(200)
        expect(companies.every((company) => isRegistryCode(company.registry_code))).toBe(true)
        // An age pyramid, not a flat line: children, working age and the elderly all present.
        const ages = persons.map((person) => 2026 - Number(person.birth_date.slice(0, 4)))
        expect(ages.filter((age) => age < 18).length / ages.length).toBeGreaterThan(0.1)
        expect(ages.filter((age) => age >= 65).length / ages.length).toBeGreaterThan(0.1)
        expect(persons.filter((person) => person.mother_code !== null).length).toBeGreaterThan(
          persons.length / 3,
        )
        for (const table of [
          'vehicles',
          'driving_licences',
          'employments',
          'incomes',
          'health_insurance',
          'officials',
        ] as const) {
          const { count } = await store.admin
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('count'))
            .executeTakeFirstOrThrow()
          expect(Number(count), table).toBeGreaterThan(0)
        }
        // One genesis entry for the whole snapshot, not one per row.
        const outbox = await store.admin.selectFrom('ledger_outbox').selectAll().execute()
        expect(outbox).toHaveLength(1)
        const genesis = JSON.parse(Buffer.from(outbox[0].entry).toString('utf8'))
        expect(genesis).toMatchObject({
          kind: 'genesis',
          snapshotSha256: report.snapshotHash,
          population: 3000,
        })
        // Confidential columns are ciphertext at rest.
        const incomes = await store.admin.selectFrom('incomes').select('months').limit(50).execute()
        for (const { months } of incomes) {
          expect(months[0]).toBe(1) // envelope format version
          expect(Buffer.from(months).toString('latin1')).not.toMatch(/\[\d+,\d+\]|null,null/)
        }
      } finally {
        await store.close()
      }
    } finally {
      await location.cleanup()
    }
  })

  it('is deterministic: the same seed gives the same country, another seed another', async () => {
    const first = await freshLocation(engine)
    const second = await freshLocation(engine)
    try {
      const again = await seed(first.url, 3000, 'same')
      const other = await seed(second.url, 3000, 'different')
      expect(again.snapshotHash).toBe(hashes[engine])
      expect(other.snapshotHash).not.toBe(hashes[engine])
    } finally {
      await first.cleanup()
      await second.cleanup()
    }
  })

  it('refuses to seed over an existing country unless told to replace it', async () => {
    const location = await freshLocation(engine)
    try {
      await seed(location.url, 500, 'one')
      await expect(seed(location.url, 500, 'two')).rejects.toMatchObject({
        code: 'COUNTRY_ALREADY_SEEDED',
      })
      const replaced = await seed(location.url, 500, 'two', true)
      const store = await openStore({ url: location.url })
      try {
        const country = await store.admin
          .selectFrom('country')
          .selectAll()
          .executeTakeFirstOrThrow()
        expect(country).toMatchObject({
          seed: 'two',
          status: 'complete',
          snapshot_hash: replaced.snapshotHash,
        })
      } finally {
        await store.close()
      }
    } finally {
      await location.cleanup()
    }
  })
})

describe('both engines', () => {
  it('build the same snapshot from the same seed', async () => {
    const sqlite = await freshLocation('sqlite')
    const postgres = await freshLocation('postgres')
    try {
      const [a, b] = [
        await seed(sqlite.url, 1000, 'cross'),
        await seed(postgres.url, 1000, 'cross'),
      ]
      expect(a.snapshotHash).toBe(b.snapshotHash)
    } finally {
      await sqlite.cleanup()
      await postgres.cleanup()
    }
  })
})

describe('a seed killed midway', () => {
  const directory = mkdtempSync(join(tmpdir(), 'e-state-kill-'))
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('leaves no half-country, and the next run rebuilds it', async () => {
    const dataDir = join(directory, 'data')
    const database = join(dataDir, 'estate.db')
    const child = spawn(process.execPath, ['bin/e-state.js', 'seed', '--population', '200000'], {
      env: { ...process.env, E_STATE_DATA_DIR: dataDir, E_STATE_LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    })
    // Kill it hard once it is visibly writing the country.
    for (let waited = 0; !existsSync(database + '.seeding') && waited < 30_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await new Promise((resolve) => setTimeout(resolve, 400))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    expect(existsSync(database + '.seeding')).toBe(true)
    expect(existsSync(database)).toBe(false)

    removeAbandonedSeed(database)
    expect(existsSync(database + '.seeding')).toBe(false)
    await seed(database, 500, 'after the kill')
    const store = await openStore({ url: database })
    try {
      expect(await hasCountry(store)).toBe(true)
    } finally {
      await store.close()
    }
  })
})
