/**
 * The base registries' tables, as Kysely types: places, people, companies, vehicles, work and
 * income, health insurance, and the door's records of reads and changes. Those the module
 * declares personal (`module.ts`) are read only through the access gate; on PostgreSQL the
 * application role has no privilege on them.
 *
 * Declaration merging adds them to storage's `Schema`, the whole database's type, which storage
 * cannot import from the contexts above it.
 */
import type { Generated } from 'kysely'

export interface CountryTable {
  id: number
  name: string
  instance: string
  profile: string
  seed: string
  population: number
  status: 'seeding' | 'complete'
  snapshot_hash: string | null
  started_at: string
  completed_at: string | null
}

export interface OfficialTable {
  personal_code: string
  agency_code: string
  role: string
  since: string
}

export interface CountyTable {
  code: string
  name: string
}

export interface MunicipalityTable {
  code: string
  county_code: string
  name: string
  kind: 'city' | 'rural'
}

export interface SettlementTable {
  code: string
  municipality_code: string
  name: string
  kind: 'city' | 'town' | 'small town' | 'village'
}

export interface StreetTable {
  code: string
  settlement_code: string
  name: string
}

export interface BuildingTable {
  code: string
  settlement_code: string
  street_code: string | null
  house_number: string
  postal_code: string
  dwellings: number
}

export interface PersonTable {
  personal_code: string
  first_name: string
  last_name: string
  sex: 'male' | 'female'
  birth_date: string
  citizenship: string
  native_language: string
  status: 'alive' | 'deceased'
  death_date: string | null
  residence_building: string | null
  residence_apartment: number | null
  contact_email: string | null
  contact_phone: string | null
  spouse_code: string | null
  mother_code: string | null
  father_code: string | null
  household_id: number
}

export interface VitalEventTable {
  id: Generated<number>
  kind: 'birth' | 'marriage' | 'divorce' | 'death'
  event_date: string
  personal_code: string
  other_code: string | null
  municipality_code: string | null
}

export interface CompanyTable {
  registry_code: string
  name: string
  legal_form: string
  status: 'registered' | 'in liquidation' | 'deleted'
  founded_on: string
  building_code: string | null
  activity_code: string
  email: string | null
}

export interface CompanyPersonTable {
  registry_code: string
  personal_code: string
  role: 'founder' | 'board member' | 'shareholder'
  share_percent: number | null
  since: string
}

export interface VehicleTable {
  plate: string
  vin: string
  make: string
  model: string
  category: string
  first_registered: string
  owner_code: string
  owner_kind: 'person' | 'company'
  user_code: string | null
  inspection_valid_until: string | null
  insurance_valid_until: string | null
  status: 'registered' | 'deregistered'
}

export interface DrivingLicenceTable {
  licence_number: string
  personal_code: string
  categories: string
  issued_on: string
  valid_until: string
  status: 'valid' | 'expired' | 'revoked'
}

export interface EmploymentTable {
  id: Generated<number>
  personal_code: string
  employer_code: string
  position: string
  started_on: string
  ended_on: string | null
}

export interface IncomeTable {
  personal_code: string
  employer_code: string
  year: number
  /** Envelope-encrypted JSON: twelve `{ gross, incomeTax }` in cents, `null` for no pay. */
  months: Uint8Array
}

export interface HealthInsuranceTable {
  personal_code: string
  /** Envelope-encrypted JSON: `{ insured, basis, validFrom, validUntil }`. */
  coverage: Uint8Array
}

export interface AccessRecordTable {
  id: Generated<number>
  recorded_at: string
  subject_code: string
  actor_code: string
  actor_name: string
  client_id: string
  agency_code: string
  registry: string
  data: string
  purpose: string
  covert_until: string | null
  salt: Uint8Array
}

export interface RegistryChangeTable {
  id: Generated<number>
  recorded_at: string
  registry: string
  record_id: string
  agency_code: string
  actor_code: string
  client_id: string
  purpose: string
  /** JSON of the fields as they were set. */
  change: string
  salt: Uint8Array
}

export interface RegistriesTables {
  country: CountryTable
  officials: OfficialTable
  counties: CountyTable
  municipalities: MunicipalityTable
  settlements: SettlementTable
  streets: StreetTable
  buildings: BuildingTable
  persons: PersonTable
  vital_events: VitalEventTable
  companies: CompanyTable
  company_people: CompanyPersonTable
  vehicles: VehicleTable
  driving_licences: DrivingLicenceTable
  employments: EmploymentTable
  incomes: IncomeTable
  health_insurance: HealthInsuranceTable
  access_records: AccessRecordTable
  registry_changes: RegistryChangeTable
}

declare module '../storage/index.ts' {
  // Declaration merging: the whole database's `Schema` gains these tables.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Schema extends RegistriesTables {}
}
