/** The log signs a C2SP checkpoint for every batch it appends, verifiable by anyone. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hashLeaf,
  openNote,
  parseSignerKey,
  parseCheckpoint,
  parseVerifierKey,
  rootHash,
  startOutboxDrain,
} from '../src/ledger/index.ts'
import { systemClock } from '../src/shared/index.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'

usePostgresCluster()

describe.each(ENGINES)('ledger checkpoints on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    // No background drain: each test drains explicitly, so none races another drain for entries.
    t = await startTestApp(engine, { options: { drainIntervalMs: 0 } })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const read = () =>
    t.inject({
      url: '/data/population/1.0?query.personalCode=38001085718',
      headers: { ...t.headers('PPA'), 'x-road-userid': 'EE39001010000', 'x-road-issue': 'case 1' },
    })

  it('serves a signed checkpoint over every entry, which the published key verifies', async () => {
    expect((await read()).statusCode).toBe(200)
    await t.app.platform().drain.drainOnce()
    const key = parseVerifierKey((await t.inject({ url: '/ledger/verifier-key' })).body)
    const reply = await t.inject({ url: '/ledger/checkpoint' })
    expect(reply.statusCode).toBe(200)
    expect(reply.headers['content-type']).toMatch(/^text\/plain/)
    const checkpoint = parseCheckpoint(openNote(reply.body, [key]).text)
    expect(checkpoint.origin).toBe(t.config.ledger.origin)
    const entries = await t.app
      .platform()
      .store.admin.selectFrom('ledger_entries')
      .select(['entry', 'leaf_hash'])
      .orderBy('idx')
      .execute()
    expect(checkpoint.size).toBe(entries.length)
    expect(entries.every((row) => Buffer.from(row.leaf_hash).equals(hashLeaf(row.entry)))).toBe(
      true,
    )
    expect(checkpoint.rootHash).toEqual(rootHash(entries.map((row) => Buffer.from(row.leaf_hash))))
  })

  it('continues the same tree from another drain (another process), one checkpoint per size', async () => {
    const store = t.app.platform().store
    const other = startOutboxDrain({
      store,
      clock: systemClock,
      intervalMs: 0,
      checkpoints: {
        origin: t.config.ledger.origin,
        signer: parseSignerKey(t.config.ledger.signerKey),
      },
    })
    expect((await read()).statusCode).toBe(200)
    expect((await read()).statusCode).toBe(200)
    expect(await other.drainOnce()).toBeGreaterThan(0)
    await other.stop()
    const checkpoints = await store.admin
      .selectFrom('ledger_checkpoints')
      .select(['size', 'root_hash'])
      .orderBy('size')
      .execute()
    const sizes = checkpoints.map((row) => Number(row.size))
    expect(new Set(sizes).size).toBe(sizes.length)
    const leaves = (
      await store.admin.selectFrom('ledger_entries').select('leaf_hash').orderBy('idx').execute()
    ).map((row) => Buffer.from(row.leaf_hash))
    for (const row of checkpoints)
      expect(Buffer.from(row.root_hash)).toEqual(rootHash(leaves, 0, Number(row.size)))
  })
})
