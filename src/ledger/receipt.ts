/**
 * Receipts: proof, verifiable offline, that an entry is in the log. A receipt is the entry, its
 * RFC 9162 inclusion proof and the published checkpoint it is proved against (signed by the log,
 * cosigned by the witnesses) — a few kB. Anyone holding the log's and the witnesses' verifier
 * keys can check it without asking e-state anything. A receipt may also carry an opening (the
 * salt and values behind the entry's commitment), which ties the public entry to the readable
 * record it stands for: that is what a citizen's data-tracker receipt adds.
 */
import type { Kysely } from 'kysely'
import type { Schema } from '../storage/index.ts'
import { LedgerError } from './errors.ts'
import { latestPublished } from './log.ts'
import { RECEIPT_FORMAT, type Receipt, type ReceiptOpening } from './receipt-verify.ts'
import { storedInclusionProof, type TreeReader } from './stored-tree.ts'

/** The receipt of entry `index` against the newest published checkpoint. */
export async function buildReceipt(
  db: Kysely<Schema>,
  tree: TreeReader,
  index: number,
  opening?: ReceiptOpening,
): Promise<Receipt> {
  const published = await latestPublished(db)
  if (published === undefined || index >= published.size) {
    throw new LedgerError(
      'LEDGER_UNKNOWN_ENTRY',
      `entry ${index} is not in a published checkpoint yet (published: ${published?.size ?? 0})`,
    )
  }
  const row = await db
    .selectFrom('ledger_entries')
    .select(['kind', 'entry'])
    .where('idx', '=', index)
    .executeTakeFirstOrThrow()
  const proof = await storedInclusionProof(tree, index, published.size)
  return {
    format: RECEIPT_FORMAT,
    index,
    kind: row.kind,
    entry: Buffer.from(row.entry).toString('base64'),
    proof: proof.map((hash) => hash.toString('base64')),
    checkpoint: published.note,
    ...(opening === undefined ? {} : { opening }),
  }
}
