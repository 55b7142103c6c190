/**
 * The arbiter: a small e-state process at a third location that holds the deciding vote in
 * automatic mode. The embassy promotes itself only when the arbiter also sees the primary dead;
 * an embassy cut off from the primary alone (the primary still serving its own site) gets no
 * vote and waits.
 *
 * What the arbiter promises:
 *
 * - It votes "dead" only when its own probes of the primary's PostgreSQL have failed
 *   continuously for the grace period (default 10 s, at least three probes), and its view is
 *   fresh (a probe has completed in the last few seconds). A probe is a real connection with a
 *   short timeout, then `SELECT 1`. As in `probePrimary`, only silence is death: a server that
 *   answers, even with a refused login, is alive. So the arbiter needs no credentials on the
 *   primary (with a role it may log in as, the probe also proves a backend can start).
 * - It never votes for two promotions. The vote (candidate and term) is written to `vote.json`
 *   and fsynced before the answer leaves; from then on it votes again only for that same
 *   promotion (an embassy repeating its request after a lost answer or a crash), before and
 *   after a restart. After a failover the arbiter has done its job: the next pair of sites gets
 *   a new arbiter directory (new secret, new primary to watch).
 * - It answers only authenticated, fresh requests and signs every answer it gives to one
 *   (`arbiter-protocol.ts`). Requests made before it started are refused, so a request
 *   captured before a restart cannot be replayed into the new process's empty nonce memory.
 *
 * Why a vote is safe even when the arbiter is wrong (the primary alive but unreachable from both
 * the arbiter and the embassy): the old primary's commits wait for its synchronous standby, which
 * has just become a primary and will never confirm them, so it acknowledges nothing after the
 * promotion (fencing layer 3, `promote.ts`).
 */
import { open, readFile, rename } from 'node:fs/promises'
import path from 'node:path'
import { systemClock, type Clock } from '../shared/index.ts'
import {
  arbiterKeys,
  macMatches,
  macOf,
  parseVoteRequest,
  type VoteAnswer,
  type VoteRequest,
} from './arbiter-protocol.ts'

export type PrimarySeen = 'alive' | 'dead'

export interface ArbiterOptions {
  readonly secret: Uint8Array
  /** Where the vote is recorded; fsynced before the answer is sent. */
  readonly voteFile: string
  /** One probe of the primary (`postgresProbe` in production). */
  readonly probe: () => Promise<PrimarySeen>
  /** How long the probes must fail without a break before the arbiter votes dead. */
  readonly graceMs?: number
  readonly intervalMs?: number
  /** A view older than this (no probe completed) votes nothing. */
  readonly staleMs?: number
  /** How far a request's time may be from the arbiter's. */
  readonly skewMs?: number
  readonly clock?: Clock
  readonly log?: (line: string) => void
}

export interface ArbiterReply {
  readonly status: number
  readonly body: string
  readonly mac?: string
}

export interface Arbiter {
  /** One probe now; the loop started by `start` calls it every interval. */
  probeOnce(): Promise<PrimarySeen | undefined>
  start(): void
  /** Answers one vote request (the body as received, the MAC header). */
  handleVote(body: string, mac: string | undefined): Promise<ArbiterReply>
  close(): Promise<void>
}

interface VoteRecord {
  readonly candidate: string
  readonly term: number
  readonly nonce: string
  readonly votedAt: string
}

interface ProbeLoop {
  stop: boolean
  timer?: NodeJS.Timeout
  running?: Promise<void>
}

const MIN_FAILURES = 3

export function createArbiter(options: ArbiterOptions): Arbiter {
  const keys = arbiterKeys(options.secret)
  const clock = options.clock ?? systemClock
  const graceMs = options.graceMs ?? 10_000
  const intervalMs = options.intervalMs ?? 1_000
  const staleMs = options.staleMs ?? 5_000
  const skewMs = options.skewMs ?? 30_000
  const log = options.log ?? (() => undefined)
  const startedAt = clock.now().getTime()
  const nonces = new Map<string, number>()
  const view = { failingSince: undefined as number | undefined, failures: 0, lastProbeAt: 0 }
  let decisions: Promise<unknown> = Promise.resolve()
  let loop: ProbeLoop | undefined

  async function probeOnce(): Promise<PrimarySeen | undefined> {
    const began = clock.now().getTime()
    let seen: PrimarySeen
    try {
      seen = await options.probe()
    } catch (error) {
      // A broken probe tells us nothing; the view goes stale and the arbiter votes nothing.
      log(`probe failed to run: ${(error as Error).message}`)
      return undefined
    }
    if (seen === 'alive') {
      if (view.failingSince !== undefined) log('primary answers again')
      view.failingSince = undefined
      view.failures = 0
    } else {
      if (view.failingSince === undefined) log('primary silent')
      view.failingSince ??= began
      view.failures += 1
    }
    view.lastProbeAt = clock.now().getTime()
    return seen
  }

  /** Why the arbiter does not (yet) see the primary dead, or undefined when it does. */
  function notDeadBecause(now: number): string | undefined {
    if (now - view.lastProbeAt > staleMs) return 'no recent probe of the primary'
    if (view.failingSince === undefined) return 'the primary answers'
    const failingMs = now - view.failingSince
    if (failingMs < graceMs || view.failures < MIN_FAILURES)
      return `the primary has been silent only ${failingMs} ms (grace ${graceMs} ms)`
    return undefined
  }

  async function decide(request: VoteRequest): Promise<Pick<VoteAnswer, 'vote' | 'reason'>> {
    const now = clock.now().getTime()
    forgetNoncesBefore(nonces, now)
    if (Math.abs(now - request.at) > skewMs)
      return { vote: 'refused', reason: 'the request is stale or from the future' }
    if (request.at < startedAt)
      return { vote: 'refused', reason: 'the request predates this arbiter process' }
    if (nonces.has(request.nonce)) return { vote: 'refused', reason: 'replayed request' }
    nonces.set(request.nonce, now + 2 * skewMs)
    const voted = await readVote(options.voteFile)
    if (
      voted !== undefined &&
      (voted.term !== request.term || voted.candidate !== request.candidate)
    )
      return {
        vote: 'refused',
        reason: `the arbiter has voted for term ${voted.term} of ${voted.candidate}`,
      }
    const because = notDeadBecause(now)
    if (because !== undefined) return { vote: 'alive', reason: because }
    if (voted === undefined)
      await recordVote(options.voteFile, {
        candidate: request.candidate,
        term: request.term,
        nonce: request.nonce,
        votedAt: new Date(now).toISOString(),
      })
    log(`voted: primary dead, promotion of ${request.candidate} to term ${request.term}`)
    return { vote: 'dead', reason: `silent for ${now - (view.failingSince ?? now)} ms` }
  }

  async function handleVote(body: string, mac: string | undefined): Promise<ArbiterReply> {
    if (!macMatches(keys.request, body, mac)) return errorReply(401, 'bad or missing MAC')
    const request = parseVoteRequest(body)
    if (request === undefined) return errorReply(400, 'malformed vote request')
    // One decision at a time: two requests must not both pass the vote record's check.
    const decided = decisions.then(() => decide(request))
    decisions = decided.catch(() => undefined)
    const { vote, reason } = await decided
    const answer: VoteAnswer = {
      kind: 'estate-arbiter-vote-answer',
      candidate: request.candidate,
      term: request.term,
      nonce: request.nonce,
      vote,
      reason,
      at: clock.now().getTime(),
    }
    const text = JSON.stringify(answer)
    return { status: 200, body: text, mac: macOf(keys.answer, text) }
  }

  function start(): void {
    if (loop !== undefined) return
    const state: ProbeLoop = { stop: false }
    loop = state
    const tick = (): void => {
      const began = Date.now()
      state.running = probeOnce().then(() => {
        if (!state.stop)
          state.timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - began)))
      })
    }
    tick()
  }

  async function close(): Promise<void> {
    if (loop === undefined) return
    loop.stop = true
    clearTimeout(loop.timer)
    await loop.running
  }

  return { probeOnce, start, handleVote, close }
}

export function errorReply(status: number, error: string): ArbiterReply {
  return { status, body: JSON.stringify({ error }) }
}

function forgetNoncesBefore(nonces: Map<string, number>, now: number): void {
  for (const [nonce, until] of nonces) if (until < now) nonces.delete(nonce)
}

async function readVote(file: string): Promise<VoteRecord | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined
    throw error
  }
  // A vote file we cannot read is a vote we cannot rule out: the caller refuses on a throw.
  const record = JSON.parse(text) as VoteRecord
  if (typeof record.candidate !== 'string' || !Number.isSafeInteger(record.term))
    throw new Error(`${file} is not a vote record`)
  return record
}

/** Written to a temporary file, fsynced, renamed over, and the directory fsynced. */
async function recordVote(file: string, record: VoteRecord): Promise<void> {
  const temporary = `${file}.tmp`
  const handle = await open(temporary, 'w', 0o600)
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temporary, file)
  const dir = await open(path.dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
