import { parseArgs } from 'node:util'
import { MIGRATIONS, readConfig } from '../main/index.ts'
import { DEFAULT_PROFILE, seedCountry } from '../registries/index.ts'
import { systemClock } from '../shared/index.ts'

export async function runSeed(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      population: { type: 'string' },
      seed: { type: 'string' },
      replace: { type: 'boolean', default: false },
    },
    strict: true,
  })
  const config = readConfig()
  const population =
    values.population === undefined ? config.country.population : Number(values.population)
  if (!Number.isInteger(population) || population < 10 || population > 20_000_000) {
    process.stderr.write('--population must be a whole number from 10 to 20000000\n')
    return 2
  }
  const seed = values.seed ?? config.country.seed
  const progress = createProgress(population)
  process.stderr.write(
    `seeding ${DEFAULT_PROFILE.name}: ${population.toLocaleString('en')} residents, seed "${seed}", into ${config.databaseUrl.replace(/\/\/[^@]*@/, '//…@')}\n`,
  )
  const report = await seedCountry({
    url: config.databaseUrl,
    profile: DEFAULT_PROFILE,
    population,
    seed,
    masterKeys: config.masterKeys,
    clock: systemClock,
    migrations: MIGRATIONS,
    replace: values.replace,
    onProgress: progress.residents,
    onPhase: progress.phase,
  })
  progress.done()
  const rows = Object.entries(report.rows)
    .map(([table, count]) => `  ${table.padEnd(18)} ${count.toLocaleString('en').padStart(12)}`)
    .join('\n')
  process.stdout.write(
    `seeded ${report.residents.toLocaleString('en')} residents (${report.deceased.toLocaleString('en')} deceased on record), ` +
      `${report.households.toLocaleString('en')} households, ${report.companies.toLocaleString('en')} companies ` +
      `in ${report.seconds.toFixed(1)} s (${Math.round(report.residents / report.seconds).toLocaleString('en')} residents/s)\n` +
      `snapshot sha256 ${report.snapshotHash}\nrows:\n${rows}\n`,
  )
  return 0
}

/** Progress on stderr: one rewritten line on a terminal, a line per tenth otherwise. */
function createProgress(population: number) {
  const started = performance.now()
  const tty = process.stderr.isTTY === true
  let lastTenth = -1
  return {
    residents(count: number) {
      const seconds = (performance.now() - started) / 1000
      const rate = count / Math.max(seconds, 0.001)
      const line = `  ${count.toLocaleString('en')} / ${population.toLocaleString('en')} residents (${((100 * count) / population).toFixed(0)} %), ${Math.round(rate).toLocaleString('en')}/s`
      if (tty) process.stderr.write(`\r${line}   `)
      else if (Math.floor((10 * count) / population) > lastTenth) {
        lastTenth = Math.floor((10 * count) / population)
        process.stderr.write(`${line}\n`)
      }
    },
    phase(name: string) {
      if (name === 'generating') return
      process.stderr.write(`${tty ? '\n' : ''}  ${name}…\n`)
    },
    done() {
      if (tty) process.stderr.write('\n')
    },
  }
}
