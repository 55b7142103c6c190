import type { ColumnDataType } from 'kysely'

export type Engine = 'sqlite' | 'postgres'

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
