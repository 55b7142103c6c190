/**
 * A transparency-log witness (C2SP tlog-witness, https://c2sp.org/tlog-witness): it cosigns a
 * checkpoint only after checking the log's signature and a consistency proof from the last
 * checkpoint it cosigned for that log, and it refuses a fork. Its state — the latest checkpoint
 * per log — is written durably before it answers, and check-and-write is atomic per log, so no
 * pair of requests can roll it back (the race the spec spells out under add-checkpoint).
 *
 * Every bad request gets a status and leaves the state as it was; only a failing state store
 * rejects (the HTTP layer answers 500 and the log retries: nothing was cosigned).
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Clock } from '../shared/index.ts'
import { parseCheckpoint, type Checkpoint } from './checkpoint.ts'
import { cosignCheckpoint, type Cosigner } from './cosignature.ts'
import { LedgerError } from './errors.ts'
import { rootHash, verifyConsistency } from './merkle.ts'
import { openNote, type NoteVerifier } from './note.ts'

const MAX_BODY_BYTES = 64 * 1024
const MAX_PROOF_LINES = 63
const HASH_BYTES = 32
const EMPTY_ROOT = rootHash([])
const SIZE_CONTENT_TYPE = 'text/x.tlog.size'
const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8'

export interface WitnessRecord {
  readonly size: number
  readonly rootHash: Buffer
  /** The log's note as submitted, signatures included: evidence if the log ever forks. */
  readonly note: string
}

/** Where a witness keeps the latest checkpoint it cosigned, per log origin. */
export interface WitnessState {
  get(origin: string): Promise<WitnessRecord | undefined>
  /** Resolves once the record is durable. */
  set(origin: string, record: WitnessRecord): Promise<void>
}

export interface WitnessAnswer {
  readonly status: 200 | 400 | 403 | 404 | 409 | 422
  readonly contentType: string
  readonly body: string
}

export interface Witness {
  readonly name: string
  /** The witness's cosignature verifier key (`name+hash+base64(0x04 ‖ key)`). */
  readonly verifierKey: string
  /** tlog-witness add-checkpoint: never throws for bad input, rejects only if storage fails. */
  addCheckpoint(body: string): Promise<WitnessAnswer>
  latest(origin: string): Promise<WitnessRecord | undefined>
}

export interface WitnessOptions {
  readonly cosigner: Cosigner
  /** The logs it witnesses, each with the keys trusted to sign its checkpoints. */
  readonly logs: readonly { readonly origin: string; readonly verifiers: readonly NoteVerifier[] }[]
  readonly state: WitnessState
  readonly clock: Clock
}

/** A request that passed every check that needs no state. */
interface AddCheckpointRequest {
  readonly oldSize: number
  readonly proof: readonly Buffer[]
  readonly note: string
  /** The note text: the checkpoint body the cosignature signs. */
  readonly text: string
  readonly checkpoint: Checkpoint
}

export function createWitness(options: WitnessOptions): Witness {
  const { cosigner, state, clock } = options
  const logs = new Map(options.logs.map((log) => [log.origin, log.verifiers]))
  const serialize = perKeyQueue()

  const cosign = async (request: AddCheckpointRequest): Promise<WitnessAnswer> => {
    const { origin, size } = request.checkpoint
    const refusal = checkAgainst(await state.get(origin), request)
    if (refusal !== undefined) return refusal
    await state.set(origin, { size, rootHash: request.checkpoint.rootHash, note: request.note })
    const timestamp = Math.floor(clock.now().getTime() / 1000)
    return answer(200, cosignCheckpoint(cosigner, request.text, timestamp))
  }

  return {
    name: cosigner.name,
    verifierKey: cosigner.verifier.text,
    async addCheckpoint(body) {
      const request = readRequest(body, logs)
      if ('status' in request) return request
      return serialize(request.checkpoint.origin, () => cosign(request))
    },
    latest: (origin) => state.get(origin),
  }
}

/**
 * The checks that need no state, in the spec's order: a well-formed body (400), a known origin
 * (404), a trusted log signature (403), an old size no larger than the checkpoint's (400).
 */
function readRequest(
  body: string,
  logs: ReadonlyMap<string, readonly NoteVerifier[]>,
): AddCheckpointRequest | WitnessAnswer {
  const parsed = parseBody(body)
  if (typeof parsed === 'string') return refuse(400, parsed)
  const { oldSize, proof, note } = parsed
  let opened: { text: string; checkpoint: Checkpoint }
  try {
    const text = note.slice(0, note.lastIndexOf('\n\n') + 1)
    opened = { text, checkpoint: parseCheckpoint(text) }
  } catch {
    return refuse(400, 'the checkpoint is malformed')
  }
  const verifiers = logs.get(opened.checkpoint.origin)
  if (verifiers === undefined) return refuse(404, 'unknown log origin')
  try {
    openNote(note, verifiers)
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'LEDGER_MALFORMED_NOTE')
      return refuse(400, 'the checkpoint is not a well-formed signed note')
    return refuse(403, 'no trusted log key signed this checkpoint')
  }
  if (oldSize > opened.checkpoint.size)
    return refuse(400, 'the old size is larger than the checkpoint size')
  return { oldSize, proof, note, ...opened }
}

/** tlog-witness request body: `old <size>`, up to 63 base64 hashes, a blank line, the note. */
function parseBody(body: string): { oldSize: number; proof: Buffer[]; note: string } | string {
  if (typeof body !== 'string') return 'the request body is not text'
  // UTF-8 takes at least a byte per UTF-16 unit: the cheap test first.
  if (body.length > MAX_BODY_BYTES || Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES)
    return `the request body is larger than ${MAX_BODY_BYTES} bytes`
  const blank = body.indexOf('\n\n')
  if (blank < 0) return 'expected an old size line, proof lines, a blank line and a checkpoint'
  const [oldLine, ...proofLines] = body.slice(0, blank).split('\n')
  const old = /^old (0|[1-9][0-9]{0,15})$/.exec(oldLine)
  if (old === null || !Number.isSafeInteger(Number(old[1])))
    return 'the first line must be "old <size>"'
  if (proofLines.length > MAX_PROOF_LINES) return 'too many consistency proof lines'
  const proof = proofLines.map((line) => Buffer.from(line, 'base64'))
  if (
    proof.some((hash, n) => hash.length !== HASH_BYTES || hash.toString('base64') !== proofLines[n])
  )
    return 'a consistency proof line is not a base64 SHA-256 hash'
  const oldSize = Number(old[1])
  if (oldSize === 0 && proof.length > 0) return 'a proof from size 0 must be empty'
  const note = body.slice(blank + 2)
  if (!note.endsWith('\n') || !note.includes('\n\n')) return 'the checkpoint is not a signed note'
  return { oldSize, proof, note }
}

/**
 * The checks against the latest cosigned checkpoint: the old size is its size (409 with that
 * size), an equal size has an equal root (409: a fork), the proof links the two trees (422).
 */
function checkAgainst(
  latest: WitnessRecord | undefined,
  request: AddCheckpointRequest,
): WitnessAnswer | undefined {
  const { oldSize, proof, checkpoint } = request
  const known = latest?.size ?? 0
  if (oldSize !== known) return answer(409, `${known}\n`, SIZE_CONTENT_TYPE)
  if (latest !== undefined && latest.size === checkpoint.size) {
    if (!latest.rootHash.equals(checkpoint.rootHash))
      return refuse(409, 'a different tree of the same size: a fork')
  }
  // RFC 9162 §2.1.1: the empty tree's root is fixed, so a size-0 checkpoint has nothing to hide.
  if (checkpoint.size === 0 && !checkpoint.rootHash.equals(EMPTY_ROOT))
    return refuse(422, 'a tree of size 0 has the empty root')
  // From nothing (a first checkpoint, or an empty tree) every tree is consistent.
  if (latest === undefined || latest.size === 0) return undefined
  try {
    verifyConsistency(latest.size, checkpoint.size, proof, latest.rootHash, checkpoint.rootHash)
  } catch {
    return refuse(422, 'the consistency proof does not verify')
  }
  return undefined
}

function answer(status: WitnessAnswer['status'], body: string, contentType = TEXT_CONTENT_TYPE) {
  return { status, contentType, body }
}

function refuse(status: Exclude<WitnessAnswer['status'], 200>, why: string): WitnessAnswer {
  return answer(status, `${why}\n`)
}

/**
 * Runs tasks one at a time per key, in arrival order: a promise chain per key, dropped once it
 * drains so idle keys hold nothing. A failing task fails its caller, not the ones behind it.
 */
function perKeyQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>()
  return (key, task) => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task)
    const tail = run.then(
      () => undefined,
      () => undefined,
    )
    tails.set(key, tail)
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key)
    })
    return run
  }
}

/** The request body a log sends to `add-checkpoint`. */
export function formatAddCheckpoint(
  oldSize: number,
  proof: readonly Uint8Array[],
  note: string,
): string {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0)
    throw new TypeError('the old size is a whole number')
  if (proof.length > MAX_PROOF_LINES || proof.some((hash) => hash.length !== HASH_BYTES))
    throw new TypeError(`a proof is at most ${MAX_PROOF_LINES} hashes of ${HASH_BYTES} bytes`)
  const lines = proof.map((hash) => `${Buffer.from(hash).toString('base64')}\n`).join('')
  return `old ${oldSize}\n${lines}\n${note}`
}

/**
 * The note with a witness's answer appended. The answer must be note signature lines (an empty
 * one adds nothing); whether they verify is for verifyCosignatures, with the keys one trusts.
 */
export function appendCosignatures(note: string, lines: string): string {
  if (!note.endsWith('\n') || !note.includes('\n\n'))
    throw new LedgerError('LEDGER_MALFORMED_NOTE', 'cosignatures go on a signed note')
  if (lines !== '' && !/^(\u2014 [^\s+]+ [A-Za-z0-9+/]+={0,2}\n)+$/.test(lines))
    throw new LedgerError('LEDGER_MALFORMED_NOTE', 'a witness answered other than signature lines')
  return `${note}${lines}`
}

/**
 * Witness state in a JSON file `{ origin: { size, rootHash, note } }`, read once at open and
 * replaced whole on each change: written to a temporary file beside it (mode 0600), fsynced,
 * renamed over it, and the folder fsynced, so a crash leaves the old state or the new, never a
 * mix, and an answered request is never forgotten. A file that cannot be read is a coded error:
 * never start from a guess.
 *
 * The file calls are synchronous on purpose: a write happens once per cosigned checkpoint, each
 * `set` is then atomic by itself, and its latency is the disk's, not that of an event loop kept
 * busy by an in-process log (test/ledger-crash.test.ts runs one on synchronous SQLite).
 */
export async function openFileWitnessState(path: string): Promise<WitnessState> {
  let records = readWitnessFile(path)
  return {
    get: async (origin) => records.get(origin),
    set: async (origin, record) => {
      const next = new Map(records).set(origin, record)
      writeDurably(path, formatWitnessFile(next))
      records = next
    },
  }
}

/** Witness state in memory: for tests and benchmarks, forgotten on restart. */
export function memoryWitnessState(): WitnessState {
  const records = new Map<string, WitnessRecord>()
  return {
    get: async (origin) => records.get(origin),
    set: async (origin, record) => {
      records.set(origin, record)
    },
  }
}

function readWitnessFile(path: string): Map<string, WitnessRecord> {
  let json: string
  try {
    json = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw error
  }
  const malformed = (why: string): never => {
    throw new LedgerError('LEDGER_MALFORMED_WITNESS_STATE', `the witness state ${path}: ${why}`)
  }
  let stored: unknown
  try {
    stored = JSON.parse(json)
  } catch {
    malformed('not JSON')
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored))
    malformed('not an object of logs')
  const records = new Map<string, WitnessRecord>()
  for (const [origin, value] of Object.entries(stored as Record<string, unknown>)) {
    const { size, rootHash: root, note } = (value ?? {}) as Record<string, unknown>
    const hash = Buffer.from(typeof root === 'string' ? root : '', 'base64')
    if (!Number.isSafeInteger(size) || (size as number) < 0) malformed(`${origin}: bad size`)
    if (hash.length !== HASH_BYTES || hash.toString('base64') !== root)
      malformed(`${origin}: bad root hash`)
    if (typeof note !== 'string') malformed(`${origin}: no note`)
    records.set(origin, { size: size as number, rootHash: hash, note: note as string })
  }
  return records
}

function formatWitnessFile(records: ReadonlyMap<string, WitnessRecord>): string {
  const entries = [...records].map(([origin, { size, rootHash: root, note }]) => [
    origin,
    { size, rootHash: root.toString('base64'), note },
  ])
  return `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`
}

function writeDurably(path: string, contents: string): void {
  const folder = dirname(path)
  const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const file = openSync(temporary, 'wx', 0o600)
    try {
      writeFileSync(file, contents)
      fsyncSync(file)
    } finally {
      closeSync(file)
    }
    renameSync(temporary, path)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
  const directory = openSync(folder, 'r')
  try {
    fsyncSync(directory)
  } finally {
    closeSync(directory)
  }
}
