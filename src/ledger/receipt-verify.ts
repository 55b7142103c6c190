/**
 * Checking a receipt offline (see receipt.ts for what a receipt is). No database, no network:
 * the same code runs in the `e-state ledger verify-receipt` command and, bundled, in the
 * portal in the browser.
 */
import { parseCheckpoint } from './checkpoint.ts'
import { commitValues } from './commitment.ts'
import { verifyCosignatures, type CosignerVerifier } from './cosignature.ts'
import { LedgerError } from './errors.ts'
import { hashLeaf } from './merkle-hash.ts'
import { verifyInclusion } from './merkle.ts'
import { openNote, type NoteVerifier } from './note.ts'

export const RECEIPT_FORMAT = 'e-state-receipt/v1'

export interface ReceiptOpening {
  /** Hex salt and the committed values, in order. */
  readonly salt: string
  readonly values: readonly unknown[]
}

export interface Receipt {
  readonly format: typeof RECEIPT_FORMAT
  readonly index: number
  readonly kind: string
  /** The entry as logged, base64. */
  readonly entry: string
  /** Inclusion proof hashes, base64, against the checkpoint's size and root. */
  readonly proof: readonly string[]
  /** The published checkpoint note, with the log's signature and the cosignatures. */
  readonly checkpoint: string
  readonly opening?: ReceiptOpening
}

export interface VerifiedReceipt {
  readonly origin: string
  readonly index: number
  readonly size: number
  readonly kind: string
  readonly entry: Buffer
  readonly cosignedBy: readonly { name: string; timestamp: number }[]
  readonly opened: boolean
}

/**
 * Checks a receipt offline: the log signed the checkpoint, at least `quorum` of the given
 * witnesses cosigned it (all of them by default), the entry is included at its index, and an
 * opening, if present, reproduces the entry's commitment. Throws a LedgerError naming the first
 * failure.
 */
export function verifyReceipt(
  input: unknown,
  keys: {
    readonly log: NoteVerifier
    readonly witnesses: readonly CosignerVerifier[]
    readonly quorum?: number
  },
): VerifiedReceipt {
  const receipt = parseReceipt(input)
  const { text } = openNote(receipt.checkpoint, [keys.log])
  const checkpoint = parseCheckpoint(text)
  if (checkpoint.origin !== keys.log.name) {
    throw new LedgerError('LEDGER_INVALID_SIGNATURE', 'the checkpoint is from another log')
  }
  const cosignedBy = verifyCosignatures(receipt.checkpoint, keys.witnesses)
  const quorum = keys.quorum ?? keys.witnesses.length
  const distinct = new Set(cosignedBy.map((cosignature) => cosignature.name))
  if (distinct.size < quorum) {
    throw new LedgerError(
      'LEDGER_INVALID_SIGNATURE',
      `the checkpoint has ${distinct.size} of the ${quorum} witness cosignatures required`,
    )
  }
  const entry = Buffer.from(receipt.entry, 'base64')
  verifyInclusion(
    hashLeaf(entry),
    receipt.index,
    checkpoint.size,
    receipt.proof.map((hash) => Buffer.from(hash, 'base64')),
    checkpoint.rootHash,
  )
  if (receipt.opening !== undefined) {
    const committed = committedIn(entry)
    const opened = commitValues(Buffer.from(receipt.opening.salt, 'hex'), receipt.opening.values)
    if (committed !== opened) {
      throw new LedgerError(
        'LEDGER_MALFORMED_RECEIPT',
        'the opening does not reproduce the commitment in the entry',
      )
    }
  }
  return {
    origin: checkpoint.origin,
    index: receipt.index,
    size: checkpoint.size,
    kind: receipt.kind,
    entry,
    cosignedBy,
    opened: receipt.opening !== undefined,
  }
}

function committedIn(entry: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(entry.toString('utf8'))
    if (typeof parsed === 'object' && parsed !== null && 'commitment' in parsed)
      return String(parsed.commitment)
  } catch {
    // not a JSON entry: nothing to open
  }
  return undefined
}

function parseReceipt(input: unknown): Receipt {
  const fail = (why: string): never => {
    throw new LedgerError('LEDGER_MALFORMED_RECEIPT', `not a receipt: ${why}`)
  }
  if (typeof input !== 'object' || input === null) return fail('expected a JSON object')
  const value = input as Record<string, unknown>
  if (value.format !== RECEIPT_FORMAT) fail(`format must be ${RECEIPT_FORMAT}`)
  if (!Number.isSafeInteger(value.index) || (value.index as number) < 0) fail('bad index')
  if (typeof value.kind !== 'string') fail('bad kind')
  const base64 = /^[A-Za-z0-9+/]*={0,2}$/
  if (typeof value.entry !== 'string' || !base64.test(value.entry)) fail('bad entry')
  if (
    !Array.isArray(value.proof) ||
    value.proof.length > 64 ||
    value.proof.some((hash) => typeof hash !== 'string' || !base64.test(hash))
  )
    fail('bad proof')
  if (typeof value.checkpoint !== 'string' || value.checkpoint.length > 16_384)
    fail('bad checkpoint')
  if (value.opening !== undefined) {
    const opening = value.opening as Record<string, unknown>
    if (
      typeof opening !== 'object' ||
      opening === null ||
      typeof opening.salt !== 'string' ||
      !/^[0-9a-f]{32}$/.test(opening.salt) ||
      !Array.isArray(opening.values)
    )
      fail('bad opening')
  }
  return value as unknown as Receipt
}
