/**
 * Column order of every table the seeder writes, and which columns are confidential. The
 * generator emits plaintext; the sink encrypts confidential columns (envelope encryption, the
 * owning agency's data key, associated data naming the row) before anything reaches the store.
 */
export const SEED_TABLES = {
  counties: ['code', 'name'],
  municipalities: ['code', 'county_code', 'name', 'kind'],
  settlements: ['code', 'municipality_code', 'name', 'kind'],
  streets: ['code', 'settlement_code', 'name'],
  buildings: ['code', 'settlement_code', 'street_code', 'house_number', 'postal_code', 'dwellings'],
  agencies: [
    'registry_code',
    'member_id',
    'name',
    'short_name',
    'subsystem',
    'registries',
    'reads',
  ],
  persons: [
    'personal_code',
    'first_name',
    'last_name',
    'sex',
    'birth_date',
    'citizenship',
    'native_language',
    'status',
    'death_date',
    'residence_building',
    'residence_apartment',
    'contact_email',
    'contact_phone',
    'spouse_code',
    'mother_code',
    'father_code',
    'household_id',
  ],
  vital_events: ['kind', 'event_date', 'personal_code', 'other_code', 'municipality_code'],
  companies: [
    'registry_code',
    'name',
    'legal_form',
    'status',
    'founded_on',
    'building_code',
    'activity_code',
    'email',
  ],
  company_people: ['registry_code', 'personal_code', 'role', 'share_percent', 'since'],
  vehicles: [
    'plate',
    'vin',
    'make',
    'model',
    'category',
    'first_registered',
    'owner_code',
    'owner_kind',
    'user_code',
    'inspection_valid_until',
    'insurance_valid_until',
    'status',
  ],
  driving_licences: [
    'licence_number',
    'personal_code',
    'categories',
    'issued_on',
    'valid_until',
    'status',
  ],
  employments: ['personal_code', 'employer_code', 'position', 'started_on', 'ended_on'],
  incomes: ['personal_code', 'employer_code', 'year', 'months'],
  health_insurance: ['personal_code', 'coverage'],
  officials: ['personal_code', 'agency_code', 'role', 'since'],
} as const satisfies Record<string, readonly string[]>

export type SeedTable = keyof typeof SEED_TABLES

export interface ConfidentialColumn {
  readonly column: number
  /** Registry whose keeper's data key encrypts the column. */
  readonly registry: 'employment' | 'health-insurance'
  /** Binds the ciphertext to its row and column. */
  readonly associatedData: (row: readonly unknown[]) => string
}

export const CONFIDENTIAL_COLUMNS: Partial<Record<SeedTable, ConfidentialColumn>> = {
  incomes: {
    column: 3,
    registry: 'employment',
    associatedData: (row) => incomeContext(String(row[0]), String(row[1]), Number(row[2])),
  },
  health_insurance: {
    column: 1,
    registry: 'health-insurance',
    associatedData: (row) => coverageContext(String(row[0])),
  },
}

export function incomeContext(personalCode: string, employerCode: string, year: number): string {
  return `incomes.months|${personalCode}|${employerCode}|${year}`
}

export function coverageContext(personalCode: string): string {
  return `health_insurance.coverage|${personalCode}`
}
