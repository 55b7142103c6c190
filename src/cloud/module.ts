/**
 * The two sites as a module: the site's generation and fence, the operator's recorded
 * decisions, and acts with idempotency keys. It serves no routes (the operator's commands are
 * `e-state site|drill|backup`); its errors are those commands' and the fence's.
 */
import { defineModule } from '../platform/index.ts'
import { CLOUD_ERRORS } from './errors.ts'
import { cloudMigration } from './migrations/0022-cloud.ts'
import { siteFenceMigration } from './migrations/0024-site-fence.ts'

export const cloudModule = defineModule<unknown>({
  name: 'cloud',
  summary: 'The government cloud at two sites: replication, fencing, failover, backups',
  migrations: [
    { name: '0022-cloud', migration: cloudMigration },
    { name: '0024-site-fence', migration: siteFenceMigration },
  ],
  tables: [
    { name: 'cloud_site', notPersonalBecause: "the site's role and generation" },
    { name: 'cloud_site_events', notPersonalBecause: "operators' recorded decisions" },
    { name: 'cloud_acts', notPersonalBecause: 'idempotency keys of acts, by hash' },
  ],
  ledgerKinds: [
    {
      kind: 'drill-act',
      description:
        "an act of the failover drill, on the drill's throwaway clusters (never a node's ledger)",
    },
  ],
  errors: CLOUD_ERRORS,
})
