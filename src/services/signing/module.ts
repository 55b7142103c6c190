/**
 * Signing and validating documents: anyone validates an ASiC-E container; a logged-in holder
 * signs with a key that stays with them (Web eID in the browser), time-stamped by the state
 * TSA with the OCSP answer embedded.
 */
import { defineModule } from '../../platform/index.ts'
import { SIGNATURE_ERRORS } from '../../signature/index.ts'
import { SIGNING_ERRORS } from './errors.ts'
import { SIGNING_PAGES } from './pages.ts'
import { registerSigningRoutes, type SigningNeeds } from './routes.ts'

export const signingModule = defineModule<SigningNeeds>({
  name: 'signing',
  summary: 'Sign documents with e-ID and validate signed containers (ASiC-E, XAdES)',
  routes: (app, { platform }) => registerSigningRoutes(app, platform),
  errors: { ...SIGNATURE_ERRORS, ...SIGNING_ERRORS },
  pages: SIGNING_PAGES,
})
