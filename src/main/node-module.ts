/**
 * The node's own part: the HTTP edge's errors, the data keys of the envelope and the
 * idempotency keys of HTTP acts. Its routes (health, metrics, the API docs) are registered by
 * `app.ts` itself, since they answer before any module is open.
 */
import { CRYPTO_ERRORS } from '../crypto/index.ts'
import { defineModule, PLATFORM_ERRORS } from '../platform/index.ts'
import { STORAGE_ERRORS } from '../storage/index.ts'
import { idempotencyMigration } from './migrations/0025-idempotency.ts'

export const nodeModule = defineModule<unknown>({
  name: 'node',
  summary: "The node's HTTP edge, its data keys and its idempotent requests",
  // Data keys came with 0001-foundation (the registries').
  migrations: [{ name: '0025-idempotency', migration: idempotencyMigration }],
  tables: [
    { name: 'data_keys', notPersonalBecause: "agencies' data keys, wrapped by the master key" },
    {
      name: 'idempotent_requests',
      encrypted: [],
      notPersonalBecause: 'answers to retried acts, kept for a day, by the hash of who asked',
    },
  ],
  errors: { ...PLATFORM_ERRORS, ...STORAGE_ERRORS, ...CRYPTO_ERRORS },
})
