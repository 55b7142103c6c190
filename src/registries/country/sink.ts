import type { SeedTable } from './tables.ts'

/** Where the generator puts rows; plaintext in, in the column order of `SEED_TABLES`. */
export interface RowSink {
  add(table: SeedTable, row: unknown[]): void
}
