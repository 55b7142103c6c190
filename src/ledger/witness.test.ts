/**
 * The witness (C2SP tlog-witness add-checkpoint): it cosigns a growing log, answers every refusal
 * the protocol names with its status and keeps its last good state through each, refuses a fork
 * at the same and at a larger size, keeps its state in a private file across restarts, and lets
 * no pair of concurrent requests roll it back.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../shared/index.ts'
import { formatCheckpoint } from './checkpoint.ts'
import { generateCosigner, verifyCosignatures } from './cosignature.ts'
import { hashLeaf } from './merkle-hash.ts'
import { consistencyProof, rootHash } from './merkle.ts'
import { generateSigner, openNote, signNote, type NoteSigner } from './note.ts'
import {
  appendCosignatures,
  createWitness,
  formatAddCheckpoint,
  memoryWitnessState,
  openFileWitnessState,
  type WitnessRecord,
  type WitnessState,
} from './witness.ts'

const ORIGIN = 'log.example/ledger'
const NOW = new Date('2026-11-25T10:00:00Z')
const log = generateSigner(ORIGIN)
const stranger = generateSigner('other.example/ledger')
const leaves = Array.from({ length: 64 }, (_, n) => hashLeaf(Buffer.from(`entry ${n}`)))
// The same log with entry 3 rewritten: a fork from size 4 on.
const forkLeaves = leaves.map((leaf, n) => (n === 3 ? hashLeaf(Buffer.from('forged')) : leaf))
// Another log that differs at entry 10: its proofs from size 8 prove nothing about ours.
const laterLeaves = leaves.map((leaf, n) => (n === 10 ? hashLeaf(Buffer.from('later')) : leaf))

let directory = ''
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'e-state-witness-'))
})
afterAll(() => rm(directory, { recursive: true, force: true }))

const checkpointOf = (size: number, tree = leaves, signers: NoteSigner[] = [log.signer]) =>
  signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: rootHash(tree, 0, size) }), signers)
const proofOf = (old: number, size: number, tree = leaves) =>
  old === 0 || old === size ? [] : consistencyProof(tree, old, size)
const request = (old: number, size: number, tree = leaves, signers?: NoteSigner[]) =>
  formatAddCheckpoint(old, proofOf(old, size, tree), checkpointOf(size, tree, signers))

const witnessWith = (state: WitnessState = memoryWitnessState()) => {
  const { cosigner } = generateCosigner('witness.example/w1')
  const witness = createWitness({
    cosigner,
    logs: [{ origin: ORIGIN, verifiers: [log.signer.verifier] }],
    state,
    clock: fixedClock(NOW),
  })
  return { witness, verifier: cosigner.verifier }
}

/** A witness that has cosigned size 8, and the record it keeps for it. */
const witnessAt8 = async () => {
  const made = witnessWith()
  expect((await made.witness.addCheckpoint(request(0, 8))).status).toBe(200)
  const record = (await made.witness.latest(ORIGIN)) as WitnessRecord
  return { ...made, record }
}

describe('the witness', () => {
  it('cosigns a growing log, with a consistency proof from what it cosigned last', async () => {
    const { witness, verifier } = witnessWith()
    expect(witness.verifierKey).toBe(verifier.text)
    for (const [old, size] of [
      [0, 3],
      [3, 3],
      [3, 4],
      [4, 8],
      [8, 13],
      [13, 64],
    ]) {
      const answer = await witness.addCheckpoint(request(old, size))
      expect(answer.status, `${old} → ${size}: ${answer.body}`).toBe(200)
      const note = appendCosignatures(checkpointOf(size), answer.body)
      expect(openNote(note, [log.signer.verifier]).signedBy).toEqual([ORIGIN])
      expect(verifyCosignatures(note, [verifier])).toEqual([
        { name: 'witness.example/w1', timestamp: NOW.getTime() / 1000 },
      ])
      expect(await witness.latest(ORIGIN)).toEqual({
        size,
        rootHash: rootHash(leaves, 0, size),
        note: checkpointOf(size),
      })
    }
  })

  it('starts from an empty tree, whose root is fixed', async () => {
    const { witness } = witnessWith()
    const empty = (root: Buffer) =>
      formatAddCheckpoint(
        0,
        [],
        signNote(formatCheckpoint({ origin: ORIGIN, size: 0, rootHash: root }), [log.signer]),
      )
    expect((await witness.addCheckpoint(empty(rootHash(leaves, 0, 1)))).status).toBe(422)
    expect(await witness.latest(ORIGIN)).toBeUndefined()
    expect((await witness.addCheckpoint(empty(rootHash([])))).status).toBe(200)
    expect((await witness.addCheckpoint(request(0, 5))).status).toBe(200)
    expect((await witness.latest(ORIGIN))?.size).toBe(5)
  })

  it('ignores signatures of keys it does not know beside the trusted one', async () => {
    const { witness } = witnessWith()
    const answer = await witness.addCheckpoint(request(0, 6, leaves, [stranger.signer, log.signer]))
    expect(answer.status).toBe(200)
  })

  it('tells a log its size, 0 when it has cosigned nothing', async () => {
    const fresh = witnessWith().witness
    expect(await fresh.addCheckpoint(request(4, 8))).toEqual({
      status: 409,
      contentType: 'text/x.tlog.size',
      body: '0\n',
    })
    const { witness } = await witnessAt8()
    for (const old of [0, 3, 9]) {
      expect(await witness.addCheckpoint(request(old, 20))).toEqual({
        status: 409,
        contentType: 'text/x.tlog.size',
        body: '8\n',
      })
    }
  })

  it('answers every bad request as the protocol says, and keeps its last good state', async () => {
    const { witness, record } = await witnessAt8()
    const good = checkpointOf(9)
    const goodProof = proofOf(8, 9)
    const forged = good.replace(/ (\S+)\n$/, (_, signature: string) => {
      const bytes = Buffer.from(signature, 'base64')
      bytes[bytes.length - 1] ^= 1
      return ` ${bytes.toString('base64')}\n`
    })
    const strangerLog = signNote(
      formatCheckpoint({
        origin: 'other.example/ledger',
        size: 9,
        rootHash: rootHash(leaves, 0, 9),
      }),
      [stranger.signer],
    )
    const hash = (n: number) => Buffer.alloc(32, n)
    const padded = signNote(
      formatCheckpoint({
        origin: ORIGIN,
        size: 9,
        rootHash: rootHash(leaves, 0, 9),
        extensions: ['é'.repeat(33_000)],
      }),
      [log.signer],
    )
    const refusals: [why: string, body: string, status: number][] = [
      ['garbage', 'garbage', 400],
      ['no blank line', `old 8\n${goodProof[0].toString('base64')}\n`, 400],
      ['bad old line', formatAddCheckpoint(8, goodProof, good).replace('old 8', 'old 08'), 400],
      ['negative old', formatAddCheckpoint(8, goodProof, good).replace('old 8', 'old -8'), 400],
      ['bad proof line', formatAddCheckpoint(8, [], good).replace('old 8\n', 'old 8\n!!!\n'), 400],
      ['short proof line', `old 8\nAAAA\n\n${good}`, 400],
      ['proof from 0', `old 0\n${hash(1).toString('base64')}\n\n${good}`, 400],
      ['unsigned', formatAddCheckpoint(8, goodProof, good.slice(0, good.indexOf('\n\n') + 1)), 400],
      ['bad signature line', formatAddCheckpoint(8, goodProof, `${good}— x\n`), 400],
      ['not a checkpoint', formatAddCheckpoint(8, goodProof, signNote('hi\n', [log.signer])), 400],
      ['over 64 KiB of bytes', formatAddCheckpoint(8, goodProof, padded), 400],
      ['over 64 KiB', 'x'.repeat(70_000), 400],
      ['64 proof lines', `old 8\n${`${hash(0).toString('base64')}\n`.repeat(64)}\n${good}`, 400],
      ['old > size', formatAddCheckpoint(9, [], checkpointOf(8)), 400],
      ['unknown origin', formatAddCheckpoint(8, goodProof, strangerLog), 404],
      ['wrong log key', request(8, 9, leaves, [generateSigner(ORIGIN).signer]), 403],
      ['forged signature', formatAddCheckpoint(8, goodProof, forged), 403],
      ['stale old size', request(3, 9), 409],
      ['fork at the same size', request(8, 8, forkLeaves), 409],
      ['fork at a larger size', request(8, 20, forkLeaves), 422],
      [
        'proof of another tree',
        formatAddCheckpoint(8, proofOf(8, 20, laterLeaves), checkpointOf(20)),
        422,
      ],
      ['zero proof', formatAddCheckpoint(8, [hash(0)], checkpointOf(20)), 422],
      ['proof at equal size', formatAddCheckpoint(8, [hash(0)], checkpointOf(8)), 422],
      [
        '63 wrong proof lines',
        formatAddCheckpoint(8, Array(63).fill(hash(2)), checkpointOf(20)),
        422,
      ],
    ]
    for (const [why, body, status] of refusals) {
      const answer = await witness.addCheckpoint(body)
      expect(answer.status, `${why}: ${answer.body}`).toBe(status)
      expect(answer.body.endsWith('\n')).toBe(true)
      expect(await witness.latest(ORIGIN), why).toEqual(record)
    }
    const answer = await witness.addCheckpoint(request(8, 20))
    expect(answer.status).toBe(200)
  })

  it('keeps its state in a private file across restarts', async () => {
    const path = join(directory, 'state.json')
    const first = witnessWith(await openFileWitnessState(path)).witness
    expect((await first.addCheckpoint(request(0, 10))).status).toBe(200)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readdirSync(directory)).toEqual(['state.json'])
    const written = readFileSync(path, 'utf8')
    expect((await first.addCheckpoint(request(10, 12, forkLeaves))).status).toBe(422)
    expect(readFileSync(path, 'utf8')).toBe(written)

    const again = witnessWith(await openFileWitnessState(path)).witness
    expect(await again.latest(ORIGIN)).toEqual({
      size: 10,
      rootHash: rootHash(leaves, 0, 10),
      note: checkpointOf(10),
    })
    expect((await again.addCheckpoint(request(0, 12))).body).toBe('10\n')
    expect((await again.addCheckpoint(request(10, 10, forkLeaves))).status).toBe(409)
    expect((await again.addCheckpoint(request(10, 12))).status).toBe(200)
    const third = witnessWith(await openFileWitnessState(path)).witness
    expect((await third.latest(ORIGIN))?.size).toBe(12)
  })

  it('refuses to start from a damaged state file', async () => {
    const path = join(directory, 'damaged.json')
    for (const contents of ['{', '[]', `{"${ORIGIN}":{"size":-1,"rootHash":"","note":""}}`]) {
      writeFileSync(path, contents)
      await expect(openFileWitnessState(path)).rejects.toMatchObject({
        code: 'LEDGER_MALFORMED_WITNESS_STATE',
      })
    }
  })

  it('answers nothing and keeps its state when the state cannot be written', async () => {
    const memory = memoryWitnessState()
    let failing = false
    const { witness } = witnessWith({
      get: (origin) => memory.get(origin),
      set: async (origin, record) => {
        if (failing) throw new Error('disk full')
        await memory.set(origin, record)
      },
    })
    expect((await witness.addCheckpoint(request(0, 5))).status).toBe(200)
    failing = true
    await expect(witness.addCheckpoint(request(5, 9))).rejects.toThrow('disk full')
    failing = false
    expect((await witness.latest(ORIGIN))?.size).toBe(5)
    expect((await witness.addCheckpoint(request(5, 9))).status).toBe(200)
  })

  it.each(['memory', 'file'])(
    'lets exactly one of two concurrent requests from the same size through (%s)',
    async (kind) => {
      const state =
        kind === 'file'
          ? await openFileWitnessState(join(directory, 'race.json'))
          : memoryWitnessState()
      const { witness } = witnessWith(state)
      expect((await witness.addCheckpoint(request(0, 5))).status).toBe(200)
      const answers = await Promise.all([
        witness.addCheckpoint(request(5, 30)),
        witness.addCheckpoint(request(5, 20)),
      ])
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409])
      const winner = answers[0].status === 200 ? 30 : 20
      expect(answers.find((answer) => answer.status === 409)).toMatchObject({
        contentType: 'text/x.tlog.size',
        body: `${winner}\n`,
      })
      expect((await witness.latest(ORIGIN))?.size).toBe(winner)
    },
  )

  it('never rolls back when a smaller checkpoint races a larger one', async () => {
    const { witness } = witnessWith()
    expect((await witness.addCheckpoint(request(0, 5))).status).toBe(200)
    const answers = await Promise.all([
      witness.addCheckpoint(request(5, 40)),
      witness.addCheckpoint(request(5, 7)),
      witness.addCheckpoint(request(40, 41)),
    ])
    expect(answers.map((answer) => answer.status)).toEqual([200, 409, 200])
    expect((await witness.latest(ORIGIN))?.size).toBe(41)
  })
})

describe('the log side', () => {
  it('writes the add-checkpoint body the spec shows', () => {
    const proof = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)]
    expect(formatAddCheckpoint(20, proof, 'note\n\n— x y\n')).toBe(
      `old 20\n${proof[0].toString('base64')}\n${proof[1].toString('base64')}\n\nnote\n\n— x y\n`,
    )
    expect(formatAddCheckpoint(0, [], 'note\n\n— x y\n')).toBe('old 0\n\nnote\n\n— x y\n')
    expect(() => formatAddCheckpoint(-1, [], 'note\n')).toThrow(TypeError)
    expect(() => formatAddCheckpoint(1, [Buffer.alloc(31)], 'note\n')).toThrow(TypeError)
  })

  it('appends only signature lines to a note', () => {
    const note = checkpointOf(3)
    const line = '— witness.example/w1 AAAA\n'
    expect(appendCosignatures(note, line)).toBe(`${note}${line}`)
    expect(appendCosignatures(note, '')).toBe(note)
    for (const answer of [
      '<html>\n',
      line.trim(),
      `${line}\n`,
      '— a b c\n',
      '— witness+x AAAA\n',
    ]) {
      expect(() => appendCosignatures(note, answer)).toThrow(
        expect.objectContaining({ code: 'LEDGER_MALFORMED_NOTE' }),
      )
    }
  })
})
