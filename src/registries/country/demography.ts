/**
 * Ages, birth dates and personal codes. The age pyramid is Estonia's in five-year bands
 * (thousands of residents, 2025, rounded); any profile may replace it.
 */
import { formatPersonalCode, type Random, type Sex } from '../../shared/index.ts'
import { dayNumber, isoDay } from './calendar.ts'
import { cumulate, pickIndex } from './geography.ts'

const PYRAMID_BANDS = [
  62, 73, 76, 69, 62, 70, 92, 95, 92, 90, 86, 83, 88, 85, 71, 52, 42, 25, 10, 3, 0.5,
]

// EVS 585 check-digit weights of the first seven digits, first and second round.
const FIRST = [1, 2, 3, 4, 5, 6, 7]
const SECOND = [3, 4, 5, 6, 7, 8, 9]

function weighted(digits: string, weights: readonly number[]): number {
  let sum = 0
  for (let index = 0; index < weights.length; index++)
    sum += (digits.charCodeAt(index) - 48) * weights[index]
  return sum
}

export interface Demography {
  /** An age in whole years within [min, max], drawn from the pyramid. */
  sampleAge(min: number, max: number): number
  /** A birth date giving that age on the reference date. */
  birthDateFor(age: number): string
  /** A fresh personal code for that birth date and sex (serials never repeat). */
  personalCodeFor(birthDate: string, sex: Sex): string
  ageOn(birthDate: string): number
  readonly referenceYear: number
}

export function createDemography(
  referenceDate: string,
  random: Random,
  reservedCodes: ReadonlySet<string>,
): Demography {
  const yearWeights = Array.from(
    { length: 101 },
    (_, age) => PYRAMID_BANDS[Math.min(20, (age / 5) | 0)],
  )
  const cumulative = cumulate(yearWeights)
  const referenceDay = dayNumber(referenceDate)
  const referenceYear = Number(referenceDate.slice(0, 4))
  const referenceMonthDay = referenceDate.slice(5)
  // Per birth date and sex: the code's first seven digits, their weighted sums for both check
  // digit rounds (EVS 585), and the next serial — so a new code costs a few additions.
  const serials = new Map<string, { prefix: string; first: number; second: number; next: number }>()

  return {
    referenceYear,
    sampleAge(min, max) {
      const low = min === 0 ? 0 : cumulative[min - 1]
      const high = cumulative[Math.min(max, 100)]
      return pickIndex(cumulative, low + random.next() * (high - low))
    },
    birthDateFor(age) {
      const offsetDays = Math.floor(age * 365.2425 + random.next() * 365)
      return isoDay(referenceDay - offsetDays)
    },
    personalCodeFor(birthDate, sex) {
      const key = sex + birthDate
      let entry = serials.get(key)
      if (entry === undefined) {
        const prefix = formatPersonalCode({ sex, birthDate, serial: 0 }).slice(0, 7)
        entry = {
          prefix,
          first: weighted(prefix, FIRST),
          second: weighted(prefix, SECOND),
          next: 0,
        }
        serials.set(key, entry)
      }
      let code: string
      do {
        const serial = entry.next++
        if (serial > 999) throw new RangeError(`more than 1000 people born on ${birthDate}`)
        const [a, b, c] = [Math.floor(serial / 100), Math.floor(serial / 10) % 10, serial % 10]
        let check = (entry.first + a * 8 + b * 9 + c * 1) % 11
        if (check === 10) check = ((entry.second + a * 1 + b * 2 + c * 3) % 11) % 10
        code = `${entry.prefix}${a}${b}${c}${check}`
      } while (reservedCodes.has(code))
      return code
    },
    ageOn(birthDate) {
      const years = referenceYear - Number(birthDate.slice(0, 4))
      return birthDate.slice(5) > referenceMonthDay ? years - 1 : years
    },
  }
}
