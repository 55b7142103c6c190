/**
 * The writer thread of `message-log-thread.ts`: its own connection to the gateway's SQLite
 * file (WAL, synchronous=FULL), one transaction per batch of records and their outbox rows.
 */
import { DatabaseSync } from 'node:sqlite'
import { parentPort, workerData } from 'node:worker_threads'
import type { LogRow } from './message-log.ts'

const database = new DatabaseSync((workerData as { path: string }).path)
database.exec('PRAGMA journal_mode = WAL')
database.exec('PRAGMA synchronous = FULL')
database.exec('PRAGMA busy_timeout = 5000')
const COLUMNS = [
  'side',
  'message_id',
  'client',
  'service',
  'method',
  'path',
  'user_id',
  'request_hash',
  'request_signature',
  'response_signature',
  'request_signed',
  'response_signed',
  'status',
  'error_type',
  'request_size',
  'response_size',
  'request_body',
  'response_body',
  'started_at',
  'duration_ms',
  'commitment',
] as const
const insertLog = database.prepare(
  `INSERT INTO exchange_message_log (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) RETURNING id`,
)
const insertOutbox = database.prepare(
  "INSERT INTO ledger_outbox (kind, ref_id, recorded_at, entry) VALUES ('exchange-message', ?, ?, ?)",
)

parentPort?.on('message', (batch: { id: number; row: LogRow; recordedAt: string }[]) => {
  const ids = batch.map((entry) => entry.id)
  try {
    database.exec('BEGIN IMMEDIATE')
    try {
      for (const { row, recordedAt } of batch) {
        const inserted = insertLog.get(...COLUMNS.map((column) => row[column])) as { id: number }
        insertOutbox.run(inserted.id, recordedAt, Buffer.from(row.commitment, 'hex'))
      }
      database.exec('COMMIT')
    } catch (error) {
      database.exec('ROLLBACK')
      throw error
    }
    parentPort?.postMessage({ ids })
  } catch (error) {
    parentPort?.postMessage({ ids, error: (error as Error).message })
  }
})
