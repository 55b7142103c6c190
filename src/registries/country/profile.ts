/**
 * A country profile: what `e-state seed` builds. Another country, region or city copies this
 * shape with its own names, agencies and proportions; nothing else in the code names a country.
 */
import { formatRegistryCode } from '../../shared/index.ts'

export const REGISTRY_NAMES = [
  'addresses',
  'population',
  'business',
  'vehicles',
  'employment',
  'health-insurance',
] as const

export type RegistryName = (typeof REGISTRY_NAMES)[number]

export type Grant = RegistryName | 'self-service'

export interface AgencyProfile {
  readonly registryCode: string
  readonly name: string
  readonly shortName: string
  /** The member's subsystem on the exchange layer. */
  readonly subsystem: string
  /** Base registries this agency keeps (and answers for). */
  readonly registries: readonly RegistryName[]
  /** Roles its officials act in. */
  readonly roles: readonly string[]
  /**
   * Registries kept by other agencies that this one may read (deny by default), and
   * `self-service` for a system where residents act for themselves (the state portal): only
   * there may a person who is not an official read their own records and data tracker.
   */
  readonly reads: readonly Grant[]
}

export interface DemoPerson {
  readonly personalCode: string
  readonly firstName: string
  readonly lastName: string
  readonly nativeLanguage: string
}

export interface CountryProfile {
  readonly name: string
  /** Exchange instance code, also the prefix of OpenID `sub` values. */
  readonly instance: string
  readonly languages: readonly string[]
  readonly currency: string
  readonly citizenship: string
  readonly counties: readonly string[]
  /** The capital and the second city, with their share of the population. */
  readonly cities: ReadonlyArray<{
    readonly name: string
    readonly county: number
    readonly share: number
  }>
  readonly nativeLanguageShares: Readonly<Record<string, number>>
  readonly agencies: readonly AgencyProfile[]
  readonly demoPersons: readonly DemoPerson[]
  /** The reference date of the seeded snapshot (the country is generated "as of" this day). */
  readonly referenceDate: string
}

export const DEFAULT_PROFILE: CountryProfile = {
  name: 'Republic of Estonia (synthetic)',
  instance: 'EE',
  languages: ['et', 'en', 'ru'],
  currency: 'EUR',
  citizenship: 'EST',
  counties: [
    'Harju',
    'Hiiu',
    'Ida-Viru',
    'Jõgeva',
    'Järva',
    'Lääne',
    'Lääne-Viru',
    'Põlva',
    'Pärnu',
    'Rapla',
    'Saare',
    'Tartu',
    'Valga',
    'Viljandi',
    'Võru',
  ],
  cities: [
    { name: 'Tallinn', county: 0, share: 0.33 },
    { name: 'Tartu', county: 11, share: 0.07 },
    { name: 'Narva', county: 2, share: 0.04 },
    { name: 'Pärnu', county: 8, share: 0.04 },
  ],
  nativeLanguageShares: { et: 0.7, ru: 0.3 },
  agencies: [
    agency(
      '7000001',
      'Ministry of the Interior',
      'SIM',
      'population-register',
      ['population'],
      ['registrar', 'clerk'],
      ['addresses'],
    ),
    agency('7000002', 'Land Board', 'MA', 'address-register', ['addresses'], ['registrar'], []),
    agency(
      '7000003',
      'Centre of Registers and Information Systems',
      'RIK',
      'business-register',
      ['business'],
      ['registrar', 'notary'],
      ['population', 'addresses'],
    ),
    agency(
      '7000004',
      'Transport Administration',
      'TRAM',
      'vehicle-register',
      ['vehicles'],
      ['registrar', 'clerk'],
      ['population', 'addresses', 'business'],
    ),
    agency(
      '7000005',
      'Tax and Customs Board',
      'EMTA',
      'employment-register',
      ['employment'],
      ['tax officer', 'clerk'],
      ['population', 'addresses', 'business', 'vehicles'],
    ),
    agency(
      '7000006',
      'Health Insurance Fund',
      'TK',
      'insurance-register',
      ['health-insurance'],
      ['clerk'],
      ['population', 'addresses', 'employment'],
    ),
    agency(
      '7000007',
      'Police and Border Guard Board',
      'PPA',
      'police',
      [],
      ['police officer', 'clerk'],
      ['population', 'addresses', 'business', 'vehicles'],
    ),
    agency(
      '7000008',
      'Social Insurance Board',
      'SKA',
      'benefits',
      [],
      ['clerk'],
      ['population', 'addresses', 'employment', 'health-insurance'],
    ),
    agency(
      '7000009',
      'Information System Authority',
      'RIA',
      'state-portal',
      [],
      ['clerk', 'data protection officer'],
      [
        'self-service',
        'population',
        'addresses',
        'business',
        'vehicles',
        'employment',
        'health-insurance',
      ],
    ),
  ],
  demoPersons: [
    // The holder of the public Estonian test ID card (Web eID's test vectors), so that card's
    // token names a resident of the synthetic country.
    {
      personalCode: '38001085718',
      firstName: 'Jaak-Kristjan',
      lastName: 'Jõeorg',
      nativeLanguage: 'et',
    },
    { personalCode: '48707032744', firstName: 'Mari', lastName: 'Maasikas', nativeLanguage: 'et' },
    { personalCode: '39001010000', firstName: 'Ivan', lastName: 'Ivanov', nativeLanguage: 'ru' },
  ],
  referenceDate: '2026-11-01',
}

function agency(
  body: string,
  name: string,
  shortName: string,
  subsystem: string,
  registries: RegistryName[],
  roles: string[],
  reads: Grant[],
): AgencyProfile {
  return {
    registryCode: formatRegistryCode(body),
    name,
    shortName,
    subsystem,
    registries,
    roles,
    reads,
  }
}

export function memberIdOf(profile: CountryProfile, agencyProfile: AgencyProfile): string {
  return `${profile.instance}/GOV/${agencyProfile.registryCode}`
}
