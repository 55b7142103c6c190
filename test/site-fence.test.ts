/**
 * The site fence on every act of the platform: whatever ends in the ledger (an outbox row or an
 * entry) is refused on a fenced site, and on PostgreSQL from a connection that declares another
 * generation than the site's; a node refuses to start on a fenced store, or on one older than
 * the generation it has already seen (an old primary left behind by a promotion).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, readConfig } from '../src/main/index.ts'
import { openStore } from '../src/storage/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { ENGINES } from './support/engines.ts'

const outboxRow = () => ({
  kind: 'exchange-registry' as const,
  ref_id: 0,
  recorded_at: new Date().toISOString(),
  entry: Buffer.from('{"act":"fence-test"}'),
})

describe.each(ENGINES)('the site fence on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, { population: 100 })
  }, 120_000)
  afterAll(async () => t?.close())

  it('refuses every act on a fenced site, with a clear answer, and lets it go again', async () => {
    const db = t.app.platform().store.admin
    await db.insertInto('ledger_outbox').values(outboxRow()).execute()
    await db.updateTable('cloud_site').set({ fenced_at: new Date().toISOString() }).execute()
    try {
      await expect(db.insertInto('ledger_outbox').values(outboxRow()).execute()).rejects.toThrow(
        /fenced/i,
      )
      // An act over HTTP that reaches the ledger: refused with 503 SITE_FENCED, not a 500.
      const sim = t.credentials('SIM')
      const upload = await t.inject({
        method: 'PUT',
        url: '/api/v1/openapi/population-register/population',
        headers: { authorization: sim.authorization },
        payload: { openapi: '3.1.0', info: { title: 'x', version: '1' }, paths: {} },
      })
      expect(upload.statusCode).toBe(503)
      expect(upload.json().code).toBe('SITE_FENCED')
      // A node starting on it is refused.
      const node = await createApp(t.config)
      await expect(node.start()).rejects.toMatchObject({ code: 'CLOUD_FENCED' })
      await node.close()
    } finally {
      await db.updateTable('cloud_site').set({ fenced_at: null }).execute()
    }
    await db.insertInto('ledger_outbox').values(outboxRow()).execute()
  }, 120_000)
})

describe('declared generations on postgres', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp('postgres', { population: 100 })
  }, 120_000)
  afterAll(async () => t?.close())

  it('refuses acts from a node that has seen a newer generation, and its start', async () => {
    const ahead = await openStore({ url: t.config.databaseUrl, generation: 2 })
    try {
      await expect(
        ahead.admin.insertInto('ledger_outbox').values(outboxRow()).execute(),
      ).rejects.toThrow(/generation 2 refused: this site is at generation 1/)
    } finally {
      await ahead.close()
    }
    const current = await openStore({ url: t.config.databaseUrl, generation: 1 })
    try {
      await current.admin.insertInto('ledger_outbox').values(outboxRow()).execute()
    } finally {
      await current.close()
    }
    // A node whose data folder remembers generation 2 refuses this (generation 1) store.
    writeFileSync(join(t.dataDir, 'site-generation'), '2\n')
    try {
      const node = await createApp(readConfig({ ...process.env, ...envOf(t) }))
      await expect(node.start()).rejects.toMatchObject({ code: 'CLOUD_FENCED' })
      await node.close()
    } finally {
      writeFileSync(join(t.dataDir, 'site-generation'), '1\n')
    }
  }, 120_000)
})

function envOf(t: TestApp): Record<string, string> {
  const ring = t.config.masterKeys
  return {
    E_STATE_ENV: 'development',
    E_STATE_DATA_DIR: t.dataDir,
    E_STATE_DATABASE_URL: t.config.databaseUrl,
    E_STATE_MASTER_KEY: `${ring.current.id}:${Buffer.from(ring.current.key).toString('base64')}`,
    E_STATE_LOG_LEVEL: 'silent',
  }
}
