/**
 * The right edge of a Merkle tree ("compact range" / frontier): the roots of the perfect
 * subtrees that make up the first `size` leaves, largest first — at most log2(size) hashes.
 * Appending a leaf merges equal-height subtrees; the root folds the edge from the right. This
 * gives RFC 9162 roots in O(log n) per append, so the log can checkpoint every second without
 * rehashing history.
 */
import { createHash } from 'node:crypto'
import { hashChildren } from './merkle-hash.ts'

export interface CompactRange {
  readonly size: number
  append(leafHash: Uint8Array): void
  root(): Buffer
  /** An independent copy (to extend inside a transaction that may still fail). */
  clone(): CompactRange
}

export function createCompactRange(from?: {
  nodes: Buffer[]
  heights: number[]
  size: number
}): CompactRange {
  // nodes[i] covers 2^heights[i] leaves; heights strictly decrease.
  const nodes: Buffer[] = [...(from?.nodes ?? [])]
  const heights: number[] = [...(from?.heights ?? [])]
  let size = from?.size ?? 0
  return {
    get size() {
      return size
    },
    append(leafHash) {
      let node: Buffer = Buffer.from(leafHash)
      let height = 0
      while (heights.length > 0 && heights[heights.length - 1] === height) {
        node = hashChildren(nodes.pop() as Buffer, node)
        heights.pop()
        height++
      }
      nodes.push(node)
      heights.push(height)
      size++
    },
    clone() {
      return createCompactRange({ nodes, heights, size })
    },
    root() {
      if (nodes.length === 0) return createHash('sha256').digest()
      let root = nodes[nodes.length - 1]
      for (let index = nodes.length - 2; index >= 0; index--)
        root = hashChildren(nodes[index], root)
      return root
    },
  }
}
