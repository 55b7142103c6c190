/**
 * RFC 9162 Merkle trees: the root of a list of leaf hashes (§2.1.1), inclusion proofs (§2.1.3)
 * and consistency proofs (§2.1.4), generated and verified.
 *
 * The verifiers follow the RFC's algorithms step by step and add the conventions of
 * transparency-dev/merkle that its test vectors encode: hashes are exactly 32 bytes, and a
 * consistency proof from size 0 is an error (there is nothing to be consistent with).
 * Generation first lists the subtrees a proof needs (`inclusionRanges`, `consistencyRanges`);
 * their hashes come from an in-memory array here and from the stored tiles in the log.
 */
import { createHash } from 'node:crypto'
import { LedgerError } from './errors.ts'
import { hashChildren } from './merkle-hash.ts'

const HASH_BYTES = 32
const EMPTY_ROOT = createHash('sha256').digest()

/** MTH(D[n]): the root hash of leaf hashes `leaves[start, end)`. */
export function rootHash(leaves: readonly Uint8Array[], start = 0, end = leaves.length): Buffer {
  const size = end - start
  if (size === 0) return EMPTY_ROOT
  if (size === 1) return Buffer.from(leaves[start])
  const split = largestPowerOfTwoBelow(size)
  return hashChildren(rootHash(leaves, start, start + split), rootHash(leaves, start + split, end))
}

/** PATH(m, D[n]) (§2.1.3.1): the audit path of leaf `index` in the first `size` leaves. */
export function inclusionProof(
  leaves: readonly Uint8Array[],
  index: number,
  size = leaves.length,
): Buffer[] {
  if (size > leaves.length) {
    throw new LedgerError('LEDGER_INVALID_ARGUMENT', `no leaf ${index} in a tree of ${size}`)
  }
  return inclusionRanges(index, size).map(([start, end]) => rootHash(leaves, start, end))
}

/** PROOF(m, D[n]) (§2.1.4.1): proves the tree of `oldSize` leaves is a prefix of `newSize`. */
export function consistencyProof(
  leaves: readonly Uint8Array[],
  oldSize: number,
  newSize = leaves.length,
): Buffer[] {
  if (newSize > leaves.length) {
    throw new LedgerError(
      'LEDGER_INVALID_ARGUMENT',
      `no consistency proof from ${oldSize} to ${newSize}`,
    )
  }
  return consistencyRanges(oldSize, newSize).map(([start, end]) => rootHash(leaves, start, end))
}

/** A run of leaves `[start, end)` whose subtree hash MTH(D[start:end]) is one proof node. */
export type LeafRange = readonly [start: number, end: number]

/**
 * The subtrees whose hashes make up PATH(index, D[size]), in proof order. The same list serves
 * an in-memory tree and the stored one (which fetches each hash from its tiles).
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new LedgerError('LEDGER_INVALID_ARGUMENT', `no leaf ${index} in a tree of ${size}`)
  }
  const ranges: LeafRange[] = []
  let start = 0
  let end = size
  const stack: LeafRange[] = []
  while (end - start > 1) {
    const split = largestPowerOfTwoBelow(end - start)
    if (index < start + split) {
      stack.push([start + split, end])
      end = start + split
    } else {
      stack.push([start, start + split])
      start += split
    }
  }
  // The recursion emits the deepest sibling first.
  while (stack.length > 0) ranges.push(stack.pop() as LeafRange)
  return ranges
}

/** The subtrees whose hashes make up PROOF(oldSize, D[newSize]), in proof order. */
export function consistencyRanges(oldSize: number, newSize: number): LeafRange[] {
  if (
    !Number.isSafeInteger(oldSize) ||
    !Number.isSafeInteger(newSize) ||
    oldSize < 1 ||
    oldSize > newSize
  ) {
    throw new LedgerError(
      'LEDGER_INVALID_ARGUMENT',
      `no consistency proof from ${oldSize} to ${newSize}`,
    )
  }
  const stack: LeafRange[] = []
  let m = oldSize
  let start = 0
  let end = newSize
  let complete = true
  for (;;) {
    const n = end - start
    if (m === n) {
      if (!complete) stack.push([start, end])
      break
    }
    const split = largestPowerOfTwoBelow(n)
    if (m <= split) {
      stack.push([start + split, end])
      end = start + split
    } else {
      stack.push([start, start + split])
      m -= split
      start += split
      complete = false
    }
  }
  return stack.reverse()
}

/** §2.1.3.2: does `proof` show `leafHash` at `index` in the tree of `size` with `root`? */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const fail = (why: string): never => {
    throw new LedgerError('LEDGER_INVALID_INCLUSION_PROOF', `inclusion proof rejected: ${why}`)
  }
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    fail(`leaf ${index} is outside a tree of ${size}`)
  if (leafHash.length !== HASH_BYTES || root.length !== HASH_BYTES) fail('hashes must be 32 bytes')
  if (proof.some((node) => node.length !== HASH_BYTES)) fail('proof hashes must be 32 bytes')
  let fn = index
  let sn = size - 1
  let r: Buffer = Buffer.from(leafHash)
  for (const p of proof) {
    if (sn === 0) fail('the proof is longer than the path')
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      r = hashChildren(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  if (sn !== 0) fail('the proof is shorter than the path')
  if (!r.equals(root)) fail('the computed root differs')
}

/** §2.1.4.2: does `proof` show the tree (`oldSize`, `oldRoot`) is a prefix of (`newSize`, `newRoot`)? */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  proof: readonly Uint8Array[],
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): void {
  const fail = (why: string): never => {
    throw new LedgerError('LEDGER_INVALID_CONSISTENCY_PROOF', `consistency proof rejected: ${why}`)
  }
  if (
    !Number.isSafeInteger(oldSize) ||
    !Number.isSafeInteger(newSize) ||
    oldSize < 1 ||
    oldSize > newSize
  ) {
    fail(`sizes ${oldSize} → ${newSize} cannot be proved consistent`)
  }
  // Equal sizes: nothing to prove, the roots must simply be the same bytes.
  if (oldSize === newSize) {
    if (proof.length !== 0) fail('equal sizes need an empty proof')
    if (!Buffer.from(oldRoot).equals(Buffer.from(newRoot))) fail('equal sizes with different roots')
    return
  }
  if (oldRoot.length !== HASH_BYTES || newRoot.length !== HASH_BYTES) fail('roots must be 32 bytes')
  if (proof.some((node) => node.length !== HASH_BYTES)) fail('proof hashes must be 32 bytes')
  // Step 1: if the old size is a power of two, the old root is the first node of the proof.
  const nodes = isPowerOfTwo(oldSize)
    ? [Buffer.from(oldRoot), ...proof.map((node) => Buffer.from(node))]
    : proof.map((node) => Buffer.from(node))
  if (nodes.length === 0) fail('the proof is empty')
  let fn = oldSize - 1
  let sn = newSize - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr: Buffer = nodes[0]
  let sr: Buffer = nodes[0]
  for (const c of nodes.slice(1)) {
    if (sn === 0) fail('the proof is longer than needed')
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr)
      sr = hashChildren(c, sr)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      sr = hashChildren(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  if (sn !== 0) fail('the proof is shorter than needed')
  if (!fr.equals(Buffer.from(oldRoot))) fail('the old root differs')
  if (!sr.equals(Buffer.from(newRoot))) fail('the new root differs')
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0
}
