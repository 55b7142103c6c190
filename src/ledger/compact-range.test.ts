import { describe, expect, it } from 'vitest'
import { createCompactRange } from './compact-range.ts'
import { hashLeaf } from './merkle-hash.ts'
import { rootHash } from './merkle.ts'

describe('the compact range', () => {
  it('gives the RFC 9162 root after every append, up to 300 leaves', () => {
    const leaves = Array.from({ length: 300 }, (_, index) =>
      hashLeaf(Buffer.from(`entry ${index}`)),
    )
    const range = createCompactRange()
    expect(range.root()).toEqual(rootHash([]))
    leaves.forEach((leaf, index) => {
      range.append(leaf)
      expect(range.size).toBe(index + 1)
      expect(range.root()).toEqual(rootHash(leaves, 0, index + 1))
    })
  })
})
