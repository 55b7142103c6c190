/**
 * The seeder's second core (SQLite only). The main thread generates rows; this thread encrypts
 * confidential columns, hashes and writes them, so generation and storage overlap. It owns the
 * only writing connection to the side file while the country is loaded.
 */
import { rmSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import { openEnvelope, type MasterKey } from '../../crypto/index.ts'
import { createDataKeyStore, openStore } from '../../storage/index.ts'
import { HOUSEHOLD_INDEX_POINT, SIDE_FILE_HISTORY } from '../migrations/index.ts'
import { createSqliteBulkWriter } from './bulk-writer.ts'
import { createStoreSink } from './seed-sink.ts'
import { SEED_TABLES, type SeedTable } from './tables.ts'

export interface SeedWorkerData {
  readonly path: string
  readonly masterKeys: { current: MasterKey; previous: MasterKey[] }
  readonly keepers: Record<string, string>
}

export type SeedWorkerMessage =
  | { readonly type: 'rows'; readonly batch: Array<[SeedTable, string]> }
  /** Every household is in: build those tables' keys and indexes while companies are generated. */
  | {
      readonly type: 'index'
      readonly localPath?: string
      readonly localTables: readonly SeedTable[]
    }
  | { readonly type: 'finish' }

export type SeedWorkerReply =
  | { readonly type: 'ack' }
  | { readonly type: 'done' }
  | { readonly type: 'failed'; readonly message: string }

const data = workerData as SeedWorkerData
if (parentPort === null) throw new TypeError('seed-worker must run as a worker thread')
const port = parentPort

const store = await openStore({
  url: data.path,
  sqlite: { journalMode: 'OFF', synchronous: 'OFF', cacheKilobytes: 32_768 },
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

// Messages are handled strictly one after another: index building is asynchronous (Kysely's
// migrator) and must not interleave with inserts.
let queue: Promise<void> = Promise.resolve()
port.on('message', (message: SeedWorkerMessage) => {
  queue = queue
    .then(() => handle(message))
    .catch((error: unknown) => {
      port.postMessage({ type: 'failed', message: String(error) } satisfies SeedWorkerReply)
    })
})

async function handle(message: SeedWorkerMessage): Promise<void> {
  switch (message.type) {
    case 'rows':
      for (const [table, json] of message.batch) {
        for (const row of JSON.parse(json) as unknown[][]) sink.add(table, row)
      }
      await sink.flush()
      port.postMessage({ type: 'ack' } satisfies SeedWorkerReply)
      return
    case 'index':
      await sink.flush()
      if (message.localPath !== undefined) copyLocalTables(message.localPath, message.localTables)
      sqlite.exec('COMMIT')
      // The index sorter takes up to the page cache's size per thread; the main thread is still
      // generating companies meanwhile, so keep both within the memory budget.
      sqlite.exec('PRAGMA cache_size = -32768')
      await store.migrate(SIDE_FILE_HISTORY, HOUSEHOLD_INDEX_POINT)
      sqlite.exec('BEGIN')
      return
    case 'finish':
      await sink.flush()
      sqlite.exec('COMMIT')
      await store.close()
      port.postMessage({ type: 'done' } satisfies SeedWorkerReply)
  }
}

/** Copies the tables the generating thread wrote into its own side file, then deletes it. */
function copyLocalTables(path: string, tables: readonly SeedTable[]): void {
  // ATTACH and DETACH are refused inside a transaction.
  sqlite.exec('COMMIT')
  sqlite.prepare('ATTACH DATABASE ? AS local').run(path)
  sqlite.exec('BEGIN')
  for (const table of tables) {
    const columns = SEED_TABLES[table].join(', ')
    sqlite.exec(
      `INSERT INTO main.${table} (${columns}) SELECT ${columns} FROM local.${table} ORDER BY rowid`,
    )
  }
  sqlite.exec('COMMIT')
  sqlite.exec('DETACH DATABASE local')
  sqlite.exec('BEGIN')
  rmSync(path, { force: true })
}
