/**
 * A master-key rotation as the two sites do it (docs/cloud.md, "Keys across the sites"): the new
 * key is made first and given to every node as an extra unwrap key; the primary re-wraps; the
 * nodes that already hold both keys keep working throughout; then the new key becomes current.
 * A node that skipped the first step cannot open the store after the re-wrap: it is refused,
 * not half-working.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './support/app.ts'
import { cliOn } from './support/cli.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp('sqlite', { population: 100 })
}, 120_000)
afterAll(async () => t?.close())

describe('a master-key rotation across the sites', () => {
  it('keeps every prepared node working and refuses an unprepared one', async () => {
    const old = t.config.masterKeys.current
    const oldText = `${old.id}:${Buffer.from(old.key).toString('base64')}`
    const file = join(t.dataDir, '..', 'new-master.key')
    const made = await cliOn(t, ['keys', 'new-master', '--out', file])
    expect(made.code).toBe(0)
    expect(made.stdout).toMatch(/nothing re-wrapped/)
    const newText = readFileSync(file, 'utf8').trim()
    const newId = newText.split(':')[0]
    // Nothing changed in the store yet: every data key is still wrapped by the old key.
    const before = await cliOn(t, ['keys', 'status'], { E_STATE_MASTER_KEY: oldText })
    expect(before.stdout).not.toContain(`"${newId}"`)

    const prepared = { E_STATE_MASTER_KEY: oldText, E_STATE_MASTER_KEYS_PREVIOUS: newText }
    expect((await cliOn(t, ['keys', 'status'], prepared)).code).toBe(0)
    const rotated = await cliOn(t, ['keys', 'rotate-master', '--new-key-file', file], prepared)
    expect(rotated.code).toBe(0)
    expect(rotated.stdout).toMatch(new RegExp(`wrapped by "${newId}"`))
    expect(rotated.stdout).not.toMatch(new RegExp(`wrapped by "${old.id}"`))

    // A node with both keys (either one current) still opens everything.
    expect((await cliOn(t, ['keys', 'status'], prepared)).code).toBe(0)
    const moved = { E_STATE_MASTER_KEY: newText, E_STATE_MASTER_KEYS_PREVIOUS: oldText }
    expect((await cliOn(t, ['keys', 'status'], moved)).code).toBe(0)
    // A node that never received the new key is refused, clearly.
    const unprepared = await cliOn(t, ['keys', 'status'], { E_STATE_MASTER_KEY: oldText })
    expect(unprepared.code).toBe(1)
    expect(unprepared.stderr).toMatch(/CRYPTO_/)
  }, 120_000)
})
