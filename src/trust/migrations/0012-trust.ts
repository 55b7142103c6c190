import type { Kysely } from 'kysely'
import { binary } from '../../storage/index.ts'
import type { Engine } from '../../platform/index.ts'

/**
 * The state PKI (issue "Trust services and e-ID"): its authorities (root, issuing CAs, OCSP
 * responders, TSA) with their certificates and their private keys encrypted at rest, and every
 * certificate issued with its status (good, suspended, revoked) as OCSP and CRLs report it.
 */
export function trustMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('trust_authorities')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text')
        .addColumn('certificate', binary(engine), (c) => c.notNull())
        .addColumn('private_key', binary(engine), (c) => c.notNull())
        .addColumn('development', 'integer', (c) => c.notNull())
        .addColumn('crl_number', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('certificates')
        .addColumn('serial', 'text', (c) => c.primaryKey())
        .addColumn('authority', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('holder', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('key_algorithm', 'text', (c) => c.notNull())
        .addColumn('batch', 'text')
        .addColumn('not_before', 'text', (c) => c.notNull())
        .addColumn('not_after', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_changed_at', 'text')
        .addColumn('reason', 'integer')
        .addColumn('der', binary(engine), (c) => c.notNull())
        .addColumn('issued_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('certificates_holder')
        .on('certificates')
        .column('holder')
        .execute()
      await db.schema.createIndex('certificates_batch').on('certificates').column('batch').execute()
      await db.schema
        .createIndex('certificates_authority_status')
        .on('certificates')
        .columns(['authority', 'status'])
        .execute()
      await db.schema
        .createTable('letters')
        .addColumn('id', engine === 'postgres' ? 'bigserial' : 'integer', (c) =>
          engine === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('queued_at', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text')
        .execute()
    },
  }
}
