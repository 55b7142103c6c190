export { openStore, engineOf, type Store, type StoreLocation } from './store.ts'
export { StorageError, STORAGE_ERRORS, type StorageErrorCode } from './errors.ts'
export { createDataKeyStore } from './data-key-store.ts'
export { PERSONAL_TABLES, type Schema } from './schema.ts'
export * as tables from './schema.ts'
export {
  BULK_LOAD_POINT,
  HOUSEHOLD_INDEX_POINT,
  APP_ROLE,
  CREATE_ROLES_SQL,
  DOOR_ROLE,
  type Engine,
} from './migrations/index.ts'
