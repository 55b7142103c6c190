/**
 * Signing and validating documents: anyone validates an ASiC-E container; a logged-in holder
 * signs with a key that stays with them (Web eID in the browser), time-stamped by the state
 * TSA with the OCSP answer embedded.
 */
import { defineModule } from '../../platform/index.ts'
import { SIGNATURE_ERRORS } from '../../signature/index.ts'
import { SIGNING_ERRORS } from './errors.ts'
import { SIGNING_PAGES } from './pages.ts'
import { signingPreparedMigration } from './migrations/0026-signing-prepared.ts'
import { prunePeriodically, SIGNING_AGENCY } from './prepared-store.ts'
import type { SigningNeeds } from './routes.ts'
import './schema.ts'
import { SIGNING_WALKTHROUGH } from './walkthrough.ts'

export const signingModule = defineModule<
  SigningNeeds & { readonly readOnly: boolean },
  undefined,
  { stop(): void }
>({
  name: 'signing',
  summary: 'Sign documents with e-ID and validate signed containers (ASiC-E, XAdES)',
  // Expired prepared signatures deleted every minute (a primary's node only).
  open: (platform) => prunePeriodically(platform),
  close: (pruning) => pruning.stop(),
  routes: async (app, { platform }) =>
    (await import('./routes.ts')).registerSigningRoutes(app, platform),
  migrations: [{ name: '0026-signing-prepared', migration: signingPreparedMigration }],
  tables: [
    {
      name: 'signing_prepared',
      encrypted: ['sealed'],
      notPersonalBecause:
        "the signer's own signature in progress: read back once, by their session, within five minutes",
    },
  ],
  dataKeys: [SIGNING_AGENCY],
  errors: { ...SIGNATURE_ERRORS, ...SIGNING_ERRORS },
  pages: SIGNING_PAGES,
  walkthroughs: [SIGNING_WALKTHROUGH],
})
