/**
 * The witness (C2SP tlog-witness add-checkpoint) and its cosignatures (C2SP tlog-cosignature):
 * the message layout byte for byte, every refusal the protocol names, a fork refused at the same
 * and at a larger size, its state kept through every refusal and across a restart, and no
 * rollback by concurrent requests.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, verify } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { formatCheckpoint } from './checkpoint.ts'
import {
  cosignCheckpoint,
  generateCosigner,
  parseCosignerKey,
  parseCosignerVerifierKey,
  verifyCosignatures,
} from './cosignature.ts'
import { hashLeaf } from './merkle-hash.ts'
import { consistencyProof, rootHash } from './merkle.ts'
import { generateSigner, signNote } from './note.ts'
import {
  appendCosignatures,
  createWitness,
  formatAddCheckpoint,
  memoryWitnessState,
  openFileWitnessState,
  type WitnessState,
} from './witness.ts'

const directory = mkdtempSync(join(tmpdir(), 'e-state-witness-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const ORIGIN = 'log.example/ledger'
const log = generateSigner(ORIGIN)
const leaves = Array.from({ length: 64 }, (_, n) => hashLeaf(Buffer.from(`entry ${n}`)))
const forkLeaves = leaves.map((leaf, n) => (n === 3 ? hashLeaf(Buffer.from('forged')) : leaf))
const clock = { now: () => new Date('2026-11-25T10:00:00Z') }

const checkpointOf = (size: number, tree = leaves, signer = log.signer) =>
  signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: rootHash(tree, 0, size) }), [signer])
const request = (old: number, size: number, tree = leaves, signer = log.signer) =>
  formatAddCheckpoint(
    old,
    old === 0 || old === size ? [] : consistencyProof(tree, old, size),
    checkpointOf(size, tree, signer),
  )

const witnessWith = (state: WitnessState = memoryWitnessState()) => {
  const cosigner = generateCosigner('witness.example/w1')
  return {
    cosigner,
    witness: createWitness({
      cosigner: cosigner.cosigner,
      logs: [{ origin: ORIGIN, verifiers: [log.signer.verifier] }],
      state,
      clock,
    }),
  }
}

describe('cosignatures', () => {
  it('sign "cosignature/v1", the time and the checkpoint body, under the 0x04 key ID', () => {
    const { cosigner, text } = generateCosigner('witness.example/w1')
    expect(parseCosignerKey(text).verifier.text).toBe(cosigner.verifier.text)
    const body = formatCheckpoint({ origin: ORIGIN, size: 5, rootHash: rootHash(leaves, 0, 5) })
    const line = cosignCheckpoint(cosigner, body, 1_795_600_000)
    const match = /^\u2014 witness\.example\/w1 (\S+)\n$/.exec(line)
    expect(match).not.toBeNull()
    const raw = Buffer.from(match?.[1] ?? '', 'base64')
    expect(raw).toHaveLength(4 + 8 + 64)
    const publicKey = Buffer.from(
      cosigner.verifier.text.split('+').slice(2).join('+'),
      'base64',
    ).subarray(1)
    const keyId = createHash('sha256')
      .update('witness.example/w1\n')
      .update(Buffer.from([0x04]))
      .update(publicKey)
      .digest()
      .subarray(0, 4)
    expect(raw.subarray(0, 4)).toEqual(keyId)
    expect(raw.readBigUInt64BE(4)).toBe(1_795_600_000n)
    const message = Buffer.from(`cosignature/v1\ntime 1795600000\n${body}`)
    expect(verify(null, message, cosigner.verifier.publicKey, raw.subarray(12))).toBe(true)

    const note = appendCosignatures(signNote(body, [log.signer]), line)
    expect(verifyCosignatures(note, [cosigner.verifier])).toEqual([
      { name: 'witness.example/w1', timestamp: 1_795_600_000 },
    ])
    // A key of the same name but another key: ignored. A tampered line of the known key: refused.
    const other = generateCosigner('witness.example/w1').cosigner.verifier
    expect(verifyCosignatures(note, [other])).toEqual([])
    const tampered = note.replace(match?.[1] ?? '', (value) => {
      const bytes = Buffer.from(value, 'base64')
      bytes[bytes.length - 1] ^= 1
      return bytes.toString('base64')
    })
    expect(() => verifyCosignatures(tampered, [cosigner.verifier])).toThrow(/does not verify/)
    expect(() => parseCosignerVerifierKey(log.signer.verifier.text)).toThrow(/0x04/)
    expect(() => appendCosignatures(note, 'not a signature line\n')).toThrow()
  })
})

describe('the witness', () => {
  it('cosigns a growing log, with a consistency proof from what it cosigned last', async () => {
    const { witness, cosigner } = witnessWith()
    for (const [old, size] of [
      [0, 3],
      [3, 3],
      [3, 8],
      [8, 13],
      [13, 64],
    ]) {
      const answer = await witness.addCheckpoint(request(old, size))
      expect(answer.status, `${old} → ${size}: ${answer.body}`).toBe(200)
      const note = appendCosignatures(checkpointOf(size), answer.body)
      expect(verifyCosignatures(note, [cosigner.cosigner.verifier])).toHaveLength(1)
      expect((await witness.latest(ORIGIN))?.size).toBe(size)
    }
  })

  it('answers every bad request as the protocol says, and keeps its last good state', async () => {
    const { witness } = witnessWith()
    expect((await witness.addCheckpoint(request(0, 8))).status).toBe(200)
    const stranger = generateSigner('other.example/ledger')
    const refusals: [string, number, string?][] = [
      ['garbage', 400],
      ['x'.repeat(70_000), 400],
      [`old 8\n${'AAAA\n'.repeat(64)}\n${checkpointOf(9)}`, 400],
      [`old 9\n\n${checkpointOf(8)}`, 400],
      [`old -1\n\n${checkpointOf(9)}`, 400],
      [
        signNote(
          formatCheckpoint({
            origin: 'other.example/ledger',
            size: 9,
            rootHash: rootHash(leaves, 0, 9),
          }),
          [stranger.signer],
        ).replace(/^/, 'old 8\n\n'),
        404,
      ],
      [request(8, 9, leaves, generateSigner(ORIGIN).signer), 403],
      [request(0, 9), 409, '8\n'],
      [request(3, 9), 409, '8\n'],
      [request(8, 8, forkLeaves), 409],
      [request(8, 20, forkLeaves), 422],
      [formatAddCheckpoint(8, [Buffer.alloc(32)], checkpointOf(20)), 422],
    ]
    for (const [body, status, text] of refusals) {
      const answer = await witness.addCheckpoint(body)
      expect(answer.status, body.slice(0, 40)).toBe(status)
      if (text !== undefined) {
        expect(answer.body).toBe(text)
        expect(answer.contentType).toBe('text/x.tlog.size')
      }
      expect((await witness.latest(ORIGIN))?.size).toBe(8)
    }
    expect((await witness.addCheckpoint(request(8, 20))).status).toBe(200)
  })

  it('keeps its state in a private file across restarts', async () => {
    const path = join(directory, 'state.json')
    const first = witnessWith(await openFileWitnessState(path)).witness
    expect((await first.addCheckpoint(request(0, 10))).status).toBe(200)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const again = witnessWith(await openFileWitnessState(path)).witness
    expect((await again.latest(ORIGIN))?.size).toBe(10)
    expect((await again.addCheckpoint(request(0, 12))).status).toBe(409)
    expect((await again.addCheckpoint(request(10, 10, forkLeaves))).status).toBe(409)
    expect((await again.addCheckpoint(request(10, 12))).status).toBe(200)
    writeFileSync(path, '{ not json')
    await expect(openFileWitnessState(path)).rejects.toThrow(
      expect.objectContaining({ code: 'LEDGER_MALFORMED_WITNESS_STATE' }),
    )
  })

  it('lets exactly one of two concurrent requests from the same size through', async () => {
    const { witness } = witnessWith()
    expect((await witness.addCheckpoint(request(0, 5))).status).toBe(200)
    const answers = await Promise.all([
      witness.addCheckpoint(request(5, 30)),
      witness.addCheckpoint(request(5, 20)),
    ])
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409])
    expect((await witness.latest(ORIGIN))?.size).toBe(30)
  })
})
