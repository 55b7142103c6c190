/**
 * The writer thread of `message-log-thread.ts`: its own connection to the gateway's SQLite
 * file (WAL, synchronous=FULL), one transaction per batch of records and their outbox rows.
 */
import { DatabaseSync } from 'node:sqlite'
import { parentPort, workerData } from 'node:worker_threads'
import { OUTBOX_SQL } from '../ledger/worker.ts'
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
// The ledger's own statements: its outbox is written by the recorder's SQL alone.
const insertOutbox = database.prepare(OUTBOX_SQL.insert('exchange-message'))
const pendingCommitments = database.prepare(OUTBOX_SQL.pendingAfter('exchange-message'))
const forgetCommitments = database.prepare(OUTBOX_SQL.forgetBetween('exchange-message'))

type Request =
  | { id: number; row: LogRow; recordedAt: string }[]
  | {
      readonly outbox: 'pending'
      readonly ask: number
      readonly after: number
      readonly limit: number
    }
  | {
      readonly outbox: 'anchored'
      readonly ask: number
      readonly first: number
      readonly last: number
    }

parentPort?.on('message', (request: Request) => {
  // The anchoring's reads and deletes run here too, between batches, off the gateway's loop.
  if (!Array.isArray(request)) {
    try {
      if (request.outbox === 'pending')
        parentPort?.postMessage({
          ask: request.ask,
          rows: pendingCommitments.all(request.after, request.limit),
        })
      else {
        forgetCommitments.run(request.first, request.last)
        parentPort?.postMessage({ ask: request.ask })
      }
    } catch (error) {
      parentPort?.postMessage({ ask: request.ask, error: (error as Error).message })
    }
    return
  }
  const batch = request
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
