/**
 * The failover drill as CI runs it: `e-state drill failover` with its default twenty
 * synchronous runs and the control, on real PostgreSQL servers, as its own process. Synchronous
 * replication must lose no acknowledged act and apply none twice; the control (asynchronous,
 * replication link paused) must lose acts, or the drill could not see a loss. The command
 * exits 0 only then, and its last line sums it up.
 */
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'

describe('e-state drill failover', () => {
  it('loses no acknowledged act in twenty synchronous runs, and sees the control lose', async () => {
    const child = spawn(process.execPath, ['bin/e-state.js', 'drill', 'failover'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    const lines = Buffer.concat(out).toString().trim().split('\n')
    expect(Buffer.concat(err).toString()).toBe('')
    const runs = lines.filter((line) => /^run \d+\/20 synchronous: /.test(line))
    expect(runs).toHaveLength(20)
    for (const run of runs) expect(run).toMatch(/: \d+ acknowledged, 0 lost, 0 applied twice,/)
    expect(lines.find((line) => line.startsWith('control '))).toMatch(
      /: \d+ acknowledged, [1-9]\d* lost, 0 applied twice,/,
    )
    expect(lines.at(-1)).toMatch(
      /^drill: 20 synchronous runs, 0 acknowledged acts lost \(\d+ acknowledged\), 0 applied twice; control lost [1-9]\d* of \d+; .*PASSED$/,
    )
    expect(code).toBe(0)
  }, 400_000)
})
