/**
 * The base registries as a module: the GovStack Digital Registries Data API for every register
 * (served to the provider gateway only: clients call it through the exchange), the registers'
 * tables — which hold personal data, which columns are sealed — and the door's errors and
 * ledger kinds. Each register is an exchange service of the agency that keeps it, provided in
 * this process.
 */
import { defineModule } from '../platform/index.ts'
import { REGISTRY_ERRORS } from './errors.ts'
import { REGISTRIES_MIGRATIONS } from './migrations/index.ts'
import { REGISTRIES } from './records/index.ts'
import type { RegistriesNeeds } from './routes.ts'

export const registriesModule = defineModule<RegistriesNeeds>({
  name: 'registries',
  summary: 'The base registries behind the personal-data door, served as GovStack Data API',
  // The routes load when the node registers them: a command or a worker thread that imports
  // this context does not load its HTTP side.
  routes: async (app, { platform }) =>
    (await import('./routes.ts')).registerRegistriesRoutes(app, platform),
  migrations: REGISTRIES_MIGRATIONS,
  tables: [
    { name: 'country', notPersonalBecause: 'the seeded country itself' },
    { name: 'officials', notPersonalBecause: 'the roles agencies give their officials' },
    { name: 'counties', notPersonalBecause: 'places' },
    { name: 'municipalities', notPersonalBecause: 'places' },
    { name: 'settlements', notPersonalBecause: 'places' },
    { name: 'streets', notPersonalBecause: 'places' },
    { name: 'buildings', notPersonalBecause: 'places' },
    { name: 'companies', notPersonalBecause: 'public register of legal persons' },
    { name: 'persons', personal: true },
    { name: 'vital_events', personal: true },
    { name: 'company_people', personal: true },
    { name: 'vehicles', personal: true },
    { name: 'driving_licences', personal: true },
    { name: 'employments', personal: true },
    { name: 'incomes', personal: true, encrypted: ['months'] },
    { name: 'health_insurance', personal: true, encrypted: ['coverage'] },
    { name: 'access_records', personal: true },
    { name: 'registry_changes', personal: true },
  ],
  errors: REGISTRY_ERRORS,
  ledgerKinds: [
    { kind: 'genesis', description: 'the seeded country: a hash of every seeded table' },
    { kind: 'access', description: 'a read of personal data through the door, by its commitment' },
    { kind: 'registry-change', description: 'a change of a register record, by its commitment' },
  ],
  exchange: {
    provides: Object.values(REGISTRIES).map((definition) => ({
      service: definition.name,
      description: `${definition.title} (GovStack Digital Registries Data API)`,
      inProcess: {
        backend: `internal:registries/${definition.name}`,
        prefix: `/data/${definition.name}`,
      },
    })),
  },
})
