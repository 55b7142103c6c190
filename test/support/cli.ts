// The `e-state` command run as an operator would, against a test app's data folder and keys.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { TestApp } from './app.ts'

const run = promisify(execFile)

export async function cliOn(
  t: TestApp | { dataDir: string },
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/e-state.js', ...args], {
      env: { ...process.env, E_STATE_DATA_DIR: t.dataDir, E_STATE_LOG_LEVEL: 'silent', ...env },
      timeout: 60_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}
