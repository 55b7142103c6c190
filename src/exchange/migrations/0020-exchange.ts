import type { Kysely } from 'kysely'
import { binary, serialKey, serialOptions } from '../../storage/index.ts'
import type { Engine } from '../../platform/index.ts'

/**
 * The data-exchange layer (issue "The data-exchange layer"): the central registry's subsystems,
 * gateways, groups and signed global configurations; each member's signing key (an e-seal, its
 * key sealed at rest); each provider's services and access rights; and the message log, one
 * record per exchanged message on each side, bodies encrypted.
 */
export function exchangeMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('exchange_subsystems')
        .addColumn('subsystem_id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('body_logging', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('exchange_gateways')
        .addColumn('gateway_id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('tls_certificate', binary(engine))
        .addColumn('serves', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('exchange_groups')
        .addColumn('group_code', 'text', (c) => c.notNull())
        .addColumn('subsystem_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('exchange_groups_pk', ['group_code', 'subsystem_id'])
        .execute()
      await db.schema
        .createTable('exchange_member_keys')
        .addColumn('member_id', 'text', (c) => c.primaryKey())
        .addColumn('certificate', binary(engine), (c) => c.notNull())
        .addColumn('private_key', binary(engine), (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      // Signing certificates of members whose keys live elsewhere (a standalone gateway's).
      await db.schema
        .createTable('exchange_member_certificates')
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('certificate', binary(engine), (c) => c.notNull())
        .addColumn('added_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('exchange_global_conf')
        .addColumn('version', 'bigint', (c) => c.primaryKey())
        .addColumn('signed', 'text', (c) => c.notNull())
        .addColumn('generated_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('exchange_services')
        .addColumn('service_id', 'text', (c) => c.primaryKey())
        .addColumn('subsystem_id', 'text', (c) => c.notNull())
        .addColumn('service_code', 'text', (c) => c.notNull())
        .addColumn('backend', 'text', (c) => c.notNull())
        .addColumn('openapi', 'text')
        .addColumn('timeout_ms', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('exchange_access_rights')
        .addColumn('id', serialKey(engine), (c) => serialOptions(engine, c))
        .addColumn('service_id', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'text', (c) => c.notNull())
        .addColumn('granted_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('exchange_access_rights_unique', [
          'service_id',
          'client',
          'method',
          'path',
        ])
        .execute()
      await db.schema
        .createTable('exchange_message_log')
        .addColumn('id', serialKey(engine), (c) => serialOptions(engine, c))
        .addColumn('side', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('request_hash', 'text')
        .addColumn('request_signature', 'text')
        .addColumn('response_signature', 'text')
        .addColumn('request_signed', binary(engine))
        .addColumn('response_signed', binary(engine))
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('error_type', 'text')
        .addColumn('request_size', 'bigint', (c) => c.notNull())
        .addColumn('response_size', 'bigint', (c) => c.notNull())
        .addColumn('request_body', binary(engine))
        .addColumn('response_body', binary(engine))
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('commitment', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('exchange_message_log_message')
        .on('exchange_message_log')
        .column('message_id')
        .execute()
    },
  }
}
