import type { Kysely } from 'kysely'
import { binary } from '../../storage/index.ts'
import type { Engine } from '../../platform/index.ts'

/** Passkeys (WebAuthn credentials) a resident registered after an e-ID login. */
export function passkeysMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('passkeys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('personal_code', 'text', (c) => c.notNull())
        .addColumn('given_name', 'text', (c) => c.notNull())
        .addColumn('surname', 'text', (c) => c.notNull())
        .addColumn('public_key', binary(engine), (c) => c.notNull())
        .addColumn('counter', 'bigint', (c) => c.notNull())
        .addColumn('transports', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .execute()
      await db.schema
        .createIndex('passkeys_person')
        .on('passkeys')
        .column('personal_code')
        .execute()
    },
  }
}
