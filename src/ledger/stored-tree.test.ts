/**
 * The stored tree gives the same proofs, roots and tiles as the in-memory RFC 9162 functions,
 * across three tile levels (70,000 leaves: level-2 hashes exist from 65,536), on both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGINES, freshLocation, usePostgresCluster } from '../../test/support/engines.ts'
import { MIGRATIONS } from '../../test/support/migrations.ts'
import { systemClock } from '../shared/index.ts'
import { openStore, type Store } from '../storage/index.ts'
import { openLedger } from './log.ts'
import { hashLeaf } from './merkle-hash.ts'
import { consistencyProof, inclusionProof, rootHash } from './merkle.ts'
import { generateSigner } from './note.ts'
import {
  createTreeReader,
  rangeHash,
  storedConsistencyProof,
  storedInclusionProof,
  storedTile,
} from './stored-tree.ts'
import { tilesForSize, parseTilePath } from './tiles.ts'

usePostgresCluster()

const SIZE = 70_000
/**
 * The entries, their leaves and the in-memory tree's answers (each a pass over up to 70,000
 * leaves), made once for both engines and let go when the file ends: with `isolate: false` a
 * module-level array would stay in the worker for the rest of the run.
 */
let data: { entries: Buffer[]; leaves: Buffer[] } | undefined
let reference: ReturnType<typeof computeReference> | undefined
afterAll(() => {
  data = undefined
  reference = undefined
})
function fixture(): { entries: Buffer[]; leaves: Buffer[] } {
  if (data === undefined) {
    const entries = Array.from({ length: SIZE }, (_, n) => Buffer.from(`entry ${n}`))
    data = { entries, leaves: entries.map((entry) => hashLeaf(entry)) }
  }
  return data
}
function referenceProofs(): ReturnType<typeof computeReference> {
  return (reference ??= computeReference())
}

function computeReference() {
  const leaves = fixture().leaves
  const inclusion = [
    [0, 1],
    [0, SIZE],
    [255, 256],
    [256, 257],
    [65_535, 65_536],
    [65_536, SIZE],
    [SIZE - 1, SIZE],
    [12_345, 40_000],
    [69_000, 69_999],
  ].map(([index, size]) => ({ index, size, proof: inclusionProof(leaves, index, size) }))
  const consistency = [
    [1, SIZE],
    [256, 65_536],
    [300, 65_537],
    [65_536, SIZE],
    [7, 8],
    [SIZE, SIZE],
  ].map(([from, to]) => ({ from, to, proof: consistencyProof(leaves, from, to) }))
  const roots = [1, 255, 256, 65_536, SIZE].map((size) => ({
    size,
    hash: rootHash(leaves, 0, size),
  }))
  return { inclusion, consistency, roots }
}

describe.each(ENGINES)('the stored tree on %s', (engine) => {
  let store: Store
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    const location = await freshLocation(engine)
    cleanup = location.cleanup
    store = await openStore({ url: location.url })
    await store.migrate(MIGRATIONS)
    const ledger = await openLedger({
      store,
      clock: systemClock,
      origin: 'test.example/ledger',
      signer: generateSigner('test.example/ledger').signer,
      witnesses: [],
      intervalMs: 0,
    })
    // In order, in batches of a thousand concurrent appends.
    for (let start = 0; start < SIZE; start += 1000)
      await Promise.all(
        fixture()
          .entries.slice(start, start + 1000)
          .map((entry) => ledger.append('t', entry)),
      )
    await ledger.stop()
  }, 120_000)
  afterAll(async () => {
    await store?.close()
    await cleanup?.()
  })

  it('stores one hash per complete 256^L-leaf subtree', async () => {
    const rows = await store.admin
      .selectFrom('ledger_tile_hashes')
      .select(['level', 'idx', 'hash'])
      .orderBy('level')
      .orderBy('idx')
      .execute()
    expect(rows.filter((row) => row.level === 1)).toHaveLength(Math.floor(SIZE / 256))
    expect(rows.filter((row) => row.level === 2)).toHaveLength(1)
    expect(Buffer.from(rows[rows.length - 1].hash)).toEqual(rootHash(fixture().leaves, 0, 65_536))
  })

  it('proves inclusion and consistency exactly as the in-memory tree does', async () => {
    const expected = referenceProofs()
    for (const cached of [0, 64]) {
      const tree = createTreeReader(store.db, { cachedTiles: cached })
      for (const { index, size, proof } of expected.inclusion)
        expect(await storedInclusionProof(tree, index, size)).toEqual(proof)
      for (const { from, to, proof } of expected.consistency)
        expect(await storedConsistencyProof(tree, from, to)).toEqual(proof)
      for (const { size, hash } of expected.roots)
        expect(await rangeHash(tree, 0, size)).toEqual(hash)
    }
  })

  it('serves every tile of a size byte for byte as the in-memory tiles', async () => {
    const tree = createTreeReader(store.db, { cachedTiles: 16 })
    const size = 66_000
    const { leaves, entries } = fixture()
    const expected = tilesForSize(leaves, entries, size)
    // Every hash tile, and a sample of the entry bundles.
    const sample = expected.filter(
      (file) =>
        !file.path.startsWith('tile/entries/') ||
        ['tile/entries/000', 'tile/entries/257'].includes(file.path),
    )
    expect(sample.length).toBeGreaterThan(260)
    for (const file of sample) {
      const bytes = await storedTile(store.db, tree, parseTilePath(file.path), size)
      expect(bytes, file.path).toEqual(file.bytes)
    }
  })
})
