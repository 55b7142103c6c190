import type { ErrorCatalogue } from '../platform/index.ts'
import { EStateError } from '../shared/index.ts'

export type StorageErrorCode = 'STORAGE_UNAVAILABLE' | 'STORAGE_MIGRATION_FAILED'

export class StorageError extends EStateError {
  declare readonly code: StorageErrorCode

  constructor(code: StorageErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, {}, options)
  }
}

export const STORAGE_ERRORS = {
  STORAGE_UNAVAILABLE: 503,
  STORAGE_MIGRATION_FAILED: 500,
} as const satisfies ErrorCatalogue<StorageErrorCode>
