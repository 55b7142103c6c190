/**
 * The embedded engine: `node:sqlite` (built into Node 24), adapted to Kysely's `SqliteDatabase`
 * interface. Statements are cached by SQL text; WAL mode so readers never wait on the writer.
 * `synchronous=FULL` makes every commit fsync the WAL: an act acknowledged is an act on disk.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

export interface SqliteOptions {
  /** `FULL` for serving; `OFF` only while building a throwaway file (seeding before rename). */
  readonly synchronous?: 'FULL' | 'NORMAL' | 'OFF'
  readonly journalMode?: 'WAL' | 'OFF'
  /** Page cache in KiB (default 65,536: 64 MiB). */
  readonly cacheKilobytes?: number
}

export function openSqlite(path: string, options: SqliteOptions = {}): DatabaseSync {
  const database = new DatabaseSync(path)
  database.exec(`PRAGMA journal_mode = ${options.journalMode ?? 'WAL'}`)
  database.exec(`PRAGMA synchronous = ${options.synchronous ?? 'FULL'}`)
  database.exec('PRAGMA foreign_keys = ON')
  database.exec('PRAGMA busy_timeout = 5000')
  database.exec(`PRAGMA cache_size = -${options.cacheKilobytes ?? 65_536}`)
  // Lets CREATE INDEX sort on a helper thread (the machine has two cores).
  database.exec('PRAGMA threads = 2')
  return database
}

export function adaptSqliteForKysely(database: DatabaseSync): SqliteDatabase {
  const cache = new Map<string, StatementSync>()
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql)
      if (statement === undefined) {
        statement = database.prepare(sql)
        if (cache.size > 500) cache.clear()
        cache.set(sql, statement)
      }
      const prepared = statement
      return {
        reader: prepared.columns().length > 0,
        all: (parameters) => prepared.all(...(parameters as never[])),
        run: (parameters) => prepared.run(...(parameters as never[])),
        iterate: (parameters) => prepared.iterate(...(parameters as never[])),
      }
    },
  }
}
