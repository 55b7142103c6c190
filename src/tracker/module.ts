/**
 * The data tracker as a module: a person's own view of who read their data, when and why,
 * each read with its ledger receipt. It owns no tables: it reads the door's access records
 * through the registries and the ledger's receipts.
 */
import type { Ledger } from '../ledger/index.ts'
import { defineModule } from '../platform/index.ts'
import type { RegistryService } from '../registries/index.ts'
import type { Store } from '../storage/index.ts'
import { TRACKER_ERRORS } from './errors.ts'
import { registerTrackerRoutes, type TrackerNeeds } from './routes.ts'
import { TRACKER_PAGES } from './pages.ts'
import { createTracker, type Tracker } from './tracker.ts'

type Needs = Omit<TrackerNeeds, 'tracker'> & {
  readonly registries: RegistryService
  readonly store: Store
  readonly ledger: Ledger
}

export const trackerModule = defineModule<Needs, undefined, Tracker>({
  name: 'tracker',
  summary: 'The data tracker: who read my data, when and why, each read proved in the ledger',
  open: (platform) =>
    createTracker({
      registries: platform.registries,
      db: platform.store.db,
      tree: platform.ledger.tree,
    }),
  routes: (app, { platform, runtime }) =>
    registerTrackerRoutes(app, () => ({ ...platform(), tracker: runtime() })),
  errors: TRACKER_ERRORS,
  pages: TRACKER_PAGES,
})
