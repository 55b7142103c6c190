/**
 * `e-state drill failover [--runs N]`: the failover drill on throwaway PostgreSQL servers on
 * loopback (see src/cloud/drill.ts). Prints one line per run and a summary as the last line;
 * exits 0 only when no synchronous run lost an acknowledged act, none applied an act twice, and
 * the asynchronous control did lose (1 otherwise, 2 on bad usage).
 */
import { parseArgs } from 'node:util'
import { abandonDrill, runFailoverDrill } from '../cloud/index.ts'
import { MIGRATIONS } from '../main/index.ts'

export const DRILL_USAGE =
  'usage: e-state drill failover [--runs N] [--writers N] [--write-ms MS] [--no-control]'

export async function runDrill(args: string[]): Promise<number> {
  const [kind, ...rest] = args
  let values
  try {
    ;({ values } = parseArgs({
      args: rest,
      options: {
        runs: { type: 'string' },
        writers: { type: 'string' },
        'write-ms': { type: 'string' },
        'no-control': { type: 'boolean' },
      },
      strict: true,
    }))
  } catch (error) {
    process.stderr.write(`e-state drill: ${(error as Error).message}\n${DRILL_USAGE}\n`)
    return 2
  }
  const runs = wholeNumber(values.runs, 20)
  const writers = wholeNumber(values.writers, 4)
  const writeMs = wholeNumber(values['write-ms'], 400)
  if (kind !== 'failover' || runs === undefined || writers === undefined || writeMs === undefined) {
    process.stderr.write(`${DRILL_USAGE}\n`)
    return 2
  }
  // Ctrl-C: stop the drill's servers, then die of the signal as usual.
  const interrupt = (): void => {
    abandonDrill()
    process.kill(process.pid, 'SIGINT')
  }
  process.once('SIGINT', interrupt)
  try {
    const report = await runFailoverDrill({
      runs,
      writers,
      writeMs,
      control: values['no-control'] !== true,
      log: (line) => process.stdout.write(`${line}\n`),
      migrations: MIGRATIONS,
    })
    process.stdout.write(`${report.summary}\n`)
    return report.passed ? 0 : 1
  } finally {
    process.off('SIGINT', interrupt)
  }
}

function wholeNumber(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback
  const parsed = Number(value)
  return Number.isInteger(parsed) && parsed > 0 ? parsed : undefined
}
