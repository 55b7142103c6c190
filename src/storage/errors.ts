import { EStateError } from '../shared/index.ts'

export type StorageErrorCode = 'STORAGE_UNAVAILABLE' | 'STORAGE_MIGRATION_FAILED'

export class StorageError extends EStateError {
  declare readonly code: StorageErrorCode

  constructor(code: StorageErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, {}, options)
  }
}
