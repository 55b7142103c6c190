import type { Kysely } from 'kysely'
import type { DataKeyStore, WrappedDataKey } from '../crypto/index.ts'
import type { Schema } from './schema.ts'

/** Wrapped data keys in the database; the master key that opens them never is. */
export function createDataKeyStore(db: Kysely<Schema>, now: () => Date): DataKeyStore {
  return {
    async listDataKeys() {
      const rows = await db.selectFrom('data_keys').selectAll().orderBy('id').execute()
      return rows.map((row): WrappedDataKey => ({
        id: Number(row.id),
        agency: row.agency,
        version: row.version,
        masterKeyId: row.master_key_id,
        wrapped: row.wrapped,
      }))
    },
    async insertDataKey(key) {
      const row = await db
        .insertInto('data_keys')
        .values({
          agency: key.agency,
          version: key.version,
          master_key_id: key.masterKeyId,
          wrapped: key.wrapped,
          created_at: now().toISOString(),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      return { ...key, id: Number(row.id) }
    },
    async replaceWrapping(updates) {
      // One transaction: every data key moves to the new master key, or none does.
      await db.transaction().execute(async (trx) => {
        for (const update of updates) {
          await trx
            .updateTable('data_keys')
            .set({ master_key_id: update.masterKeyId, wrapped: update.wrapped })
            .where('id', '=', update.id)
            .execute()
        }
      })
    },
  }
}
