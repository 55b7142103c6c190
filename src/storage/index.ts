export { openStore, engineOf, type Store, type StoreLocation } from './store.ts'
export { StorageError, STORAGE_ERRORS, type StorageErrorCode } from './errors.ts'
export { createDataKeyStore } from './data-key-store.ts'
export type { DataKeyTable, Schema } from './schema.ts'
export {
  combineMigrations,
  type MigratingModule,
  type MigrationHistory,
} from './migration-history.ts'
export { APP_ROLE, CREATE_ROLES_SQL, DOOR_ROLE } from './role-grants.ts'
export { binary, serialKey, serialOptions } from './column-types.ts'
