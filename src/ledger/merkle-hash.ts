/** RFC 9162 §2.1.1: leaf hashes carry a 0x00 prefix, interior nodes 0x01, against second preimages. */
import { createHash } from 'node:crypto'

export function hashLeaf(entry: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest()
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest()
}

const LEAF_PREFIX = Buffer.from([0])
const NODE_PREFIX = Buffer.from([1])
