/**
 * The composition root's one list: every module of the state, in the order their routes are
 * registered. Adding a service is adding it here; `app.ts` and `platform.ts` iterate the list.
 * `satisfies` makes `tsc` check that the platform offers each module what it asks for.
 */
import { exchangeModule } from '../exchange/index.ts'
import { identityModule } from '../identity/index.ts'
import { ledgerModule } from '../ledger/index.ts'
import { combineCatalogues, type HttpStatus, type Module } from '../platform/index.ts'
import { registriesModule } from '../registries/index.ts'
import { eidDeskModule } from '../services/eid-desk/index.ts'
import { signingModule } from '../services/signing/index.ts'
import { trackerModule } from '../tracker/index.ts'
import { trustModule } from '../trust/index.ts'
import { cloudModule } from '../cloud/index.ts'
import { nodeModule } from './node-module.ts'
import type { Platform } from './platform.ts'

export const MODULES = [
  nodeModule,
  cloudModule,
  ledgerModule,
  trustModule,
  identityModule,
  registriesModule,
  exchangeModule,
  trackerModule,
  eidDeskModule,
  signingModule,
] as const satisfies readonly Module<Platform>[]

/** Every code any module answers with, and its status (one code, one status). */
export const ERROR_CATALOGUE: ReadonlyMap<string, HttpStatus> = combineCatalogues(
  MODULES.map((module) => ({ owner: module.name, errors: module.errors })),
)
