/**
 * Conformance with a real C2SP log: appending the 15 entries of transparency-dev/tessera's test
 * log with its test key reproduces every signed checkpoint and every tile byte for byte
 * (../shared/vectors/tessera-log, see its README).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatCheckpoint, parseCheckpoint } from './checkpoint.ts'
import { hashLeaf } from './merkle-hash.ts'
import {
  consistencyProof,
  inclusionProof,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts'
import { generateSigner, openNote, parseSignerKey, parseVerifierKey, signNote } from './note.ts'
import { parseTilePath, tilePath, tilesForSize } from './tiles.ts'

const LOG = join(import.meta.dirname, '../../../shared/vectors/tessera-log')
const SIGNER =
  'PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg'
const VERIFIER = 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx'
const ENTRIES =
  'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'
    .split(' ')
    .map((word) => Buffer.from(word))
const leafHashes = ENTRIES.map((entry) => hashLeaf(entry))
const signer = parseSignerKey(SIGNER)
const verifier = parseVerifierKey(VERIFIER)

describe('the tessera test log', () => {
  it('derives the published verifier key from the signer key', () => {
    expect(signer.verifier.text).toBe(VERIFIER)
  })

  it.each(Array.from({ length: 16 }, (_, size) => size))(
    'reproduces checkpoint.%i byte for byte',
    (size) => {
      const body = formatCheckpoint({
        origin: 'example.com/log/testdata',
        size,
        rootHash: rootHash(leafHashes, 0, size),
      })
      const note = signNote(body, [signer])
      expect(note).toBe(readFileSync(join(LOG, `checkpoint.${size}`), 'utf8'))
      const opened = openNote(note, [verifier])
      expect(parseCheckpoint(opened.text)).toMatchObject({
        size,
        origin: 'example.com/log/testdata',
      })
    },
  )

  it.each(Array.from({ length: 15 }, (_, index) => index + 1))(
    'reproduces the tiles of size %i byte for byte',
    (size) => {
      const files = tilesForSize(leafHashes, ENTRIES, size)
      expect(files.map((file) => file.path).sort()).toEqual([
        `tile/0/000.p/${size}`,
        `tile/entries/000.p/${size}`,
      ])
      for (const file of files) expect(file.bytes).toEqual(readFileSync(join(LOG, file.path)))
    },
  )

  it('proves every entry and every older checkpoint against the newest', () => {
    const newest = parseCheckpoint(
      openNote(readFileSync(join(LOG, 'checkpoint'), 'utf8'), [verifier]).text,
    )
    for (let index = 0; index < 15; index++) {
      verifyInclusion(
        leafHashes[index],
        index,
        15,
        inclusionProof(leafHashes, index, 15),
        newest.rootHash,
      )
    }
    for (let size = 1; size < 15; size++) {
      const older = parseCheckpoint(
        openNote(readFileSync(join(LOG, `checkpoint.${size}`), 'utf8'), [verifier]).text,
      )
      verifyConsistency(
        size,
        15,
        consistencyProof(leafHashes, size, 15),
        older.rootHash,
        newest.rootHash,
      )
    }
  })
})

describe('signed notes and checkpoints', () => {
  const note = readFileSync(join(LOG, 'checkpoint.7'), 'utf8')

  it('refuse a changed text, a changed signature and an unknown key', () => {
    expect(() => openNote(note.replace('\n7\n', '\n8\n'), [verifier])).toThrow(
      expect.objectContaining({ code: 'LEDGER_INVALID_SIGNATURE' }),
    )
    const flipped = note.replace(
      / (\S+)\n$/,
      (_, signature: string) =>
        ` ${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}\n`,
    )
    expect(() => openNote(flipped, [verifier])).toThrow(
      expect.objectContaining({ code: 'LEDGER_INVALID_SIGNATURE' }),
    )
    const stranger = generateSigner('example.com/log/testdata').signer
    expect(() => openNote(note, [stranger.verifier])).toThrow(/no known key/)
    // A note the stranger signs opens with the stranger's key and not with the log's.
    const forged = signNote('example.com/log/testdata\n7\n' + 'A'.repeat(43) + '=\n', [stranger])
    expect(openNote(forged, [stranger.verifier]).signedBy).toEqual(['example.com/log/testdata'])
    expect(() => openNote(forged, [verifier])).toThrow(/no known key/)
  })

  it('refuse malformed notes, keys and checkpoints with coded errors', () => {
    expect(() => openNote('no blank line\n', [verifier])).toThrow(
      expect.objectContaining({ code: 'LEDGER_MALFORMED_NOTE' }),
    )
    expect(() =>
      parseVerifierKey(
        'example.com/log/testdata+00000000+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx',
      ),
    ).toThrow(/hash does not match/)
    expect(() => parseCheckpoint('origin\n-1\nAAAA\n')).toThrow(
      expect.objectContaining({ code: 'LEDGER_MALFORMED_CHECKPOINT' }),
    )
    expect(() => parseCheckpoint('origin\n1\n')).toThrow(
      expect.objectContaining({ code: 'LEDGER_MALFORMED_CHECKPOINT' }),
    )
  })

  it('name tiles as tlog-tiles does, beyond the first tile and the first level', () => {
    expect(tilePath(0, 1234067)).toBe('tile/0/x001/x234/067')
    expect(tilePath('entries', 5, 17)).toBe('tile/entries/005.p/17')
    expect(parseTilePath('tile/0/x001/x234/067')).toEqual({ level: 0, index: 1234067, width: 256 })
    expect(parseTilePath('tile/entries/005.p/17')).toEqual({
      level: 'entries',
      index: 5,
      width: 17,
    })
    for (const path of [
      'tile/0/5',
      'tile/0/000.p/256',
      'tile/0/000.p/0',
      'tile/0/x000/005',
      'tile/64/000',
      'tile/0/000.p/017',
      'tile/0/../000',
    ]) {
      expect(() => parseTilePath(path), path).toThrow(
        expect.objectContaining({ code: 'LEDGER_INVALID_ARGUMENT' }),
      )
    }
    const leaves = Array.from({ length: 600 }, (_, index) =>
      hashLeaf(Buffer.from(`entry ${index}`)),
    )
    const files = tilesForSize(leaves, leaves, 600)
    expect(files.map((file) => file.path)).toEqual([
      'tile/entries/000',
      'tile/entries/001',
      'tile/entries/002.p/88',
      'tile/0/000',
      'tile/0/001',
      'tile/0/002.p/88',
      'tile/1/000.p/2',
    ])
    const level1 = files.find((file) => file.path === 'tile/1/000.p/2')
    expect(level1?.bytes).toEqual(
      Buffer.concat([rootHash(leaves, 0, 256), rootHash(leaves, 256, 512)]),
    )
  })
})
