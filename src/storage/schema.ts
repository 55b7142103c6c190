/**
 * The one SQL schema, as Kysely types. Dates are ISO text (`YYYY-MM-DD`), instants ISO text in
 * UTC, booleans integers 0/1, binary `Uint8Array` (BLOB on SQLite, bytea on PostgreSQL): the same
 * values on both engines.
 *
 * `Schema` is the whole database. Storage declares only its own table here; each context that
 * owns tables declares their types in its `schema.ts` and adds them to `Schema` by declaration
 * merging (`declare module '../storage/index.ts' { interface Schema extends LedgerTables {} }`),
 * as Fastify's plugins add decorators: storage, below every context, never imports one. Which
 * tables hold personal data is in the modules' `tables` (`personal: true`).
 */
import type { Generated } from 'kysely'

/** An agency's data key, wrapped by the master key (`data-key-store.ts`). */
export interface DataKeyTable {
  id: Generated<number>
  agency: string
  version: number
  master_key_id: string
  wrapped: Uint8Array
  created_at: string
}

export interface Schema {
  data_keys: DataKeyTable
}
