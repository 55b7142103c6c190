/**
 * Seeding a country is one act, all or nothing:
 * - SQLite: the country is built in a side file (`…seeding`) without journal or fsync, indexed,
 *   switched to WAL, fsynced and renamed over the store. A kill at any point leaves either the
 *   old store or the complete new one; the next start deletes a leftover side file.
 * - PostgreSQL: everything happens in one transaction.
 * The genesis act goes into the ledger outbox as one entry over the snapshot hash, not one
 * entry a row (issue "The state boots", §12).
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { Worker } from 'node:worker_threads'
import { sql, type Kysely } from 'kysely'
import { openEnvelope, type MasterKeyRing } from '../../crypto/index.ts'
import type { Clock } from '../../shared/index.ts'
import { ledgerRecorder } from '../../ledger/index.ts'
import {
  createDataKeyStore,
  engineOf,
  openStore,
  type MigrationHistory,
  type Schema,
  type Store,
} from '../../storage/index.ts'
import { createPostgresBulkWriter } from './bulk-writer.ts'
import type { GenerateWorkerData, GenerateWorkerMessage } from './generate-worker.ts'
import { generateCountry, type GeneratedCountry } from './generate.ts'
import type { CountryProfile } from './profile.ts'
import { createSnapshotHasher, createStoreSink } from './seed-sink.ts'
import { RegistryError } from '../errors.ts'
import { BULK_LOAD_POINT } from '../migrations/index.ts'

export interface SeedOptions {
  readonly url: string
  readonly profile: CountryProfile
  readonly population: number
  readonly seed: string
  readonly masterKeys: MasterKeyRing
  readonly clock: Clock
  /** The whole history (every module's, `combineMigrations`): the country is migrated to its end. */
  readonly migrations: MigrationHistory
  /** Replace an existing country (its registers, access records and outbox go with it). */
  readonly replace?: boolean
  readonly onProgress?: (residents: number) => void
  /** Called as the seeder enters each phase (`generating`, `indexing`, `finishing`). */
  readonly onPhase?: (phase: 'generating' | 'indexing' | 'finishing') => void
}

export interface SeedReport extends GeneratedCountry {
  readonly rows: Record<string, number>
  readonly snapshotHash: string
  readonly seconds: number
}

const SIDE_SUFFIX = '.seeding'

export async function seedCountry(options: SeedOptions): Promise<SeedReport> {
  if (!Number.isInteger(options.population) || options.population < 10) {
    throw new RangeError('population must be a whole number of at least 10')
  }
  return engineOf(options.url) === 'postgres' ? seedPostgres(options) : seedSqlite(options)
}

/** True when the store holds a complete country. */
export async function hasCountry(store: Store): Promise<boolean> {
  const tables = await store.admin.introspection.getTables()
  if (!tables.some((table) => table.name === 'country')) return false
  const row = await store.admin.selectFrom('country').select('status').executeTakeFirst()
  return row?.status === 'complete'
}

/** Removes what a killed seeding left behind (SQLite side files). */
export function removeAbandonedSeed(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal', '.local']) {
    rmSync(path + SIDE_SUFFIX + suffix, { force: true })
  }
}

async function seedSqlite(options: SeedOptions): Promise<SeedReport> {
  const started = performance.now()
  if (existsSync(options.url) && options.replace !== true) await refuseIfSeeded(options.url)
  removeAbandonedSeed(options.url)
  const sidePath = options.url + SIDE_SUFFIX
  const store = await openStore({
    url: sidePath,
    // This connection only starts and finishes the country; the worker's does the loading.
    sqlite: { journalMode: 'OFF', synchronous: 'OFF', cacheKilobytes: 8192 },
  })
  const sqlite = store.sqlite as NonNullable<Store['sqlite']>
  let report: Omit<SeedReport, 'seconds'>
  try {
    await store.migrate(options.migrations, BULK_LOAD_POINT)
    const keepers = await startCountry(options, store.admin)
    options.onPhase?.('generating')
    // Two threads: one generates and hashes, the other encrypts and writes.
    const { generated, counts, snapshotHash } = await generateInWorkers(options, sidePath, keepers)
    await finishCountry(options, store.admin, snapshotHash)
    report = { ...generated, rows: counts, snapshotHash }
    await store.migrate(options.migrations)
    options.onPhase?.('finishing')
    sqlite.exec('PRAGMA journal_mode = WAL')
    sqlite.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  } catch (error) {
    await store.close()
    removeAbandonedSeed(options.url)
    throw error
  }
  await store.close()
  fsyncPath(sidePath)
  for (const suffix of ['-wal', '-shm']) rmSync(options.url + suffix, { force: true })
  renameSync(sidePath, options.url)
  fsyncPath(dirname(options.url))
  return { ...report, seconds: (performance.now() - started) / 1000 }
}

/** Runs `generate-worker.ts` (which runs `seed-worker.ts`) and relays its progress. */
function generateInWorkers(
  options: SeedOptions,
  sidePath: string,
  keepers: Record<string, string>,
): Promise<{ generated: GeneratedCountry; counts: Record<string, number>; snapshotHash: string }> {
  const data: GenerateWorkerData = {
    sidePath,
    profile: options.profile,
    population: options.population,
    seed: options.seed,
    masterKeys: { current: options.masterKeys.current, previous: [...options.masterKeys.previous] },
    keepers,
  }
  const worker = new Worker(new URL('./generate-worker.ts', import.meta.url), {
    workerData: data,
    // Its live set is tens of megabytes; the cap makes the collector keep it near that.
    resourceLimits: { maxOldGenerationSizeMb: 224, maxYoungGenerationSizeMb: 96 },
  })
  return new Promise((resolve, reject) => {
    let done = false
    worker.on('message', (message: GenerateWorkerMessage) => {
      if (message.type === 'progress') options.onProgress?.(message.residents)
      else if (message.type === 'indexing') options.onPhase?.('indexing')
      else {
        done = true
        resolve(message)
      }
    })
    worker.on('error', reject)
    worker.on('exit', (code) => {
      if (!done) reject(new Error(`the generating thread exited with code ${code}`))
    })
  })
}

async function seedPostgres(options: SeedOptions): Promise<SeedReport> {
  const started = performance.now()
  const store = await openStore({ url: options.url })
  try {
    await store.migrate(options.migrations)
    if (options.replace !== true && (await hasCountry(store))) throw alreadySeeded()
    const report = await store.admin.transaction().execute(async (trx) => {
      if (options.replace === true) await truncateCountry(trx)
      const keepers = await startCountry(options, trx)
      const envelope = await openEnvelope(
        options.masterKeys,
        createDataKeyStore(trx, options.clock.now),
        [],
      )
      const store = createStoreSink(
        createPostgresBulkWriter(trx),
        envelope,
        (registry) => keepers[registry],
      )
      const hasher = createSnapshotHasher((table, rows) => {
        for (const row of rows) store.add(table, row)
      })
      const sink = { add: hasher.add, flushIfFull: () => store.flushIfFull() }
      const generated = await generateCountry({ ...generation(options), sink })
      const snapshotHash = hasher.snapshotHash()
      await store.flush()
      await finishCountry(options, trx, snapshotHash)
      return { ...generated, rows: hasher.counts(), snapshotHash }
    })
    return { ...report, seconds: (performance.now() - started) / 1000 }
  } finally {
    await store.close()
  }
}

function generation(options: SeedOptions) {
  return {
    profile: options.profile,
    population: options.population,
    seed: options.seed,
    onProgress: options.onProgress,
  }
}

/** The country row (status `seeding`) and a data key per registry keeper; returns the keepers. */
async function startCountry(
  options: SeedOptions,
  db: Kysely<Schema>,
): Promise<Record<string, string>> {
  const { profile, clock } = options
  await db
    .insertInto('country')
    .values({
      id: 1,
      name: profile.name,
      instance: profile.instance,
      profile: JSON.stringify(profile),
      seed: options.seed,
      population: options.population,
      status: 'seeding',
      snapshot_hash: null,
      started_at: clock.now().toISOString(),
      completed_at: null,
    })
    .execute()
  const keepers: Record<string, string> = {}
  for (const agency of profile.agencies)
    for (const registry of agency.registries) keepers[registry] = agency.registryCode
  await openEnvelope(options.masterKeys, createDataKeyStore(db, clock.now), [
    ...new Set(Object.values(keepers)),
  ])
  return keepers
}

/** Marks the country complete and records the genesis act in the ledger outbox. */
async function finishCountry(
  options: SeedOptions,
  db: Kysely<Schema>,
  snapshotHash: string,
): Promise<void> {
  const { profile } = options
  const completedAt = options.clock.now().toISOString()
  await db
    .updateTable('country')
    .set({ status: 'complete', snapshot_hash: snapshotHash, completed_at: completedAt })
    .where('id', '=', 1)
    .execute()
  const genesis = {
    kind: 'genesis',
    country: profile.name,
    instance: profile.instance,
    population: options.population,
    seed: options.seed,
    snapshotSha256: snapshotHash,
    at: completedAt,
  }
  await ledgerRecorder.record(db, [
    {
      kind: 'genesis',
      refId: 1,
      recordedAt: completedAt,
      entry: Buffer.from(JSON.stringify(genesis)),
    },
  ])
}

async function refuseIfSeeded(path: string): Promise<void> {
  const store = await openStore({ url: path })
  try {
    if (await hasCountry(store)) throw alreadySeeded()
  } finally {
    await store.close()
  }
}

function alreadySeeded(): RegistryError {
  return new RegistryError(
    'COUNTRY_ALREADY_SEEDED',
    'the store already holds a country; pass --replace to build a new one',
  )
}

async function truncateCountry(db: Kysely<Schema>): Promise<void> {
  const tables = await db.introspection.getTables()
  const names = tables.map((table) => table.name).filter((name) => !name.startsWith('kysely_'))
  await sql`TRUNCATE ${sql.join(names.map((name) => sql.table(name)))} RESTART IDENTITY`.execute(db)
}

function fsyncPath(path: string): void {
  const descriptor = openSync(path, 'r')
  try {
    fsyncSync(descriptor)
  } finally {
    closeSync(descriptor)
  }
}
