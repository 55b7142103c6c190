/** The log signs a C2SP checkpoint for every batch it appends, verifiable by anyone. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hashLeaf,
  openNote,
  parseSignerKey,
  entryBundle,
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

  it('serves the tiles of the signed tree, immutable, and refuses others', async () => {
    expect((await read()).statusCode).toBe(200)
    await t.app.platform().drain.drainOnce()
    const key = parseVerifierKey((await t.inject({ url: '/ledger/verifier-key' })).body)
    const size = parseCheckpoint(
      openNote((await t.inject({ url: '/ledger/checkpoint' })).body, [key]).text,
    ).size
    const rows = await t.app
      .platform()
      .store.admin.selectFrom('ledger_entries')
      .select(['entry', 'leaf_hash'])
      .where('idx', '<', size)
      .orderBy('idx')
      .execute()
    const width = Math.min(size, 255)
    const hashes = await t.inject({ url: `/ledger/tile/0/000.p/${width}` })
    expect(hashes.statusCode).toBe(200)
    expect(hashes.headers['cache-control']).toMatch(/immutable/)
    expect(hashes.rawPayload).toEqual(
      Buffer.concat(rows.slice(0, width).map((row) => Buffer.from(row.leaf_hash))),
    )
    const bundle = await t.inject({ url: `/ledger/tile/entries/000.p/${width}` })
    expect(bundle.rawPayload).toEqual(entryBundle(rows.slice(0, width).map((row) => row.entry)))
    for (const url of [
      `/ledger/tile/0/000.p/${width + 1}`,
      '/ledger/tile/0/001',
      '/ledger/tile/0/0.p/1',
      '/ledger/tile/9/../x',
      '/ledger/tile/0/000.p/0',
    ]) {
      const reply = await t.inject({ url })
      expect(reply.statusCode, url).toBe(404)
      expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
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
