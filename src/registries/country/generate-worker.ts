/**
 * The seeder's generating thread (SQLite). It runs in a worker rather than on the main thread
 * so its heap can be capped: generation allocates fast and keeps little, and an uncapped heap
 * lets garbage pile up to hundreds of megabytes before collecting it. It hands rows to the
 * storing worker (`seed-worker.ts`) through `createWorkerSink`.
 */
import { rmSync } from 'node:fs'
import type { DatabaseSync } from 'node:sqlite'
import { parentPort, workerData } from 'node:worker_threads'
import type { MasterKey } from '../../crypto/index.ts'
import { generateCountry, type GeneratedCountry } from './generate.ts'
import type { CountryProfile } from './profile.ts'
import { createWorkerSink, type LocalTables } from './worker-sink.ts'
import { createSqliteBulkWriter } from './bulk-writer.ts'
import type { SeedTable } from './tables.ts'
import { openStore } from '../../storage/index.ts'
import { BULK_LOAD_POINT, SIDE_FILE_HISTORY } from '../migrations/index.ts'

export interface GenerateWorkerData {
  readonly sidePath: string
  readonly profile: CountryProfile
  readonly population: number
  readonly seed: string
  readonly masterKeys: { current: MasterKey; previous: MasterKey[] }
  readonly keepers: Record<string, string>
}

export type GenerateWorkerMessage =
  | { readonly type: 'progress'; readonly residents: number }
  | { readonly type: 'indexing' }
  | {
      readonly type: 'done'
      readonly generated: GeneratedCountry
      readonly counts: Record<string, number>
      readonly snapshotHash: string
    }

if (parentPort === null) throw new TypeError('generate-worker must run as a worker thread')
const port = parentPort
const data = workerData as GenerateWorkerData

const local = await openLocalTables(`${data.sidePath}.local`)
const sink = createWorkerSink(data.sidePath, data.masterKeys, data.keepers, local)
try {
  const generated = await generateCountry({
    profile: data.profile,
    population: data.population,
    seed: data.seed,
    sink,
    onProgress: (residents) =>
      port.postMessage({ type: 'progress', residents } satisfies GenerateWorkerMessage),
  })
  port.postMessage({ type: 'indexing' } satisfies GenerateWorkerMessage)
  const { counts, snapshotHash } = await sink.finish()
  port.postMessage({
    type: 'done',
    generated,
    counts,
    snapshotHash,
  } satisfies GenerateWorkerMessage)
} catch (error) {
  await sink.abort()
  throw error
}

/** Vehicles and driving licences: written by this thread into a side file of their own. */
async function openLocalTables(path: string): Promise<LocalTables> {
  rmSync(path, { force: true })
  const store = await openStore({
    url: path,
    sqlite: { journalMode: 'OFF', synchronous: 'OFF', cacheKilobytes: 16_384 },
  })
  await store.migrate(SIDE_FILE_HISTORY, BULK_LOAD_POINT)
  const sqlite = store.sqlite as DatabaseSync
  sqlite.exec('BEGIN')
  return {
    tables: new Set<SeedTable>(['vehicles', 'driving_licences']),
    path,
    writer: createSqliteBulkWriter(sqlite),
    close() {
      sqlite.exec('COMMIT')
      sqlite.close()
    },
  }
}
