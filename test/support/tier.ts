// Two tiers of tests. `npm test` (what CI runs) keeps each sweep short enough for the whole suite
// to stay within a few minutes; `npm run test:long` (E_STATE_TEST_LONG=1) runs the same files
// with the full sweeps: twenty drill runs, every page in three languages, more crash rounds and
// fuzzed requests. A short sweep is the same check with fewer repetitions, never a weaker one.
export const LONG = process.env.E_STATE_TEST_LONG === '1'

/** `short` repetitions in the default run, `long` in `npm run test:long`. */
export function sweep(short: number, long: number): number {
  return LONG ? long : short
}
