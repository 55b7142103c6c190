/**
 * A transparency-log witness (C2SP tlog-witness, https://c2sp.org/tlog-witness): it cosigns a
 * checkpoint only after checking the log's signature and a consistency proof from the last
 * checkpoint it cosigned for that log, and it refuses a fork. Its state — the latest checkpoint
 * per log — is written durably before it answers, and check-and-write is atomic per log, so no
 * pair of requests can roll it back. Every bad input gets a status; nothing throws.
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import type { Clock } from '../shared/index.ts'
import { parseCheckpoint, type Checkpoint } from './checkpoint.ts'
import { LedgerError } from './errors.ts'
import { cosignCheckpoint, type Cosigner } from './cosignature.ts'
import { verifyConsistency } from './merkle.ts'
import { openNote, type NoteVerifier } from './note.ts'

const MAX_BODY = 65_536
const MAX_PROOF_LINES = 63

export interface WitnessRecord {
  readonly size: number
  readonly rootHash: Buffer
  readonly note: string
}

/** Where a witness keeps the latest checkpoint it cosigned, per log origin. */
export interface WitnessState {
  get(origin: string): Promise<WitnessRecord | undefined>
  set(origin: string, record: WitnessRecord): Promise<void>
}

export interface WitnessAnswer {
  readonly status: 200 | 400 | 403 | 404 | 409 | 422
  readonly contentType: string
  readonly body: string
}

export interface Witness {
  readonly name: string
  /** The witness's cosignature verifier key (`name+hash+base64`). */
  readonly verifierKey: string
  addCheckpoint(body: string): Promise<WitnessAnswer>
  latest(origin: string): Promise<WitnessRecord | undefined>
}

export function createWitness(options: {
  readonly cosigner: Cosigner
  readonly logs: readonly { readonly origin: string; readonly verifiers: readonly NoteVerifier[] }[]
  readonly state: WitnessState
  readonly clock: Clock
}): Witness {
  const { cosigner, state, clock } = options
  const logs = new Map(options.logs.map((log) => [log.origin, log.verifiers]))
  const queues = new Map<string, Promise<unknown>>()
  const serial = <T>(origin: string, task: () => Promise<T>): Promise<T> => {
    const run = (queues.get(origin) ?? Promise.resolve()).then(task, task)
    queues.set(
      origin,
      run.catch(() => undefined),
    )
    return run
  }

  const add = async (body: string): Promise<WitnessAnswer> => {
    const request = parseRequest(body)
    if (typeof request === 'string') return text(400, request)
    const { oldSize, proof, note } = request
    let checkpoint: Checkpoint
    let noteText: string
    try {
      noteText = note.slice(0, note.lastIndexOf('\n\n') + 1)
      checkpoint = parseCheckpoint(noteText)
    } catch {
      return text(400, 'the checkpoint is malformed')
    }
    const verifiers = logs.get(checkpoint.origin)
    if (verifiers === undefined) return text(404, 'unknown log origin')
    try {
      openNote(note, verifiers)
    } catch {
      return text(403, 'no trusted log key signed this checkpoint')
    }
    if (oldSize > checkpoint.size) return text(400, 'the old size is larger than the checkpoint')
    return serial(checkpoint.origin, async () => {
      const latest = await state.get(checkpoint.origin)
      const known = latest?.size ?? 0
      if (oldSize !== known) {
        return { status: 409, contentType: 'text/x.tlog.size', body: `${known}\n` }
      }
      if (latest !== undefined && latest.size === checkpoint.size) {
        if (!latest.rootHash.equals(checkpoint.rootHash))
          return text(409, 'a different tree of the same size: refusing a fork')
        if (proof.length !== 0) return text(422, 'equal sizes take an empty proof')
      } else if (latest === undefined) {
        if (proof.length !== 0) return text(422, 'a first checkpoint takes an empty proof')
      } else {
        try {
          verifyConsistency(
            latest.size,
            checkpoint.size,
            proof,
            latest.rootHash,
            checkpoint.rootHash,
          )
        } catch {
          return text(422, 'the consistency proof does not verify')
        }
      }
      await state.set(checkpoint.origin, {
        size: checkpoint.size,
        rootHash: checkpoint.rootHash,
        note,
      })
      const timestamp = Math.floor(clock.now().getTime() / 1000)
      return {
        status: 200,
        contentType: 'text/plain; charset=utf-8',
        body: cosignCheckpoint(cosigner, noteText, timestamp),
      }
    })
  }

  return {
    name: cosigner.name,
    verifierKey: cosigner.verifier.text,
    async addCheckpoint(body) {
      try {
        return await add(body)
      } catch {
        // State storage failing (disk full …): nothing was cosigned.
        return text(400 as const, 'the witness could not process this request')
      }
    },
    latest: (origin) => state.get(origin),
  }
}

function text(status: WitnessAnswer['status'], body: string): WitnessAnswer {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${body}\n` }
}

function parseRequest(body: string): { oldSize: number; proof: Buffer[]; note: string } | string {
  if (typeof body !== 'string' || body.length > MAX_BODY) return 'the request is too large'
  const blank = body.indexOf('\n\n')
  if (blank < 0) return 'expected an old size line, proof lines, a blank line and a checkpoint'
  const lines = body.slice(0, blank).split('\n')
  const old = /^old (0|[1-9][0-9]{0,15})$/.exec(lines[0] ?? '')
  if (old === null) return 'the first line must be "old <size>"'
  const proofLines = lines.slice(1)
  if (proofLines.length > MAX_PROOF_LINES) return 'too many consistency proof lines'
  const proof: Buffer[] = []
  for (const line of proofLines) {
    const hash = Buffer.from(line, 'base64')
    if (hash.length !== 32 || hash.toString('base64') !== line) return 'a proof line is not a hash'
    proof.push(hash)
  }
  const oldSize = Number(old[1])
  if (oldSize === 0 && proof.length > 0) return 'a proof from size 0 must be empty'
  const note = body.slice(blank + 2)
  if (!note.endsWith('\n') || note.lastIndexOf('\n\n') < 0)
    return 'the checkpoint is not a signed note'
  return { oldSize, proof, note }
}

/** The request body a log sends to `add-checkpoint`. */
export function formatAddCheckpoint(
  oldSize: number,
  proof: readonly Uint8Array[],
  note: string,
): string {
  const lines = proof.map((hash) => `${Buffer.from(hash).toString('base64')}\n`).join('')
  return `old ${oldSize}\n${lines}\n${note}`
}

/** The note with a witness's answer (signature lines) appended. */
export function appendCosignatures(note: string, lines: string): string {
  const valid = lines === '' || /^(\u2014 \S+ [A-Za-z0-9+/=]+\n)+$/.test(lines)
  if (!valid) throw new Error('a witness answered something other than signature lines')
  return `${note}${lines}`
}

/** Witness state in a JSON file, replaced atomically and fsynced (file and folder) per change. */
export async function openFileWitnessState(path: string): Promise<WitnessState> {
  const records = new Map<string, WitnessRecord>()
  if (existsSync(path)) {
    let stored: Record<string, { size: number; rootHash: string; note: string }>
    try {
      stored = JSON.parse(readFileSync(path, 'utf8')) as typeof stored
    } catch {
      // Never start from a guess: a witness that lost its state must be restored by hand.
      throw new LedgerError(
        'LEDGER_MALFORMED_WITNESS_STATE',
        `the witness state ${path} is unreadable`,
      )
    }
    for (const [origin, record] of Object.entries(stored))
      records.set(origin, { ...record, rootHash: Buffer.from(record.rootHash, 'base64') })
  }
  return {
    get: async (origin) => records.get(origin),
    async set(origin, record) {
      const next = new Map(records).set(origin, record)
      const json = JSON.stringify(
        Object.fromEntries(
          [...next].map(([key, value]) => [
            key,
            { size: value.size, rootHash: value.rootHash.toString('base64'), note: value.note },
          ]),
        ),
      )
      const temporary = join(dirname(path), `.witness-${randomBytes(6).toString('hex')}.tmp`)
      const fd = openSync(temporary, 'w', 0o600)
      try {
        writeSync(fd, json)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(temporary, path)
      const folder = openSync(dirname(path), 'r')
      try {
        fsyncSync(folder)
      } finally {
        closeSync(folder)
      }
      records.set(origin, record)
    },
  }
}

export function memoryWitnessState(): WitnessState {
  const records = new Map<string, WitnessRecord>()
  return {
    get: async (origin) => records.get(origin),
    set: async (origin, record) => {
      records.set(origin, record)
    },
  }
}
