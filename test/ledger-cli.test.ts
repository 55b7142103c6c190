/**
 * `e-state ledger verify-receipt` and `e-state ledger audit` as an operator runs them: separate
 * processes with real exit codes, against a running node's store and keys (SQLite; the audit's
 * findings on both engines are in ledger-audit.test.ts).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCosignerKey, parseSignerKey } from '../src/ledger/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { cliOn } from './support/cli.ts'

describe('the ledger commands', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp('sqlite', { options: { drainIntervalMs: 0 } })
    const read = await t.inject({
      url: '/data/population/1.0?query.personalCode=38001085718',
      headers: { ...t.headers('PPA'), 'x-road-userid': 'EE39001010000', 'x-road-issue': 'case 9' },
    })
    expect(read.statusCode).toBe(200)
    await t.app.platform().ledger.drainOnce()
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const cli = (args: string[]) => cliOn(t, args)

  it('verifies a receipt offline with this installation’s keys or given ones, and rejects a doctored one', async () => {
    const latest = await t.app.platform().ledger.latest()
    const receipt = (await t.inject({ url: `/ledger/receipt/${(latest?.size ?? 1) - 1}` })).json()
    const good = join(t.dataDir, 'receipt.json')
    writeFileSync(good, JSON.stringify(receipt))
    const ok = await cli(['ledger', 'verify-receipt', good])
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    // The newest entry: the exchange logging the read (the door logged the read itself before).
    expect(ok.stdout).toMatch(
      /^receipt verified: entry \d+ \((access|exchange-message)\) is in localhost\/ledger/,
    )

    const logKey = parseSignerKey(t.config.ledger.signerKey).verifier.text
    const witnessKey = parseCosignerKey(t.config.witness.key as string).verifier.text
    const explicit = await cli([
      'ledger',
      'verify-receipt',
      good,
      '--log-key',
      logKey,
      '--witness-key',
      witnessKey,
    ])
    expect(explicit.code).toBe(0)

    const bad = join(t.dataDir, 'doctored.json')
    writeFileSync(bad, JSON.stringify({ ...receipt, index: receipt.index + 1 }))
    const refused = await cli(['ledger', 'verify-receipt', bad])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/LEDGER_INVALID_INCLUSION_PROOF/)

    writeFileSync(bad, '{not json')
    expect((await cli(['ledger', 'verify-receipt', bad])).code).toBe(1)
    expect((await cli(['ledger', 'verify-receipt'])).code).toBe(2)
  })

  it('audits the store: passes untouched, exits 1 naming a row changed behind the door', async () => {
    const clean = await cli(['ledger', 'audit'])
    expect(clean.stdout).toMatch(/audit passed/)
    expect(clean.code).toBe(0)

    const db = t.app.platform().store.admin
    const row = await db
      .selectFrom('access_records')
      .select(['id', 'purpose'])
      .executeTakeFirstOrThrow()
    await db
      .updateTable('access_records')
      .set({ purpose: 'rewritten' })
      .where('id', '=', row.id)
      .execute()
    try {
      const tampered = await cli(['ledger', 'audit'])
      expect(tampered.code).toBe(1)
      expect(tampered.stdout).toContain(`RECORD_MISMATCH access_records ${row.id}`)
      expect(tampered.stdout).toMatch(/audit FAILED: 1 findings/)
    } finally {
      await db
        .updateTable('access_records')
        .set({ purpose: row.purpose })
        .where('id', '=', row.id)
        .execute()
    }
  })
})
