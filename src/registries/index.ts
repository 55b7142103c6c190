export {
  createAccessGate,
  commitAccessRecord,
  type AccessGate,
  type AccessGateMetrics,
  type Actor,
  type Purpose,
  type PersonalRead,
} from './access-gate.ts'
export {
  createRegistryService,
  personalCodeOf,
  MAX_PAGE_SIZE,
  type RegistryService,
  type Caller,
  type ListQuery,
  type PersonalDataUsage,
  type UsagePage,
  MANDATE_REGISTRIES,
  type Mandates,
} from './registry-service.ts'
export { RegistryError, type RegistryErrorCode } from './errors.ts'
export { REGISTRIES, type RegistryDefinition } from './records/index.ts'
export {
  DEFAULT_PROFILE,
  REGISTRY_NAMES,
  memberIdOf,
  type CountryProfile,
  type RegistryName,
  type AgencyProfile,
} from './country/profile.ts'
export {
  seedCountry,
  hasCountry,
  removeAbandonedSeed,
  type SeedReport,
  type SeedOptions,
} from './country/seed.ts'
export { PersonRecordSchema } from './records/population.ts'
export { auditRecords, type RecordAuditReport } from './record-audit.ts'
export { REGISTRY_ERRORS } from './errors.ts'
export type { RegistriesNeeds } from './routes.ts'
export { registriesModule } from './module.ts'
