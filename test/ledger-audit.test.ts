/**
 * `e-state ledger audit` on both engines: a clean store passes; a row changed or deleted
 * directly in the database, a rewritten entry or a doctored checkpoint is named.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  auditLog,
  parseCosignerKey,
  parseSignerKey,
  type AuditFinding,
} from '../src/ledger/index.ts'
import { auditRecords } from '../src/registries/index.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'

usePostgresCluster()

describe.each(ENGINES)('the ledger audit on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, { options: { drainIntervalMs: 0 } })
    // Some reads and a change, all logged and published.
    for (const code of ['38001085718', '48707032744']) {
      const reply = await t.inject({
        url: `/data/population/1.0?query.personalCode=${code}`,
        headers: {
          ...t.headers('PPA'),
          'x-road-userid': 'EE39001010000',
          'x-road-issue': 'case 7',
        },
      })
      expect(reply.statusCode).toBe(200)
    }
    const change = await t.inject({
      method: 'PUT',
      url: '/data/population/1.0/update',
      headers: {
        ...t.headers('SIM'),
        'x-road-userid': 'EE48707032744',
        'x-road-issue': 'application 1',
        'content-type': 'application/json',
      },
      payload: JSON.stringify({
        query: { content: { personalCode: '38001085718' } },
        write: { content: { contactEmail: 'audit@example.org' } },
      }),
    })
    expect(change.statusCode).toBe(200)
    await t.app.platform().ledger.drainOnce()
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  let counted = { entries: 0, accessRecords: 0, registryChanges: 0 }
  const audit = async (): Promise<AuditFinding[]> => {
    const db = t.app.platform().store.admin
    const log = await auditLog(db, {
      log: parseSignerKey(t.config.ledger.signerKey).verifier,
      witnesses: [parseCosignerKey(t.config.witness.key as string).verifier],
    })
    const records = await auditRecords(db)
    counted = { entries: log.entries, ...records }
    return [...log.findings, ...records.findings]
  }

  it('passes on an untouched store', async () => {
    expect(await audit()).toEqual([])
    expect(counted.entries).toBeGreaterThan(3)
    expect(counted.accessRecords).toBeGreaterThan(0)
    expect(counted.registryChanges).toBe(1)
  })

  it('names an access record changed behind the door, and passes again once restored', async () => {
    const db = t.app.platform().store.admin
    const row = await db
      .selectFrom('access_records')
      .select(['id', 'purpose'])
      .orderBy('id')
      .limit(1)
      .executeTakeFirstOrThrow()
    await db
      .updateTable('access_records')
      .set({ purpose: 'nothing to see' })
      .where('id', '=', row.id)
      .execute()
    expect(await audit()).toEqual([
      expect.objectContaining({ code: 'RECORD_MISMATCH', at: `access_records ${row.id}` }),
    ])
    await db
      .updateTable('access_records')
      .set({ purpose: row.purpose })
      .where('id', '=', row.id)
      .execute()
    expect(await audit()).toEqual([])
  })

  it('names a registry change deleted from the database', async () => {
    const db = t.app.platform().store.admin
    const row = await db.selectFrom('registry_changes').selectAll().executeTakeFirstOrThrow()
    await db.deleteFrom('registry_changes').where('id', '=', row.id).execute()
    expect(await audit()).toEqual([
      expect.objectContaining({ code: 'LOGGED_RECORD_MISSING', at: `registry_changes ${row.id}` }),
    ])
    await db.insertInto('registry_changes').values(row).execute()
    expect(await audit()).toEqual([])
  })

  it('names a rewritten ledger entry, even with its leaf hash rewritten to match', async () => {
    const db = t.app.platform().store.admin
    const row = await db
      .selectFrom('ledger_entries')
      .select(['idx', 'entry', 'leaf_hash'])
      .where('idx', '=', 1)
      .executeTakeFirstOrThrow()
    await db
      .updateTable('ledger_entries')
      .set({ entry: Buffer.from('{"kind":"genesis"}') })
      .where('idx', '=', 1)
      .execute()
    const findings = await audit()
    expect(findings).toContainEqual(
      expect.objectContaining({ code: 'ENTRY_HASH_MISMATCH', at: 'entry 1' }),
    )
    const { hashLeaf } = await import('../src/ledger/index.ts')
    await db
      .updateTable('ledger_entries')
      .set({ leaf_hash: hashLeaf(Buffer.from('{"kind":"genesis"}')) })
      .where('idx', '=', 1)
      .execute()
    const rewritten = await audit()
    expect(rewritten.map((finding) => finding.code)).toContain('CHECKPOINT_ROOT_MISMATCH')
    expect(rewritten.map((finding) => finding.code)).not.toContain('ENTRY_HASH_MISMATCH')
    await db
      .updateTable('ledger_entries')
      .set({ entry: row.entry, leaf_hash: row.leaf_hash })
      .where('idx', '=', 1)
      .execute()
    expect(await audit()).toEqual([])
  })

  it('names a checkpoint whose signed note was doctored', async () => {
    const db = t.app.platform().store.admin
    const row = await db
      .selectFrom('ledger_checkpoints')
      .select(['size', 'note'])
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow()
    await sql`update ledger_checkpoints set note = ${row.note.replace('\n\n', '\nextra\n\n')} where size = ${row.size}`.execute(
      db,
    )
    expect(await audit()).toEqual([
      expect.objectContaining({
        code: 'CHECKPOINT_SIGNATURE_INVALID',
        at: `checkpoint ${row.size}`,
      }),
    ])
    await db
      .updateTable('ledger_checkpoints')
      .set({ note: row.note })
      .where('size', '=', row.size)
      .execute()
    expect(await audit()).toEqual([])
  })
})
