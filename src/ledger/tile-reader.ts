/**
 * Tiles from the stored entries, for a tree of a given (signed) size. A tile's contents depend
 * only on its address, so every tile served is immutable: a partial tile of width W is the same
 * bytes whether the log has since grown or not.
 */
import type { Kysely } from 'kysely'
import type { Schema } from '../storage/index.ts'
import { rootHash } from './merkle.ts'
import { entryBundle, TILE_WIDTH, type TileAddress } from './tiles.ts'

/** The tile's bytes, or undefined when a tree of `treeSize` does not have it yet. */
export async function readTile(
  db: Kysely<Schema>,
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
  const leaves = (
    await db
      .selectFrom('ledger_entries')
      .select('leaf_hash')
      .where('idx', '>=', first * span)
      .where('idx', '<', end * span)
      .orderBy('idx')
      .execute()
  ).map((row) => Buffer.from(row.leaf_hash))
  const hashes: Buffer[] = []
  for (let node = 0; node < address.width; node++)
    hashes.push(rootHash(leaves, node * span, (node + 1) * span))
  return Buffer.concat(hashes)
}
