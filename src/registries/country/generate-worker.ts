/**
 * The seeder's generating thread (SQLite). It runs in a worker rather than on the main thread
 * so its heap can be capped: generation allocates fast and keeps little, and an uncapped heap
 * lets garbage pile up to hundreds of megabytes before collecting it. It hands rows to the
 * storing worker (`seed-worker.ts`) through `createWorkerSink`.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { MasterKey } from '../../crypto/index.ts'
import { generateCountry, type GeneratedCountry } from './generate.ts'
import type { CountryProfile } from './profile.ts'
import { createWorkerSink } from './worker-sink.ts'

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

const sink = createWorkerSink(data.sidePath, data.masterKeys, data.keepers)
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
