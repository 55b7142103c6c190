/**
 * The failover drill: `e-state drill failover` with the control and two synchronous runs (its
 * default twenty in `npm run test:long`), on real PostgreSQL servers, as its own process. Synchronous
 * replication must lose no acknowledged act, apply none twice and keep each one's ledger entry;
 * the control (asynchronous, replication link paused) must lose acts, or the drill could not
 * see a loss. The command
 * exits 0 only then, and its last line sums it up.
 */
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { LONG, sweep } from './support/tier.ts'

const RUNS = sweep(2, 20)

describe('e-state drill failover', () => {
  it(`loses no acknowledged act in ${RUNS} synchronous runs, and sees the control lose`, async () => {
    const child = spawn(
      process.execPath,
      ['bin/e-state.js', 'drill', 'failover', ...(LONG ? [] : ['--runs', String(RUNS)])],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    const lines = Buffer.concat(out).toString().trim().split('\n')
    expect(Buffer.concat(err).toString()).toBe('')
    const runs = lines.filter((line) => new RegExp(`^run \\d+/${RUNS} synchronous: `).test(line))
    expect(runs).toHaveLength(RUNS)
    for (const run of runs)
      expect(run).toMatch(
        /: [1-9]\d* acknowledged, 0 lost, 0 applied twice, 0 without their ledger entry,/,
      )
    expect(lines.find((line) => line.startsWith('control '))).toMatch(
      /: \d+ acknowledged, [1-9]\d* lost, 0 applied twice,/,
    )
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^drill: ${RUNS} synchronous runs, 0 acknowledged acts lost \\(\\d+ acknowledged\\), 0 applied twice, 0 without their ledger entry; control lost [1-9]\\d* of \\d+; .*PASSED$`,
      ),
    )
    expect(code).toBe(0)
  }, 400_000)
})
