/**
 * The trust services as a module: CA certificates, CRLs, OCSP and time-stamps over HTTP, the
 * PKI's tables and errors. Certificate status changes are recorded in the ledger.
 */
import { defineModule } from '../platform/index.ts'
import { TRUST_ERRORS } from './errors.ts'
import { trustMigration } from './migrations/0012-trust.ts'
import type { TrustNeeds } from './routes.ts'

export const trustModule = defineModule<TrustNeeds>({
  name: 'trust',
  summary: 'The state PKI: certificate authorities, OCSP responder, time-stamping authority',
  // The routes load when the node registers them: a command or a worker thread that imports
  // this context does not load its HTTP side.
  routes: async (app, { platform }) =>
    (await import('./routes.ts')).registerTrustRoutes(app, platform),
  migrations: [{ name: '0012-trust', migration: trustMigration }],
  tables: [
    { name: 'trust_authorities', encrypted: ['private_key'], notPersonalBecause: 'CA keys' },
    {
      name: 'certificates',
      notPersonalBecause:
        'public certificates as published to OCSP; a holder sees their own through the e-ID module',
    },
    { name: 'letters', notPersonalBecause: 'notices queued for the holder of a certificate' },
  ],
  // TRUST_AGENCY (pki.ts): the CA keys; the exchange's member keys are sealed under it too.
  dataKeys: ['trust'],
  errors: TRUST_ERRORS,
  ledgerKinds: [
    {
      kind: 'certificate-status',
      description: 'a certificate suspended, resumed or revoked: authority, serial, status, reason',
    },
  ],
})
