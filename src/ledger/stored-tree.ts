/**
 * The Merkle tree as stored: leaf hashes in `ledger_entries` (level 0) and, for every complete
 * run of 256^L leaves, its subtree hash in `ledger_tile_hashes` (level L ≥ 1). These are exactly
 * the entries of C2SP tlog-tiles hash tiles, so any subtree hash the RFC 9162 proofs need comes
 * from at most 128 hashes of one tile: a proof costs O(log n) small reads at any log size.
 * Full tiles never change and are cached.
 */
import type { Kysely } from 'kysely'
import type { Schema } from '../storage/index.ts'
import { LedgerError } from './errors.ts'
import { hashChildren } from './merkle-hash.ts'
import { consistencyRanges, inclusionRanges, rootHash } from './merkle.ts'
import { entryBundle, TILE_WIDTH, type TileAddress } from './tiles.ts'

/** Reads the stored tree; `db` may be a transaction (the writer extends tiles inside one). */
export interface TreeReader {
  /** The hashes at height 8·level of nodes `[from, to)`, all of which must be complete. */
  levelHashes(level: number, from: number, to: number): Promise<Buffer[]>
  /** The hash of the complete subtree of height `height` at position `index` (RFC 9162 MTH). */
  nodeHash(height: number, index: number): Promise<Buffer>
}

export function createTreeReader(
  db: Kysely<Schema>,
  options: { cachedTiles?: number } = {},
): TreeReader {
  const capacity = options.cachedTiles ?? 0
  // A tile's hashes never change (a partial tile only grows), nor do the complete subtrees
  // inside it: each tile read is kept with its subtree hashes, one buffer per height 0–7, so
  // the tree above a leaf is computed once and shared by every later proof. A partial tile is
  // read again only when a request needs more of it than was read.
  const cache = new Map<string, Tile>()
  const tileOf = async (level: number, tile: number, needed: number): Promise<Tile> => {
    const key = `${level}/${tile}`
    const known = cache.get(key)
    if (known !== undefined && known.width >= needed) return known
    const hashes = await readLevel(db, level, tile * TILE_WIDTH, (tile + 1) * TILE_WIDTH)
    if (hashes.length < needed) {
      throw new LedgerError(
        'LEDGER_INCOMPLETE',
        `the stored tree lacks hashes ${tile * TILE_WIDTH + hashes.length}… at level ${level}`,
      )
    }
    const heights = [Buffer.concat(hashes)]
    for (let height = 1; height < 8; height++) {
      const below = heights[height - 1]
      const nodes: Buffer[] = []
      for (let at = 0; at + 64 <= below.length; at += 64)
        nodes.push(hashChildren(below.subarray(at, at + 32), below.subarray(at + 32, at + 64)))
      heights.push(Buffer.concat(nodes))
    }
    const read = { width: hashes.length, heights }
    if (capacity > 0) {
      cache.delete(key)
      if (cache.size >= capacity) cache.delete(cache.keys().next().value as string)
      cache.set(key, read)
    }
    return read
  }

  const reader: TreeReader = {
    async levelHashes(level, from, to) {
      const hashes: Buffer[] = []
      for (let start = from; start < to;) {
        const tile = Math.floor(start / TILE_WIDTH)
        const offset = tile * TILE_WIDTH
        const end = Math.min(to, offset + TILE_WIDTH)
        const bottom = (await tileOf(level, tile, end - offset)).heights[0]
        for (let node = start - offset; node < end - offset; node++)
          hashes.push(bottom.subarray(node * 32, node * 32 + 32))
        start = end
      }
      return hashes
    },
    async nodeHash(height, index) {
      const level = Math.floor(height / 8)
      const count = 2 ** (height % 8)
      const first = index * count
      const tile = Math.floor(first / TILE_WIDTH)
      const found = await tileOf(level, tile, first + count - tile * TILE_WIDTH)
      const at = ((first - tile * TILE_WIDTH) / count) * 32
      return found.heights[height % 8].subarray(at, at + 32)
    },
  }
  return reader
}

interface Tile {
  /** How many hashes of the tile were read (256 when full). */
  readonly width: number
  /** The complete subtrees inside, by height: height h holds floor(width / 2^h) hashes. */
  readonly heights: Buffer[]
}

async function readLevel(
  db: Kysely<Schema>,
  level: number,
  from: number,
  to: number,
): Promise<Buffer[]> {
  const rows =
    level === 0
      ? await db
          .selectFrom('ledger_entries')
          .select(['idx', 'leaf_hash as hash'])
          .where('idx', '>=', from)
          .where('idx', '<', to)
          .orderBy('idx')
          .execute()
      : await db
          .selectFrom('ledger_tile_hashes')
          .select(['idx', 'hash'])
          .where('level', '=', level)
          .where('idx', '>=', from)
          .where('idx', '<', to)
          .orderBy('idx')
          .execute()
  // Only a gapless run from `from` counts.
  const hashes: Buffer[] = []
  for (const row of rows) {
    if (Number(row.idx) !== from + hashes.length) break
    hashes.push(Buffer.from(row.hash))
  }
  return hashes
}

/** MTH(D[start:end]) for the ranges RFC 9162 proofs use (`start` aligned to the split). */
export async function rangeHash(reader: TreeReader, start: number, end: number): Promise<Buffer> {
  const size = end - start
  if (size <= 0) return rootHash([])
  if ((size & (size - 1)) === 0 && start % size === 0) {
    return reader.nodeHash(Math.log2(size), start / size)
  }
  let split = 1
  while (split * 2 < size) split *= 2
  return hashChildren(
    await rangeHash(reader, start, start + split),
    await rangeHash(reader, start + split, end),
  )
}

export async function storedInclusionProof(
  reader: TreeReader,
  index: number,
  size: number,
): Promise<Buffer[]> {
  const proof: Buffer[] = []
  for (const [start, end] of inclusionRanges(index, size))
    proof.push(await rangeHash(reader, start, end))
  return proof
}

export async function storedConsistencyProof(
  reader: TreeReader,
  oldSize: number,
  newSize: number,
): Promise<Buffer[]> {
  const proof: Buffer[] = []
  for (const [start, end] of consistencyRanges(oldSize, newSize))
    proof.push(await rangeHash(reader, start, end))
  return proof
}

/**
 * A tile's bytes, or undefined when the tree of `treeSize` does not have it (yet). A tile's
 * contents depend only on its address, so every tile served is immutable.
 */
export async function storedTile(
  db: Kysely<Schema>,
  reader: TreeReader,
  address: TileAddress,
  treeSize: number,
): Promise<Buffer | undefined> {
  const span = address.level === 'entries' ? 1 : TILE_WIDTH ** address.level
  const first = address.index * TILE_WIDTH
  const end = first + address.width
  if (end > Math.floor(treeSize / span)) return undefined
  if (address.level === 'entries') {
    const rows = await db
      .selectFrom('ledger_entries')
      .select('entry')
      .where('idx', '>=', first)
      .where('idx', '<', end)
      .orderBy('idx')
      .execute()
    return entryBundle(rows.map((row) => row.entry))
  }
  return Buffer.concat(await reader.levelHashes(address.level, first, end))
}

/**
 * Stores the level-≥1 hashes completed by growing the tree from `oldSize` to `newSize` leaves
 * (inside the transaction that appended the leaves). Idempotent, so it also repairs a store
 * whose tile hashes were never written (a log from before they existed).
 */
export async function extendTileHashes(
  db: Kysely<Schema>,
  oldSize: number,
  newSize: number,
): Promise<void> {
  const reader = createTreeReader(db)
  for (let level = 0; ; level++) {
    const span = TILE_WIDTH ** (level + 1)
    const first = Math.floor(oldSize / span)
    const last = Math.floor(newSize / span)
    if (last <= first) return
    const rows = []
    for (let node = first; node < last; node++) {
      const hashes = await reader.levelHashes(level, node * TILE_WIDTH, (node + 1) * TILE_WIDTH)
      rows.push({ level: level + 1, idx: node, hash: rootHash(hashes) })
    }
    for (let start = 0; start < rows.length; start += 500) {
      await db
        .insertInto('ledger_tile_hashes')
        .values(rows.slice(start, start + 500))
        .onConflict((conflict) => conflict.columns(['level', 'idx']).doNothing())
        .execute()
    }
  }
}
