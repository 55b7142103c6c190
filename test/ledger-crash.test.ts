/**
 * kill -9 at any moment: a process appends to the ledger (16 appenders, a checkpoint every
 * 20 ms, an in-process witness with its state on disk) and is killed with SIGKILL at random
 * times, then restarted on the same store. Every acknowledged entry must be at its index, and
 * every signed checkpoint — and the witness's — must match the tree the entries give: never two
 * different checkpoints of one size.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  generateCosigner,
  generateSigner,
  openNote,
  parseCheckpoint,
  rootHash,
  verifyCosignatures,
} from '../src/ledger/index.ts'
import { openStore } from '../src/storage/index.ts'
import { ENGINES, freshLocation, usePostgresCluster } from './support/engines.ts'
import { sweep } from './support/tier.ts'

usePostgresCluster()

/** Writers killed in turn: more in `npm run test:long`. */
const CRASHES = sweep(4, 12)
const WRITER = path.join(import.meta.dirname, 'support/ledger-writer.ts')

describe.each(ENGINES)('the ledger under kill -9 on %s', (engine) => {
  const cleanups: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  it('never loses an acknowledged entry nor signs two trees of one size', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'estate-crash-'))
    cleanups.push(() => rm(root, { recursive: true, force: true }))
    const location =
      engine === 'sqlite'
        ? { url: path.join(root, 'ledger.db'), cleanup: async () => undefined }
        : await freshLocation(engine)
    cleanups.push(() => location.cleanup())
    const log = generateSigner('crash.example/ledger')
    const witness = generateCosigner('crash.example/witness')
    const statePath = path.join(root, 'witness.json')
    const acknowledged = new Map<number, string>()

    for (let run = 0; run < CRASHES; run++) {
      const child = spawn(
        process.execPath,
        [WRITER, location.url, log.text, witness.text, statePath, `run${run}`],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let buffered = ''
      let stderr = ''
      child.stderr.on('data', (chunk) => (stderr += chunk))
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
      const killed = new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined
        const failTimer = setTimeout(
          () => reject(new Error(`writer never acknowledged: ${stderr}`)),
          30_000,
        )
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString()
          let newline: number
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline)
            buffered = buffered.slice(newline + 1)
            const match = /^ack (\d+) (\S+)$/.exec(line)
            if (match === null) continue
            acknowledged.set(Number(match[1]), match[2])
            if (timer === undefined) {
              clearTimeout(failTimer)
              // Kill somewhere in the next 0.2–1.2 s of appending and publishing.
              timer = setTimeout(
                () => {
                  child.kill('SIGKILL')
                  resolve()
                },
                200 + Math.random() * 1000,
              )
            }
          }
        })
      })
      await killed
      await exited
    }
    expect(acknowledged.size).toBeGreaterThan(100)

    const store = await openStore({ url: location.url })
    try {
      const rows = await store.admin
        .selectFrom('ledger_entries')
        .select(['idx', 'entry', 'leaf_hash'])
        .orderBy('idx')
        .execute()
      rows.forEach((row, position) => expect(Number(row.idx)).toBe(position))
      for (const [index, entry] of acknowledged)
        expect(Buffer.from(rows[index].entry).toString(), `entry ${index}`).toBe(entry)
      const leaves = rows.map((row) => Buffer.from(row.leaf_hash))
      const checkpoints = await store.admin
        .selectFrom('ledger_checkpoints')
        .selectAll()
        .orderBy('size')
        .execute()
      expect(checkpoints.length).toBeGreaterThan(1)
      for (const checkpoint of checkpoints) {
        const size = Number(checkpoint.size)
        const expected = rootHash(leaves, 0, size)
        expect(Buffer.from(checkpoint.root_hash)).toEqual(expected)
        for (const note of [checkpoint.note, checkpoint.cosigned_note]) {
          if (note === null) continue
          const body = parseCheckpoint(openNote(note, [log.signer.verifier]).text)
          expect(body.size).toBe(size)
          expect(body.rootHash).toEqual(expected)
        }
        if (checkpoint.cosigned_note !== null)
          expect(
            verifyCosignatures(checkpoint.cosigned_note, [witness.cosigner.verifier]),
          ).toHaveLength(1)
      }
      // What the witness last cosigned is the tree the entries give at its size.
      const state = JSON.parse(readFileSync(statePath, 'utf8'))
      const seen = Object.values(state as Record<string, { size: number; rootHash: string }>)[0]
      expect(seen).toBeDefined()
      expect(Buffer.from(seen.rootHash, 'base64')).toEqual(rootHash(leaves, 0, seen.size))
    } finally {
      await store.close()
    }
  }, 120_000)
})
