/**
 * Bulk loading for the seeder, one writer per engine. SQLite: multi-row prepared statements on
 * the raw `node:sqlite` handle (Kysely's per-query machinery would cost more than the insert).
 * PostgreSQL: multi-row parameterised INSERTs inside the seeding transaction.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { CompiledQuery, type Kysely } from 'kysely'
import type { Schema } from '../../storage/index.ts'
import { SEED_TABLES, type SeedTable } from './tables.ts'

export interface BulkWriter {
  write(table: SeedTable, rows: readonly unknown[][]): Promise<void> | void
}

const SQLITE_ROWS_PER_STATEMENT = 64

export function createSqliteBulkWriter(database: DatabaseSync): BulkWriter {
  const statements = new Map<string, StatementSync>()
  const statementFor = (table: SeedTable, rows: number): StatementSync => {
    const key = `${table}/${rows}`
    let statement = statements.get(key)
    if (statement === undefined) {
      statement = database.prepare(insertSql(table, rows, () => '?'))
      statements.set(key, statement)
    }
    return statement
  }
  return {
    write(table, rows) {
      const width = SEED_TABLES[table].length
      let index = 0
      const many = statementFor(table, SQLITE_ROWS_PER_STATEMENT)
      const parameters: unknown[] = new Array(width * SQLITE_ROWS_PER_STATEMENT)
      for (; index + SQLITE_ROWS_PER_STATEMENT <= rows.length; index += SQLITE_ROWS_PER_STATEMENT) {
        let position = 0
        for (let offset = 0; offset < SQLITE_ROWS_PER_STATEMENT; offset++) {
          const row = rows[index + offset]
          for (let column = 0; column < width; column++) parameters[position++] = row[column]
        }
        many.run(...(parameters as never[]))
      }
      const single = statementFor(table, 1)
      for (; index < rows.length; index++) single.run(...(rows[index] as never[]))
    },
  }
}

export function createPostgresBulkWriter(db: Kysely<Schema>): BulkWriter {
  return {
    async write(table, rows) {
      const width = SEED_TABLES[table].length
      // PostgreSQL allows 65,535 parameters a statement.
      const perStatement = Math.floor(60_000 / width)
      for (let start = 0; start < rows.length; start += perStatement) {
        const chunk = rows.slice(start, start + perStatement)
        let parameter = 0
        const text = insertSql(table, chunk.length, () => `$${++parameter}`)
        await db.executeQuery(CompiledQuery.raw(text, chunk.flat()))
      }
    },
  }
}

function insertSql(table: SeedTable, rows: number, placeholder: () => string): string {
  const columns = SEED_TABLES[table]
  const groups: string[] = []
  for (let row = 0; row < rows; row++) {
    groups.push(`(${columns.map(placeholder).join(',')})`)
  }
  return `INSERT INTO ${table} (${columns.join(',')}) VALUES ${groups.join(',')}`
}
