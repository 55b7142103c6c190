/** The `e-state` command as a user runs it: a separate process, real exit codes. */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const directory = mkdtempSync(join(tmpdir(), 'e-state-cli-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

async function cli(
  args: string[],
  node: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...node, 'bin/e-state.js', ...args], {
      env: {
        ...process.env,
        E_STATE_DATA_DIR: join(directory, 'data'),
        E_STATE_LOG_LEVEL: 'silent',
      },
      timeout: 60_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('the e-state command', () => {
  it('refuses to run under a Node older than 24, saying why', async () => {
    // Pretend to be Node 20 before the entry point runs.
    const pretend =
      'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.1.0"})'
    const result = await cli(['--help'], ['--import', pretend])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/needs Node\.js 24 or newer; this is Node 20\.1\.0/)
  })

  it('lists its subcommands', async () => {
    const result = await cli(['--help'])
    expect(result.code).toBe(0)
    for (const command of ['start', 'seed', 'migrate', 'agencies', 'keys'])
      expect(result.stdout).toContain(command)
  })

  it('answers an unknown command or option with usage and exit code 2', async () => {
    expect((await cli(['conquer'])).code).toBe(2)
    const bad = await cli(['seed', '--populaton', '10'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/usage: e-state seed/)
  })

  it('seeds a country deterministically, reporting progress, counts and time', async () => {
    const first = await cli(['seed', '--population', '1500', '--seed', 'cli'])
    expect(first.code).toBe(0)
    expect(first.stderr).toMatch(/seeding .*1,500 residents/)
    expect(first.stdout).toMatch(/seeded 1,50\d residents .* in \d+\.\d s \([\d,]+ residents\/s\)/)
    expect(first.stdout).toMatch(/persons\s+[\d,]+/)
    const hash = /snapshot sha256 ([0-9a-f]{64})/.exec(first.stdout)?.[1]
    expect((await cli(['seed', '--population', '1500', '--seed', 'cli'])).code).toBe(1) // already seeded
    const again = await cli(['seed', '--population', '1500', '--seed', 'cli', '--replace'])
    expect(/snapshot sha256 ([0-9a-f]{64})/.exec(again.stdout)?.[1]).toBe(hash)
  })

  it('lists the seeded agencies with their member ids', async () => {
    const result = await cli(['agencies'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/EE\/GOV\/70000071\/police\s+PPA\s+Police and Border Guard Board/)
  })
})
