import type { Migration } from 'kysely/migration'
import type { Engine } from './column-types.ts'
import { foundationMigration } from './0001-foundation.ts'
import { registriesMigration } from './0002-registries.ts'
import { registryIndexesMigration } from './0003-registry-indexes.ts'
import { postgresRolesMigration } from './0004-postgres-roles.ts'
import { registryChangesMigration } from './0005-registry-changes.ts'
import { businessKeysMigration } from './0007-business-keys.ts'
import { ledgerCheckpointsMigration } from './0008-ledger-checkpoints.ts'
import { ledgerTilesMigration } from './0010-ledger-tiles.ts'
import { trustMigration } from './0012-trust.ts'
import { identityMigration } from './0014-identity.ts'
import { oidcMigration } from './0016-oidc.ts'
import { passkeysMigration } from './0018-passkeys.ts'
import { exchangeMigration } from './0020-exchange.ts'
import { cloudMigration } from './0022-cloud.ts'
import { siteFenceMigration } from './0024-site-fence.ts'
import { idempotencyMigration } from './0025-idempotency.ts'

export type { Engine }
export { APP_ROLE, CREATE_ROLES_SQL, DOOR_ROLE } from './0004-postgres-roles.ts'

/** Before this migration a fresh store is bulk-loaded (tables without secondary indexes). */
export const BULK_LOAD_POINT = '0002-registries'
/** Built by the seeder as soon as every household is loaded, while companies are generated. */
export const HOUSEHOLD_INDEX_POINT = '0003-registry-indexes'

export function listMigrations(engine: Engine): Record<string, Migration> {
  return {
    '0001-foundation': foundationMigration(engine),
    '0002-registries': registriesMigration(engine),
    '0003-registry-indexes': registryIndexesMigration(engine),
    '0004-postgres-roles': postgresRolesMigration(engine),
    '0005-registry-changes': registryChangesMigration(engine),
    '0006-registry-change-privileges': postgresRolesMigration(engine),
    '0007-business-keys': businessKeysMigration(engine),
    '0008-ledger-checkpoints': ledgerCheckpointsMigration(engine),
    '0009-ledger-checkpoint-privileges': postgresRolesMigration(engine),
    '0010-ledger-tiles': ledgerTilesMigration(engine),
    '0011-ledger-tile-privileges': postgresRolesMigration(engine),
    '0012-trust': trustMigration(engine),
    '0013-trust-privileges': postgresRolesMigration(engine),
    '0014-identity': identityMigration(),
    '0015-identity-privileges': postgresRolesMigration(engine),
    '0016-oidc': oidcMigration(),
    '0017-oidc-privileges': postgresRolesMigration(engine),
    '0018-passkeys': passkeysMigration(engine),
    '0019-passkey-privileges': postgresRolesMigration(engine),
    '0020-exchange': exchangeMigration(engine),
    '0021-exchange-privileges': postgresRolesMigration(engine),
    '0022-cloud': cloudMigration(engine),
    '0023-cloud-privileges': postgresRolesMigration(engine),
    '0024-site-fence': siteFenceMigration(engine),
    '0025-idempotency': idempotencyMigration(engine),
    '0026-idempotency-privileges': postgresRolesMigration(engine),
  }
}
