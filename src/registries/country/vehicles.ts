/** The vehicle register and driving licences. Plates `123 ABC`, 17-character VINs. */
import type { Random } from '../../shared/index.ts'
import { randomDate } from './economy.ts'
import { VEHICLE_MODELS } from './names.ts'
import { cumulate, pickIndex } from './geography.ts'
import type { RowSink } from './sink.ts'

const PLATE_LETTERS = 'ABCDEFGHIJKLMNOPRSTUVZ'
const VIN_CHARACTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'
const CATEGORY_SETS: ReadonlyArray<readonly [string, number]> = [
  ['B', 0.72],
  ['AM,B', 0.06],
  ['A,B', 0.07],
  ['B,BE', 0.07],
  ['B,C,CE', 0.05],
  ['B,C,D', 0.03],
]

export interface Vehicles {
  /** Licence and, often, a car for an adult; some cars are leased (a company owns them). */
  equip(personalCode: string, age: number): void
}

export function createVehicles(options: {
  referenceDate: string
  companyCodes: readonly string[]
  random: Random
  sink: RowSink
}): Vehicles {
  const { random, sink, referenceDate } = options
  const referenceYear = Number(referenceDate.slice(0, 4))
  const makeCumulative = cumulate(VEHICLE_MODELS.map((model) => model[2]))
  const categoryCumulative = cumulate(CATEGORY_SETS.map((set) => set[1]))
  let licenceSequence = 0
  let vehicleSequence = 0

  const addVehicle = (holder: string): void => {
    const sequence = vehicleSequence++
    const [make, models] = VEHICLE_MODELS[pickIndex(makeCumulative, random.next())]
    const leased = options.companyCodes.length > 0 && random.chance(0.12)
    const owner = leased ? random.pick(options.companyCodes) : holder
    const firstRegistered = randomDate(random, referenceYear - 20, referenceYear - 1)
    sink.add('vehicles', [
      plateFor(sequence),
      vinFor(random, sequence),
      make,
      random.pick(models),
      'M1',
      firstRegistered,
      owner,
      leased ? 'company' : 'person',
      holder,
      randomDate(random, referenceYear - 1, referenceYear + 1),
      randomDate(random, referenceYear, referenceYear + 1),
      'registered',
    ])
  }

  return {
    equip(personalCode, age) {
      if (!random.chance(licenceRate(age))) return
      const issuedOn = randomDate(
        random,
        Math.max(1992, referenceYear - (age - 18)),
        referenceYear - 1,
      )
      const monthDay = issuedOn.slice(4) === '-02-29' ? '-02-28' : issuedOn.slice(4)
      const validUntil = `${Number(issuedOn.slice(0, 4)) + 10}${monthDay}`
      sink.add('driving_licences', [
        `EA${String(++licenceSequence).padStart(7, '0')}`,
        personalCode,
        CATEGORY_SETS[pickIndex(categoryCumulative, random.next())][0],
        issuedOn,
        validUntil,
        validUntil < referenceDate ? 'expired' : 'valid',
      ])
      if (random.chance(0.6)) addVehicle(personalCode)
      if (random.chance(0.08)) addVehicle(personalCode)
    },
  }
}

function licenceRate(age: number): number {
  if (age < 18) return 0
  if (age < 25) return 0.55
  if (age < 70) return 0.78
  if (age < 85) return 0.45
  return 0.1
}

/** Sequence → `DDD LLL`, unique for 1000 × 22³ ≈ 10.6 million vehicles. */
function plateFor(sequence: number): string {
  const digits = String(sequence % 1000).padStart(3, '0')
  let rest = Math.floor(sequence / 1000)
  let letters = ''
  for (let index = 0; index < 3; index++) {
    letters = PLATE_LETTERS[rest % PLATE_LETTERS.length] + letters
    rest = Math.floor(rest / PLATE_LETTERS.length)
  }
  return `${digits} ${letters}`
}

/** A manufacturer-looking prefix and a serial tail that keeps every VIN unique. */
function vinFor(random: Random, sequence: number): string {
  let prefix = ''
  for (let index = 0; index < 10; index++)
    prefix += VIN_CHARACTERS[random.int(0, VIN_CHARACTERS.length - 1)]
  return prefix + String(sequence).padStart(7, '0')
}
