/**
 * The business register and the labour market: companies with sizes drawn from a heavy-tailed
 * distribution (most have no staff, a few employ thousands), agencies as public employers,
 * employment contracts, monthly pay with withheld income tax, and health-insurance cover.
 */
import { formatRegistryCode, type Random } from '../../shared/index.ts'
import { dayOfYearStart, isoDay } from './calendar.ts'
import { COMPANY_WORDS } from './names.ts'
import type { AgencyProfile } from './profile.ts'
import type { Geography } from './geography.ts'
import { cumulate, pickIndex } from './geography.ts'
import type { RowSink } from './sink.ts'

const LEGAL_FORMS: ReadonlyArray<readonly [string, string, number]> = [
  ['OÜ', '1', 0.86],
  ['AS', '1', 0.03],
  ['MTÜ', '8', 0.08],
  ['SA', '9', 0.03],
]
const ACTIVITY_CODES = [
  '62011',
  '41201',
  '47111',
  '49411',
  '56101',
  '68201',
  '70221',
  '43211',
  '46901',
  '01111',
  '16101',
  '25111',
  '86211',
  '85591',
  '69201',
  '73111',
  '77111',
  '96021',
  '10711',
  '55101',
]
const POSITIONS = [
  'specialist',
  'manager',
  'sales representative',
  'driver',
  'engineer',
  'accountant',
  'teacher',
  'nurse',
  'software developer',
  'builder',
  'cook',
  'cleaner',
  'warehouse worker',
  'consultant',
]
// 2025 and 2026 rules, simplified: unemployment insurance 1.6 %, funded pension 2 %, a monthly
// basic exemption of 654 EUR, income tax 22 %. Amounts are in cents.
const EXEMPTION_CENTS = 65_400

export interface Employment {
  readonly employerCode: string
  readonly grossCents: number
}

export interface Economy {
  readonly companyCodes: readonly string[]
  /** Decides whether an adult of this age works; writes the contract and the pay if so. */
  employ(personalCode: string, age: number): Employment | null
  /**
   * Writes the companies — seated at buildings that exist by then (most small companies are
   * registered at a founder's home) — with board members, founders and shareholders drawn from
   * working-age adults, `chunk` companies per call; returns false when all are written.
   */
  registerCompanies(adults: readonly number[], chunk: number): boolean
  /** Writes health-insurance cover (encrypted by the sink). */
  insure(personalCode: string, age: number, employment: Employment | null): void
}

export function createEconomy(options: {
  population: number
  referenceDate: string
  agencies: readonly AgencyProfile[]
  geography: Geography
  random: Random
  sink: RowSink
}): Economy {
  const { random, sink, referenceDate } = options
  const referenceYear = Number(referenceDate.slice(0, 4))
  const referenceMonth = Number(referenceDate.slice(5, 7))
  const companies: Array<{ code: string; row: unknown[]; founded: string }> = []
  let registered = 0
  const employerCodes: string[] = []
  const employerWeights: number[] = []
  const names = new Map<string, number>()
  const sequenceByDigit = new Map<string, number>()

  const companyCount = Math.max(20, Math.round(options.population * 0.1))
  for (let index = 0; index < companyCount; index++) {
    const [form, digit] = pickLegalForm(random)
    const sequence = (sequenceByDigit.get(digit) ?? 0) + 1
    sequenceByDigit.set(digit, sequence)
    const code = formatRegistryCode(digit + String(sequence).padStart(6, '0'))
    const name = uniqueName(names, random, form)
    const founded = randomDate(random, 1992, referenceYear - 1)
    const roll = random.next()
    const status = roll < 0.95 ? 'registered' : roll < 0.97 ? 'in liquidation' : 'deleted'
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '')
    // The seat (column 5) is filled in when the company is written, once buildings exist.
    const row = [
      code,
      name,
      form,
      status,
      founded,
      null,
      random.pick(ACTIVITY_CODES),
      random.chance(0.6) ? `info@${slug}.example` : null,
    ]
    companies.push({ code, row, founded })
    if (status === 'registered') {
      employerCodes.push(code)
      employerWeights.push(
        Math.min(3000, Math.floor(1 / Math.pow(1 - random.next() * 0.999, 1.25))),
      )
    }
  }
  const publicWeight = Math.max(50, Math.round(options.population / 400))
  for (const agency of options.agencies) {
    employerCodes.push(agency.registryCode)
    employerWeights.push(publicWeight * random.int(2, 6))
  }
  const employerCumulative = cumulate(employerWeights)

  const writePay = (
    personalCode: string,
    employerCode: string,
    grossCents: number,
    startedOn: string,
  ): void => {
    for (const year of [referenceYear - 1, referenceYear]) {
      const lastMonth = year === referenceYear ? referenceMonth - 1 : 12
      // Paid from the month the contract started (or January) to the last closed month.
      const startYear = Number(startedOn.slice(0, 4))
      const firstMonth =
        startYear < year ? 1 : startYear === year ? Number(startedOn.slice(5, 7)) : 13
      if (firstMonth > lastMonth) continue
      const paid = `[${grossCents},${withheldIncomeTax(grossCents)}]`
      const months: string[] = []
      for (let month = 1; month <= 12; month++) {
        months.push(month < firstMonth || month > lastMonth ? 'null' : paid)
      }
      sink.add('incomes', [personalCode, employerCode, year, `[${months.join(',')}]`])
    }
  }

  const addCompanyPeople = (code: string, founded: string, adults: readonly number[]): void => {
    const board = random.chance(0.7) ? 1 : random.int(2, 3)
    const owners = random.chance(0.6) ? 1 : random.int(2, 4)
    const chosen = new Set<string>()
    while (chosen.size < Math.min(Math.max(board, owners), adults.length)) {
      chosen.add(String(adults[random.int(0, adults.length - 1)]))
    }
    const people = [...chosen]
    for (let index = 0; index < board && index < people.length; index++) {
      sink.add('company_people', [code, people[index], 'board member', null, founded])
    }
    const share = Math.round((100 / owners) * 100) / 100
    for (let index = 0; index < owners && index < people.length; index++) {
      sink.add('company_people', [code, people[index], 'shareholder', share, founded])
      sink.add('company_people', [code, people[index], 'founder', null, founded])
    }
  }

  return {
    companyCodes: companies.map((company) => company.code),
    employ(personalCode, age) {
      if (!random.chance(employmentRate(age))) return null
      const employerCode = employerCodes[pickIndex(employerCumulative, random.next())]
      const firstYear = Math.max(1992, referenceYear - Math.max(0, age - 18))
      const drawn = randomDate(random, firstYear, referenceYear - (random.chance(0.1) ? 0 : 1))
      const startedOn = drawn > referenceDate ? referenceDate : drawn
      const grossCents = Math.round(Math.exp(7.35 + gaussian(random) * 0.5)) * 100
      sink.add('employments', [personalCode, employerCode, random.pick(POSITIONS), startedOn, null])
      writePay(personalCode, employerCode, grossCents, startedOn)
      return { employerCode, grossCents }
    },
    registerCompanies(adults, chunk) {
      const end = Math.min(companies.length, registered + chunk)
      for (; registered < end; registered++) {
        const company = companies[registered]
        company.row[5] = options.geography.placeCompany()
        sink.add('companies', company.row)
        if (adults.length > 0) addCompanyPeople(company.code, company.founded, adults)
      }
      return registered < companies.length
    },
    insure(personalCode, age, employment) {
      const basis =
        employment !== null
          ? 'employment'
          : age < 19
            ? 'child'
            : age >= 65
              ? 'pensioner'
              : age < 25 && random.chance(0.7)
                ? 'student'
                : random.chance(0.35)
                  ? 'registered unemployed'
                  : null
      const coverage = {
        insured: basis !== null,
        basis,
        validFrom: basis === null ? null : referenceDate.slice(0, 4) + '-01-01',
        validUntil: basis === null ? null : `${referenceYear + 1}-12-31`,
      }
      sink.add('health_insurance', [personalCode, JSON.stringify(coverage)])
    },
  }
}

export function withheldIncomeTax(grossCents: number): number {
  const contributions = Math.round(grossCents * 0.016) + Math.round(grossCents * 0.02)
  return Math.max(0, Math.round((grossCents - contributions - EXEMPTION_CENTS) * 0.22))
}

function employmentRate(age: number): number {
  if (age < 18) return 0
  if (age < 25) return 0.5
  if (age < 60) return 0.8
  if (age < 65) return 0.65
  if (age < 75) return 0.15
  return 0
}

function pickLegalForm(random: Random): readonly [string, string, number] {
  let roll = random.next()
  for (const form of LEGAL_FORMS) {
    roll -= form[2]
    if (roll < 0) return form
  }
  return LEGAL_FORMS[0]
}

/** Business names are unique in the register: a repeated base gets a number. */
function uniqueName(names: Map<string, number>, random: Random, form: string): string {
  const base = `${random.pick(COMPANY_WORDS)}${random.pick(COMPANY_WORDS).toLowerCase()}`
  const seen = names.get(base) ?? 0
  names.set(base, seen + 1)
  return seen === 0 ? `${base} ${form}` : `${base} ${seen + 1} ${form}`
}

export function randomDate(random: Random, fromYear: number, toYear: number): string {
  const from = dayOfYearStart(fromYear)
  const to = dayOfYearStart(toYear + 1) - 1
  return isoDay(from + Math.floor(random.next() * (to - from)))
}

export function gaussian(random: Random): number {
  const u = 1 - random.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next())
}
