import type { RegistryName } from '../country/profile.ts'
import { addressRegistry } from './addresses.ts'
import { businessRegistry } from './business.ts'
import { employmentRegistry } from './employment.ts'
import { healthInsuranceRegistry } from './health-insurance.ts'
import { populationRegistry } from './population.ts'
import type { RegistryDefinition } from './registry-definition.ts'
import { vehicleRegistry } from './vehicles.ts'

export type {
  RegistryDefinition,
  SearchCriteria,
  FieldKind,
  RegistryContext,
  WritableKind,
} from './registry-definition.ts'

export const REGISTRIES: Readonly<Record<RegistryName, RegistryDefinition>> = {
  addresses: addressRegistry as unknown as RegistryDefinition,
  population: populationRegistry as unknown as RegistryDefinition,
  business: businessRegistry as unknown as RegistryDefinition,
  vehicles: vehicleRegistry as unknown as RegistryDefinition,
  employment: employmentRegistry as unknown as RegistryDefinition,
  'health-insurance': healthInsuranceRegistry as unknown as RegistryDefinition,
}
