/**
 * ISO dates by day number, memoised: the seeder formats millions of dates drawn from a few tens
 * of thousands of distinct days, and `Date#toISOString` was a visible share of its time.
 */
const DAY_MS = 86_400_000
const cache: string[] = []

/** Days since 1970-01-01 (may be negative) → `YYYY-MM-DD`. */
export function isoDay(day: number): string {
  const slot = day + 100_000
  let text = cache[slot]
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10)
    cache[slot] = text
  }
  return text
}

export function dayNumber(isoDate: string): number {
  return Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS)
}

export function dayOfYearStart(year: number): number {
  return Math.floor(Date.UTC(year, 0, 1) / DAY_MS)
}
