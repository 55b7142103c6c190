/**
 * The composition root's one list: every module of the state, in the order their routes are
 * registered. Adding a service is adding it here; `app.ts` and `platform.ts` iterate the list.
 * `satisfies` makes `tsc` check that the platform offers each module what it asks for.
 */
import { exchangeModule } from '../exchange/index.ts'
import { identityModule } from '../identity/index.ts'
import { ledgerModule } from '../ledger/index.ts'
import {
  combineCatalogues,
  type ClerkActDeclaration,
  type HttpStatus,
  type Module,
} from '../platform/index.ts'
import { registriesModule } from '../registries/index.ts'
import { eidDeskModule } from '../services/eid-desk/index.ts'
import { createDeskModule } from '../services/desk/index.ts'
import { myDataModule } from '../services/my-data/index.ts'
import { signingModule } from '../services/signing/index.ts'
import { trackerModule } from '../tracker/index.ts'
import { trustModule } from '../trust/index.ts'
import { cloudModule } from '../cloud/index.ts'
import { combineMigrations, type MigrationHistory } from '../storage/index.ts'
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
  myDataModule,
  // The clerk's front page lists every module's desk acts (read when it is shown).
  createDeskModule(clerkActs),
] as const satisfies readonly Module<Platform>[]

/** Every module's acts a clerk may do for a resident present in person. */
function clerkActs(): readonly ClerkActDeclaration[] {
  const modules: readonly Module<Platform>[] = MODULES
  return modules.flatMap((module) => module.clerkActs)
}

/** Every code any module answers with, and its status (one code, one status). */
export const ERROR_CATALOGUE: ReadonlyMap<string, HttpStatus> = combineCatalogues(
  MODULES.map((module) => ({ owner: module.name, errors: module.errors })),
)

/** The one migration history of the database: every module's migrations, in order. */
export const MIGRATIONS: MigrationHistory = combineMigrations(MODULES)

/** The envelope's data keys every module's sealed columns use (each made on first start). */
export const DATA_KEYS: readonly string[] = [
  ...new Set((MODULES as readonly Module<Platform>[]).flatMap((module) => module.dataKeys)),
]
