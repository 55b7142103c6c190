/**
 * The registries' migrations. `0001-foundation` is where every store starts: beside the
 * registries' country and officials it made the first tables of the node (data keys), the
 * exchange (agencies, member credentials) and the ledger (outbox, entries). It stays one
 * migration, since stores recorded its name; each table's owner declares it in its module.
 */
import type { ModuleMigration } from '../../platform/index.ts'
import { combineMigrations, type MigrationHistory } from '../../storage/index.ts'
import { foundationMigration } from './0001-foundation.ts'
import { registriesMigration } from './0002-registries.ts'
import { registryIndexesMigration } from './0003-registry-indexes.ts'
import { registryChangesMigration } from './0005-registry-changes.ts'
import { businessKeysMigration } from './0007-business-keys.ts'

export const REGISTRIES_MIGRATIONS: readonly ModuleMigration[] = [
  { name: '0001-foundation', migration: foundationMigration },
  { name: '0002-registries', migration: registriesMigration },
  { name: '0003-registry-indexes', migration: registryIndexesMigration },
  { name: '0005-registry-changes', migration: registryChangesMigration },
  { name: '0007-business-keys', migration: businessKeysMigration },
]

/** Before this migration a fresh store is bulk-loaded (tables without secondary indexes). */
export const BULK_LOAD_POINT = '0002-registries'
/** Built by the seeder as soon as every household is loaded, while companies are generated. */
export const HOUSEHOLD_INDEX_POINT = '0003-registry-indexes'

/**
 * What the seeder's worker threads migrate their fresh SQLite side files with: they go no
 * further than `HOUSEHOLD_INDEX_POINT`, which the registries' own migrations reach, and cannot
 * be handed the whole history (it does not cross to a thread). The country is migrated to the
 * end with the whole history, by the seeder's caller's (`SeedOptions.migrations`).
 */
export const SIDE_FILE_HISTORY: MigrationHistory = combineMigrations([
  {
    name: 'registries',
    migrations: REGISTRIES_MIGRATIONS.filter((entry) => entry.name <= HOUSEHOLD_INDEX_POINT),
    tables: [],
  },
])
