/**
 * RFC 9162 proofs against transparency-dev/merkle's published vectors (../shared/vectors/merkle):
 * every happy path verifies, every broken proof is rejected. Generation is checked against the
 * same vectors, rebuilt from RFC 6962's eight test leaves, and by round trips on other sizes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hashLeaf } from './merkle-hash.ts'
import {
  consistencyProof,
  inclusionProof,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts'

const VECTORS = join(import.meta.dirname, '../../../shared/vectors/merkle')

function jsonFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    return statSync(path).isDirectory() ? jsonFiles(path) : path.endsWith('.json') ? [path] : []
  })
}

const bytes = (base64: string | null | undefined): Buffer => Buffer.from(base64 ?? '', 'base64')
const nodes = (proof: string[] | null): Buffer[] => (proof ?? []).map(bytes)

interface InclusionVector {
  leafIdx: number
  treeSize: number
  root: string
  leafHash: string
  proof: string[] | null
  desc: string
  wantErr: boolean
}

interface ConsistencyVector {
  size1: number
  size2: number
  root1: string
  root2: string
  proof: string[] | null
  desc: string
  wantErr: boolean
}

const inclusion = jsonFiles(join(VECTORS, 'inclusion')).map((path) => ({
  name: relative(VECTORS, path),
  vector: JSON.parse(readFileSync(path, 'utf8')) as InclusionVector,
}))
const consistency = jsonFiles(join(VECTORS, 'consistency')).map((path) => ({
  name: relative(VECTORS, path),
  vector: JSON.parse(readFileSync(path, 'utf8')) as ConsistencyVector,
}))

// RFC 6962's test leaves, the tree the vectors' happy paths are drawn from.
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => hashLeaf(Buffer.from(hex, 'hex')))

describe('the merkle vectors', () => {
  it('are all here', () => {
    expect(inclusion.length + consistency.length).toBeGreaterThan(150)
  })

  it.each(inclusion)('inclusion $name', ({ vector }) => {
    const verify = () =>
      verifyInclusion(
        bytes(vector.leafHash),
        vector.leafIdx,
        vector.treeSize,
        nodes(vector.proof),
        bytes(vector.root),
      )
    if (vector.wantErr)
      expect(verify).toThrow(expect.objectContaining({ code: expect.stringMatching(/^LEDGER_/) }))
    else expect(verify).not.toThrow()
  })

  it.each(consistency)('consistency $name', ({ vector }) => {
    const verify = () =>
      verifyConsistency(
        vector.size1,
        vector.size2,
        nodes(vector.proof),
        bytes(vector.root1),
        bytes(vector.root2),
      )
    if (vector.wantErr)
      expect(verify).toThrow(expect.objectContaining({ code: expect.stringMatching(/^LEDGER_/) }))
    else expect(verify).not.toThrow()
  })
})

describe('proof generation', () => {
  it('reproduces the vectors from the RFC 6962 test leaves', () => {
    let checked = 0
    for (const { vector } of inclusion) {
      if (
        vector.wantErr ||
        vector.treeSize > LEAVES.length ||
        !bytes(vector.root).equals(rootHash(LEAVES, 0, vector.treeSize))
      )
        continue
      expect(inclusionProof(LEAVES, vector.leafIdx, vector.treeSize)).toEqual(nodes(vector.proof))
      checked++
    }
    for (const { vector } of consistency) {
      if (
        vector.wantErr ||
        vector.size2 > LEAVES.length ||
        !bytes(vector.root2).equals(rootHash(LEAVES, 0, vector.size2))
      )
        continue
      expect(consistencyProof(LEAVES, vector.size1, vector.size2)).toEqual(nodes(vector.proof))
      checked++
    }
    expect(checked).toBeGreaterThan(5)
  })

  it('makes proofs that verify for every leaf and every pair of sizes up to 40 leaves', () => {
    const leaves = Array.from({ length: 40 }, (_, index) => hashLeaf(Buffer.from(`entry ${index}`)))
    for (let size = 1; size <= leaves.length; size++) {
      const root = rootHash(leaves, 0, size)
      for (let index = 0; index < size; index++) {
        verifyInclusion(leaves[index], index, size, inclusionProof(leaves, index, size), root)
      }
      for (let older = 1; older <= size; older++) {
        verifyConsistency(
          older,
          size,
          consistencyProof(leaves, older, size),
          rootHash(leaves, 0, older),
          root,
        )
      }
    }
  })

  it('rejects a proof for another leaf, a forked history and out-of-range requests', () => {
    const leaves = Array.from({ length: 13 }, (_, index) => hashLeaf(Buffer.from(`entry ${index}`)))
    const root = rootHash(leaves)
    expect(() => verifyInclusion(leaves[4], 5, 13, inclusionProof(leaves, 5), root)).toThrow(
      /inclusion proof rejected/,
    )
    const forked = [...leaves.slice(0, 7), hashLeaf(Buffer.from('rewritten')), ...leaves.slice(8)]
    expect(() =>
      verifyConsistency(9, 13, consistencyProof(forked, 9), rootHash(leaves, 0, 9), root),
    ).toThrow(/consistency proof rejected/)
    expect(() => inclusionProof(leaves, 13)).toThrow(
      expect.objectContaining({ code: 'LEDGER_INVALID_ARGUMENT' }),
    )
    expect(() => consistencyProof(leaves, 0)).toThrow(
      expect.objectContaining({ code: 'LEDGER_INVALID_ARGUMENT' }),
    )
  })
})
