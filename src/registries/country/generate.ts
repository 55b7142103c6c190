/**
 * The synthetic country, household by household. Same profile, population and seed give the
 * same country, row for row: every random draw comes from one seeded stream per concern, taken
 * in a fixed order. Rows stream into the sink as they are made, so memory stays flat apart from
 * the few indexes kept for linking people (parents by birth year, working-age adults).
 */
import { createRandom, type Random, type Sex } from '../../shared/index.ts'
import { createDemography, type Demography } from './demography.ts'
import { createEconomy, type Economy } from './economy.ts'
import { generateGeography, type Dwelling, type Geography } from './geography.ts'
import { NAME_STOCKS, type NameStock } from './names.ts'
import { memberIdOf, type CountryProfile } from './profile.ts'
import type { RowSink } from './sink.ts'
import { createVehicles, type Vehicles } from './vehicles.ts'

export interface GenerateOptions {
  readonly profile: CountryProfile
  readonly population: number
  readonly seed: string
  readonly sink: RowSink & {
    flushIfFull(): Promise<void> | void
    /** Every household is written: the tables they fill are complete (the seeder indexes them). */
    householdsDone?(): Promise<void> | void
  }
  readonly onProgress?: (residents: number) => void
}

export interface GeneratedCountry {
  readonly residents: number
  readonly deceased: number
  readonly households: number
  readonly companies: number
}

interface Member {
  readonly code: string
  readonly sex: Sex
  readonly age: number
  readonly birthDate: string
  readonly firstName: string
  readonly lastName: string
  spouse: string | null
  mother: string | null
  father: string | null
}

interface Context {
  readonly profile: CountryProfile
  readonly random: Random
  readonly sink: RowSink
  readonly demography: Demography
  readonly geography: Geography
  readonly economy: Economy
  readonly vehicles: Vehicles
  // Personal codes kept as numbers (11 digits, no leading zero): 8 bytes each in a double array
  // instead of a string and a pointer, which matters at 1.3 million residents.
  readonly parents: { readonly female: number[][]; readonly male: number[][] }
  readonly workingAge: number[]
  readonly languages: ReadonlyArray<readonly [string, number]>
  residents: number
  deceased: number
  household: number
}

export async function generateCountry(options: GenerateOptions): Promise<GeneratedCountry> {
  const context = createContext(options)
  const { profile, sink } = options
  for (const agency of profile.agencies) {
    sink.add('agencies', [
      agency.registryCode,
      memberIdOf(profile, agency),
      agency.name,
      agency.shortName,
      agency.subsystem,
      agency.registries.join(','),
      agency.reads.join(','),
    ])
  }
  for (const demo of profile.demoPersons) addDemoHousehold(context, demo)
  let reported = 0
  while (context.residents < options.population) {
    addHousehold(context, options.population - context.residents)
    if (context.household % 256 === 0) {
      await sink.flushIfFull()
      if (context.residents - reported >= 10_000) {
        reported = context.residents
        options.onProgress?.(context.residents)
      }
    }
  }
  // Parents are linked only while households are made; let their indexes go.
  for (const buckets of [context.parents.female, context.parents.male])
    buckets.forEach((bucket) => (bucket.length = 0))
  await sink.householdsDone?.()
  while (context.economy.registerCompanies(context.workingAge, 2000)) await sink.flushIfFull()
  addOfficials(context)
  options.onProgress?.(context.residents)
  return {
    residents: context.residents,
    deceased: context.deceased,
    households: context.household,
    companies: context.economy.companyCodes.length,
  }
}

function createContext(options: GenerateOptions): Context {
  const { profile, population, seed, sink } = options
  const root = createRandom(`${profile.instance}|${population}|${seed}`)
  const geography = generateGeography(profile, population, root.fork('geography'), sink)
  const economy = createEconomy({
    population,
    referenceDate: profile.referenceDate,
    agencies: profile.agencies,
    geography,
    random: root.fork('economy'),
    sink,
  })
  const reserved = new Set(profile.demoPersons.map((person) => person.personalCode))
  return {
    profile,
    random: root.fork('people'),
    sink,
    demography: createDemography(profile.referenceDate, root.fork('demography'), reserved),
    geography,
    economy,
    vehicles: createVehicles({
      referenceDate: profile.referenceDate,
      companyCodes: economy.companyCodes,
      random: root.fork('vehicles'),
      sink,
    }),
    parents: { female: yearBuckets(), male: yearBuckets() },
    workingAge: [],
    languages: Object.entries(profile.nativeLanguageShares),
    residents: 0,
    deceased: 0,
    household: 0,
  }
}

function yearBuckets(): number[][] {
  return Array.from({ length: 300 }, () => [])
}

type HouseholdShape = 'single' | 'couple' | 'family' | 'single parent' | 'three generations'

function addHousehold(context: Context, remaining: number): void {
  const { random, demography } = context
  const roll = random.next()
  const shape: HouseholdShape =
    roll < 0.36
      ? 'single'
      : roll < 0.56
        ? 'couple'
        : roll < 0.82
          ? 'family'
          : roll < 0.92
            ? 'single parent'
            : 'three generations'
  const language = pickLanguage(context)
  const names = NAME_STOCKS[language] ?? NAME_STOCKS.et
  const surname = random.pick(names.surnames)
  const dwelling = context.geography.placeHousehold()
  context.household++
  const members: Member[] = []

  const adult = (sex: Sex, min: number, max: number, lastName = surname): Member =>
    makeMember(context, names, sex, demography.sampleAge(min, max), lastName)

  if (shape === 'single') {
    const person = adult(random.chance(0.5) ? 'female' : 'male', 18, 100, surname)
    members.push(person)
    if (person.age >= 70 && random.chance(0.5)) addDeceasedSpouse(context, person, names, dwelling)
  } else {
    const parentsAge: [number, number] =
      shape === 'couple' ? [20, 95] : shape === 'three generations' ? [40, 62] : [22, 52]
    const first = adult(
      shape === 'single parent' && random.chance(0.85) ? 'female' : 'male',
      ...parentsAge,
    )
    members.push(first)
    if (shape !== 'single parent') {
      const partnerAge = Math.max(18, Math.min(100, first.age + random.int(-6, 3)))
      const partner = makeMember(
        context,
        names,
        first.sex === 'male' ? 'female' : 'male',
        partnerAge,
        surname,
      )
      members.push(partner)
      if (random.chance(0.6)) marry(context, first, partner, dwelling)
    }
    if (shape !== 'couple') {
      const children = Math.min(
        remaining,
        1 + (random.chance(0.45) ? 1 : 0) + (random.chance(0.2) ? 1 : 0),
      )
      const youngestParent = Math.min(...members.map((member) => member.age))
      for (let index = 0; index < children; index++) {
        const age = random.int(0, Math.max(0, Math.min(youngestParent - 19, 24)))
        const child = makeMember(
          context,
          names,
          random.chance(0.51) ? 'male' : 'female',
          age,
          surname,
        )
        child.mother = members.find((member) => member.sex === 'female')?.code ?? null
        child.father = members.find((member) => member.sex === 'male')?.code ?? null
        members.push(child)
      }
    }
    if (shape === 'three generations') {
      members.push(
        adult(random.chance(0.7) ? 'female' : 'male', 70, 100, random.pick(names.surnames)),
      )
    }
  }
  for (const member of members) emitResident(context, member, dwelling, language)
}

function addDemoHousehold(context: Context, demo: CountryProfile['demoPersons'][number]): void {
  const { demography } = context
  const dwelling = context.geography.placeHousehold()
  context.household++
  const sex: Sex = Number(demo.personalCode[0]) % 2 === 1 ? 'male' : 'female'
  const century = 1800 + Math.floor((Number(demo.personalCode[0]) - 1) / 2) * 100
  const birthDate = `${century + Number(demo.personalCode.slice(1, 3))}-${demo.personalCode.slice(3, 5)}-${demo.personalCode.slice(5, 7)}`
  const member: Member = {
    code: demo.personalCode,
    sex,
    age: demography.ageOn(birthDate),
    birthDate,
    firstName: demo.firstName,
    lastName: demo.lastName,
    spouse: null,
    mother: null,
    father: null,
  }
  emitResident(context, member, dwelling, demo.nativeLanguage)
}

function makeMember(
  context: Context,
  names: NameStock,
  sex: Sex,
  age: number,
  surname: string,
): Member {
  const birthDate = context.demography.birthDateFor(age)
  return {
    code: context.demography.personalCodeFor(birthDate, sex),
    sex,
    age,
    birthDate,
    firstName: context.random.pick(sex === 'male' ? names.male : names.female),
    lastName: sex === 'female' ? names.feminineSurname(surname) : surname,
    spouse: null,
    mother: null,
    father: null,
  }
}

function emitResident(
  context: Context,
  member: Member,
  dwelling: Dwelling,
  language: string,
): void {
  const { random, sink, profile } = context
  const birthYear = Number(member.birthDate.slice(0, 4))
  if (member.age >= 18 && member.mother === null && member.father === null) {
    // Grown-up children live elsewhere: link them to parents already in the register.
    if (random.chance(0.75)) member.mother = pickParent(context.parents.female, birthYear, random)
    if (random.chance(0.65)) member.father = pickParent(context.parents.male, birthYear, random)
  }
  const adult = member.age >= 18
  const contactEmail =
    adult && random.chance(0.7)
      ? `${asciiSlug(member.firstName)}.${asciiSlug(member.lastName)}${random.int(1, 999)}@example.org`
      : null
  const contactPhone =
    adult && random.chance(0.85)
      ? `+3725${String(random.int(0, 9_999_999)).padStart(7, '0')}`
      : null
  sink.add('persons', [
    member.code,
    member.firstName,
    member.lastName,
    member.sex,
    member.birthDate,
    citizenshipFor(language, profile.citizenship, random),
    language,
    'alive',
    null,
    dwelling.building,
    dwelling.apartment,
    contactEmail,
    contactPhone,
    member.spouse,
    member.mother,
    member.father,
    context.household,
  ])
  if (birthYear >= 1990) {
    sink.add('vital_events', [
      'birth',
      member.birthDate,
      member.code,
      null,
      dwelling.municipalityCode,
    ])
  }
  context.residents++
  ;(member.sex === 'female' ? context.parents.female : context.parents.male)[birthYear - 1800].push(
    Number(member.code),
  )
  if (member.age >= 25 && member.age <= 70) context.workingAge.push(Number(member.code))
  const employment = context.economy.employ(member.code, member.age)
  context.economy.insure(member.code, member.age, employment)
  context.vehicles.equip(member.code, member.age)
}

function marry(context: Context, first: Member, second: Member, dwelling: Dwelling): void {
  first.spouse = second.code
  second.spouse = first.code
  const younger = first.age < second.age ? first : second
  const year = Number(younger.birthDate.slice(0, 4)) + context.random.int(21, 35)
  const date = `${Math.min(year, context.demography.referenceYear - 1)}${younger.birthDate.slice(4, 8)}15`
  context.sink.add('vital_events', [
    'marriage',
    date,
    first.code,
    second.code,
    dwelling.municipalityCode,
  ])
  context.sink.add('vital_events', [
    'marriage',
    date,
    second.code,
    first.code,
    dwelling.municipalityCode,
  ])
}

/** A widow or widower's late spouse: a deceased record, the marriage and the death. */
function addDeceasedSpouse(
  context: Context,
  survivor: Member,
  names: NameStock,
  dwelling: Dwelling,
): void {
  const { random, demography, sink } = context
  const sex: Sex = survivor.sex === 'male' ? 'female' : 'male'
  const age = Math.min(100, survivor.age + random.int(-3, 5))
  const late = makeMember(context, names, sex, age, survivor.lastName)
  const deathYear = demography.referenceYear - random.int(1, 15)
  const deathDate = `${deathYear}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`
  survivor.spouse = null
  sink.add('persons', [
    late.code,
    late.firstName,
    late.lastName,
    sex,
    late.birthDate,
    context.profile.citizenship,
    'et',
    'deceased',
    deathDate,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    context.household,
  ])
  const married = `${Number(late.birthDate.slice(0, 4)) + random.int(20, 30)}-06-15`
  sink.add('vital_events', [
    'marriage',
    married,
    survivor.code,
    late.code,
    dwelling.municipalityCode,
  ])
  sink.add('vital_events', [
    'marriage',
    married,
    late.code,
    survivor.code,
    dwelling.municipalityCode,
  ])
  sink.add('vital_events', ['death', deathDate, late.code, null, dwelling.municipalityCode])
  context.deceased++
}

function addOfficials(context: Context): void {
  const { profile, random, sink, workingAge } = context
  const perAgency = Math.max(3, Math.round(context.residents / 4000))
  const since = `${context.demography.referenceYear - 2}-01-01`
  const taken = new Set<string>(profile.demoPersons.map((person) => person.personalCode))
  for (const agency of profile.agencies) {
    for (let index = 0; index < perAgency && workingAge.length > taken.size; index++) {
      let code: string
      do code = String(workingAge[random.int(0, workingAge.length - 1)])
      while (taken.has(code))
      taken.add(code)
      sink.add('officials', [
        code,
        agency.registryCode,
        agency.roles[index % agency.roles.length],
        since,
      ])
    }
  }
  // The demo set: a service-desk clerk and a police officer a newcomer can act as.
  const [, clerk, officer] = profile.demoPersons
  const interior = profile.agencies.find((agency) => agency.roles.includes('registrar'))
  const police = profile.agencies.find((agency) => agency.roles.includes('police officer'))
  if (clerk !== undefined && interior !== undefined) {
    sink.add('officials', [clerk.personalCode, interior.registryCode, 'clerk', since])
  }
  if (officer !== undefined && police !== undefined) {
    sink.add('officials', [officer.personalCode, police.registryCode, 'police officer', since])
  }
}

function pickParent(buckets: number[][], childBirthYear: number, random: Random): string | null {
  for (let attempt = 0; attempt < 3; attempt++) {
    const bucket = buckets[childBirthYear - random.int(20, 40) - 1800]
    if (bucket !== undefined && bucket.length > 0)
      return String(bucket[random.int(0, bucket.length - 1)])
  }
  return null
}

function pickLanguage(context: Context): string {
  let roll = context.random.next()
  for (const [language, share] of context.languages) {
    roll -= share
    if (roll < 0) return language
  }
  return context.languages[0][0]
}

function citizenshipFor(language: string, own: string, random: Random): string {
  if (language !== 'ru')
    return random.chance(0.985) ? own : random.pick(['FIN', 'LVA', 'UKR', 'DEU'])
  const roll = random.next()
  return roll < 0.55 ? own : roll < 0.8 ? 'RUS' : roll < 0.95 ? 'XXA' : 'UKR'
}

function asciiSlug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase()
}
