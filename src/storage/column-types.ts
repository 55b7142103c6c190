/** Column types that differ between the engines, for every context's migrations. */
import type { ColumnDataType } from 'kysely'
import type { Engine } from '../platform/index.ts'

export function binary(engine: Engine): ColumnDataType {
  return engine === 'postgres' ? 'bytea' : 'blob'
}

/** An auto-generated 64-bit key: `integer primary key` is SQLite's rowid, bigserial on PostgreSQL. */
export function serialKey(engine: Engine): ColumnDataType {
  return engine === 'postgres' ? 'bigserial' : 'integer'
}

export function serialOptions<T extends { primaryKey(): T; autoIncrement(): T }>(
  engine: Engine,
  column: T,
): T {
  // SQLite: AUTOINCREMENT so an id is never reused after the newest row is deleted (outboxes).
  return engine === 'sqlite' ? column.primaryKey().autoIncrement() : column.primaryKey()
}
