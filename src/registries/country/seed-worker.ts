/**
 * The seeder's second core (SQLite only). The main thread generates rows; this thread encrypts
 * confidential columns, hashes and writes them, so generation and storage overlap. It owns the
 * only writing connection to the side file while the country is loaded.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openEnvelope, type MasterKey } from '../../crypto/index.ts'
import { createDataKeyStore, openStore } from '../../storage/index.ts'
import { createSqliteBulkWriter } from './bulk-writer.ts'
import { createStoreSink } from './seed-sink.ts'
import type { SeedTable } from './tables.ts'

export interface SeedWorkerData {
  readonly path: string
  readonly masterKeys: { current: MasterKey; previous: MasterKey[] }
  readonly keepers: Record<string, string>
}

export type SeedWorkerMessage =
  | { readonly type: 'rows'; readonly batch: Array<[SeedTable, string]> }
  | { readonly type: 'finish' }

export type SeedWorkerReply =
  | { readonly type: 'ack' }
  | { readonly type: 'done' }
  | { readonly type: 'failed'; readonly message: string }

const data = workerData as SeedWorkerData
const port = parentPort
if (port === null) throw new TypeError('seed-worker must run as a worker thread')

const store = await openStore({
  url: data.path,
  sqlite: { journalMode: 'OFF', synchronous: 'OFF' },
})
const sqlite = store.sqlite as NonNullable<typeof store.sqlite>
const envelope = await openEnvelope(
  data.masterKeys,
  createDataKeyStore(store.db, () => new Date()),
  [],
)
const sink = createStoreSink(
  createSqliteBulkWriter(sqlite),
  envelope,
  (registry) => data.keepers[registry],
)
sqlite.exec('BEGIN')

port.on('message', (message: SeedWorkerMessage) => {
  try {
    if (message.type === 'rows') {
      for (const [table, json] of message.batch) {
        for (const row of JSON.parse(json) as unknown[][]) sink.add(table, row)
      }
      void sink.flush().then(() => port.postMessage({ type: 'ack' } satisfies SeedWorkerReply))
      return
    }
    void sink.flush().then(async () => {
      sqlite.exec('COMMIT')
      await store.close()
      port.postMessage({ type: 'done' } satisfies SeedWorkerReply)
    })
  } catch (error) {
    port.postMessage({ type: 'failed', message: String(error) } satisfies SeedWorkerReply)
  }
})
