/**
 * The seeder's sinks. `createSnapshotHasher` hashes every row as generated (plaintext, so the
 * same seed gives the same snapshot hash whatever the random IVs) into a per-table digest; the
 * snapshot hash the genesis act records is the hash of those digests and row counts.
 * `createStoreSink` buffers rows, encrypts confidential columns and writes them. The two-core
 * seeder hashes on the generating thread and stores on the worker; PostgreSQL does both in one.
 */
import { createSha256, sha256, type Envelope } from '../../crypto/index.ts'
import type { BulkWriter } from './bulk-writer.ts'
import { CONFIDENTIAL_COLUMNS, SEED_TABLES, type SeedTable } from './tables.ts'
import type { RowSink } from './sink.ts'

const FLUSH_AT_ROWS = 20_000
const TABLES = Object.keys(SEED_TABLES) as SeedTable[]

export interface SnapshotHasher extends RowSink {
  counts(): Record<string, number>
  /** Hands on the last partial chunk of tables that are complete (no row for them follows). */
  completeTables(tables: Iterable<SeedTable>): void
  /** Hashes and hands on the last partial chunks; call once, after the last row. */
  snapshotHash(): string
}

/** Rows are hashed in chunks of this many per table, as their JSON text. */
const CHUNK_ROWS = 1000

/**
 * Hashes the generated rows table by table: each table's digest is SHA-256 over the JSON text of
 * its rows in chunks of 1,000. The JSON is made once and handed to `onChunk`, so the two-core
 * seeder ships it to the worker as one string instead of cloning row arrays a second time.
 */
export function createSnapshotHasher(
  onChunk: (table: SeedTable, rows: unknown[][], json: string) => void = () => {},
): SnapshotHasher {
  const hashes = new Map(TABLES.map((table) => [table, createSha256()]))
  const buffers = new Map<SeedTable, unknown[][]>(TABLES.map((table) => [table, []]))
  const counts: Record<string, number> = Object.fromEntries(TABLES.map((table) => [table, 0]))
  const emit = (table: SeedTable): void => {
    const rows = buffers.get(table) as unknown[][]
    if (rows.length === 0) return
    buffers.set(table, [])
    const json = JSON.stringify(rows)
    hashes.get(table)?.update(json)
    onChunk(table, rows, json)
  }
  return {
    add(table, row) {
      const rows = buffers.get(table) as unknown[][]
      rows.push(row)
      counts[table]++
      if (rows.length === CHUNK_ROWS) emit(table)
    },
    counts: () => ({ ...counts }),
    completeTables(tables) {
      for (const table of tables) emit(table)
    },
    snapshotHash() {
      const summary = TABLES.map((table) => {
        emit(table)
        return `${table}:${counts[table]}:${hashes.get(table)?.digest().toString('hex')}`
      })
      return sha256(summary.join('\n')).toString('hex')
    },
  }
}

export interface StoreSink extends RowSink {
  flushIfFull(): Promise<void> | void
  flush(): Promise<void>
}

export function createStoreSink(
  writer: BulkWriter,
  envelope: Envelope,
  keeperOf: (registry: string) => string,
): StoreSink {
  let buffers = new Map<SeedTable, unknown[][]>()
  let pending = 0
  const flush = async (): Promise<void> => {
    const full = buffers
    buffers = new Map()
    pending = 0
    for (const [table, rows] of full) await writer.write(table, rows)
  }
  return {
    add(table, row) {
      const confidential = CONFIDENTIAL_COLUMNS[table]
      if (confidential !== undefined) {
        const stored = row.slice()
        stored[confidential.column] = envelope.encrypt(
          keeperOf(confidential.registry),
          String(row[confidential.column]),
          confidential.associatedData(row),
        )
        row = stored
      }
      let rows = buffers.get(table)
      if (rows === undefined) buffers.set(table, (rows = []))
      rows.push(row)
      pending++
    },
    flushIfFull() {
      return pending >= FLUSH_AT_ROWS ? flush() : undefined
    },
    flush,
  }
}
