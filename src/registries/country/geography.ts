/**
 * The address register's shape: counties, municipalities (cities and rural municipalities),
 * settlements (city, town, small town, village), streets and buildings. Settlements carry a
 * population weight; buildings are made on demand as households move in, so the number of
 * buildings follows the population instead of being guessed up front.
 */
import type { Random } from '../../shared/index.ts'
import { PLACE_SYLLABLES, STREET_SUFFIXES } from './names.ts'
import type { CountryProfile } from './profile.ts'
import type { RowSink } from './sink.ts'

interface Settlement {
  readonly code: string
  readonly municipalityCode: string
  readonly postalCode: string
  readonly kind: 'city' | 'town' | 'small town' | 'village'
  streetCount: number
  currentStreet: string | null
  buildingsOnStreet: number
  currentBuilding: string | null
  freeDwellings: number
  singleDwelling: boolean
  apartment: number
}

export interface Dwelling {
  readonly building: string
  readonly apartment: number | null
  readonly municipalityCode: string
}

export interface Geography {
  /** A dwelling for a new household, in a settlement drawn by population weight. */
  placeHousehold(): Dwelling
  /**
   * A building for a company seat: mostly one that exists (small companies are registered at a
   * founder's home or share an office building), otherwise a new office building.
   */
  placeCompany(): string
  readonly capitalMunicipality: string
}

export function generateGeography(
  profile: CountryProfile,
  population: number,
  random: Random,
  sink: RowSink,
): Geography {
  const names = createNamer(random)
  const settlements: Settlement[] = []
  const weights: number[] = []
  let buildingSequence = 0
  let streetSequence = 0

  profile.counties.forEach((name, index) => sink.add('counties', [countyCode(index), name]))

  const addSettlement = (
    municipalityCode: string,
    name: string,
    kind: Settlement['kind'],
    weight: number,
    postalCode: string,
  ): void => {
    const code = `${municipalityCode}${String(settlements.length).padStart(5, '0')}`
    sink.add('settlements', [code, municipalityCode, name, kind])
    settlements.push({
      code,
      municipalityCode,
      postalCode,
      kind,
      streetCount: 0,
      currentStreet: null,
      buildingsOnStreet: 0,
      currentBuilding: null,
      freeDwellings: 0,
      singleDwelling: true,
      apartment: 0,
    })
    weights.push(weight)
  }

  let municipalityIndex = 0
  const nextMunicipalityCode = (): string => `M${String(++municipalityIndex).padStart(4, '0')}`
  const citiesShare = profile.cities.reduce((sum, city) => sum + city.share, 0)
  for (const city of profile.cities) {
    const code = nextMunicipalityCode()
    sink.add('municipalities', [code, countyCode(city.county), city.name, 'city'])
    addSettlement(code, city.name, 'city', city.share, postalCodeFor(municipalityIndex))
  }
  const ruralCount = Math.max(
    profile.counties.length,
    Math.min(75, Math.round(population / 17_000)),
  )
  const ruralWeights = Array.from({ length: ruralCount }, () => Math.exp(random.next() * 2))
  const ruralTotal = ruralWeights.reduce((sum, weight) => sum + weight, 0)
  for (let index = 0; index < ruralCount; index++) {
    const code = nextMunicipalityCode()
    const name = names.place()
    const share = ((1 - citiesShare) * ruralWeights[index]) / ruralTotal
    sink.add('municipalities', [
      code,
      countyCode(index % profile.counties.length),
      `${name} vald`,
      'rural',
    ])
    const postalCode = postalCodeFor(municipalityIndex)
    addSettlement(code, `${names.place()}`, 'town', share * 0.35, postalCode)
    addSettlement(code, `${names.place()}`, 'small town', share * 0.15, postalCode)
    const villages = random.int(6, 30)
    for (let village = 0; village < villages; village++) {
      addSettlement(code, `${names.place()} küla`, 'village', (share * 0.5) / villages, postalCode)
    }
  }

  const cumulative = cumulate(weights)
  const nextStreet = (settlement: Settlement): string => {
    const code = `S${String(++streetSequence).padStart(7, '0')}`
    settlement.streetCount++
    sink.add('streets', [code, settlement.code, `${names.place()} ${random.pick(STREET_SUFFIXES)}`])
    return code
  }
  const existing: string[] = []
  const newBuilding = (settlement: Settlement, dwellings: number): string => {
    const code = `ME${String(++buildingSequence).padStart(8, '0')}`
    existing.push(code)
    let street: string | null = null
    let houseNumber: string
    if (settlement.kind === 'village') {
      houseNumber = `${names.place()} talu`
    } else {
      if (settlement.currentStreet === null || settlement.buildingsOnStreet >= 40) {
        settlement.currentStreet = nextStreet(settlement)
        settlement.buildingsOnStreet = 0
      }
      street = settlement.currentStreet
      houseNumber = String(++settlement.buildingsOnStreet)
    }
    sink.add('buildings', [
      code,
      settlement.code,
      street,
      houseNumber,
      settlement.postalCode,
      dwellings,
    ])
    return code
  }

  return {
    capitalMunicipality: settlements[0].municipalityCode,
    placeHousehold() {
      const settlement = settlements[pickIndex(cumulative, random.next())]
      if (settlement.freeDwellings === 0) {
        const dwellings = dwellingsFor(settlement.kind, random)
        settlement.currentBuilding = newBuilding(settlement, dwellings)
        settlement.freeDwellings = dwellings
        settlement.singleDwelling = dwellings === 1
        settlement.apartment = 0
      }
      settlement.freeDwellings--
      return {
        building: settlement.currentBuilding as string,
        apartment: settlement.singleDwelling ? null : ++settlement.apartment,
        municipalityCode: settlement.municipalityCode,
      }
    },
    placeCompany() {
      if (existing.length > 0 && random.chance(0.8))
        return existing[random.int(0, existing.length - 1)]
      const settlement = settlements[pickIndex(cumulative, random.next())]
      return newBuilding(settlement.kind === 'village' ? settlements[0] : settlement, 0)
    },
  }
}

function dwellingsFor(kind: Settlement['kind'], random: Random): number {
  switch (kind) {
    case 'city':
      return random.chance(0.15) ? 1 : random.int(8, 90)
    case 'town':
      return random.chance(0.4) ? 1 : random.int(4, 36)
    case 'small town':
      return random.chance(0.6) ? 1 : random.int(2, 12)
    case 'village':
      return 1
  }
}

function countyCode(index: number): string {
  return `C${String(index + 1).padStart(2, '0')}`
}

function postalCodeFor(municipalityIndex: number): string {
  return String(10000 + municipalityIndex * 1013).slice(0, 5)
}

function createNamer(random: Random): { place(): string } {
  return {
    place() {
      const syllables = random.int(2, 3)
      let name = ''
      for (let index = 0; index < syllables; index++) name += random.pick(PLACE_SYLLABLES)
      return name.charAt(0).toUpperCase() + name.slice(1)
    },
  }
}

/** Running sums of weights, normalised to end at 1, for `pickIndex`. */
export function cumulate(weights: readonly number[]): Float64Array {
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  const result = new Float64Array(weights.length)
  let running = 0
  weights.forEach((weight, index) => {
    running += weight / total
    result[index] = running
  })
  result[result.length - 1] = 1
  return result
}

/** Binary search: the first index whose running sum exceeds `u` (u in [0, 1)). */
export function pickIndex(cumulative: Float64Array, u: number): number {
  let low = 0
  let high = cumulative.length - 1
  while (low < high) {
    const middle = (low + high) >>> 1
    if (cumulative[middle] > u) high = middle
    else low = middle + 1
  }
  return low
}
