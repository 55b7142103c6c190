/**
 * The arbiter's vote on the wire: what the embassy asks, what the arbiter answers, and how
 * each side knows the other wrote it.
 *
 * Authentication is an HMAC-SHA-256 over the exact body bytes with a 32-byte secret that the
 * arbiter makes (`arbiter.secret`) and the operator carries to the embassy, as the embassy's TLS
 * files are carried. Each direction has its own key derived from the secret, so a request can
 * never be passed off as an answer. The request carries the candidate, the term (the generation
 * its promotion will create), a fresh random nonce and the time; the arbiter refuses a request
 * whose MAC fails, whose time is outside its window or before the arbiter started, or whose
 * nonce it has already seen (replay). The answer repeats the nonce, candidate and term, and the
 * embassy accepts it only for the request it is waiting on: an old "dead" answer replayed by a
 * man in the middle names another nonce, and a changed one fails its MAC.
 *
 * Rejected alternative: mutual TLS with the sites' certificates (`site-tls.ts`). The site CA's
 * key is dropped once the two sites' certificates exist, so the arbiter could get none, and the
 * replication client certificate would let the arbiter log in to the primary as the
 * replication role. TLS remains available for the transport (an `https:` arbiter URL with its
 * CA), for confidentiality; integrity and authenticity come from the MAC either way.
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { equalSecrets, hmacSha256 } from '../crypto/index.ts'
import { CloudError } from './errors.ts'

export const ARBITER_MAC_HEADER = 'x-estate-arbiter-mac'
export const ARBITER_VOTE_PATH = '/v1/vote'
/** The largest body either side reads. */
export const ARBITER_BODY_LIMIT = 4_096
const SECRET_BYTES = 32

export interface VoteRequest {
  readonly kind: 'estate-arbiter-vote-request'
  /** Who asks: the embassy's name (its host). */
  readonly candidate: string
  /** The generation the candidate's promotion will create. */
  readonly term: number
  /** 16 random bytes, base64url: binds the answer to this request and makes replays visible. */
  readonly nonce: string
  /** When the request was made, milliseconds since the epoch (the candidate's clock). */
  readonly at: number
}

/**
 * `dead`: the arbiter's vote — it also sees the primary dead, and has recorded the vote.
 * `alive`: it sees the primary, or not dead for long enough. `refused`: the request cannot get
 * a vote (replayed, stale, or another promotion holds the arbiter's vote).
 */
export type VoteDecision = 'dead' | 'alive' | 'refused'

export interface VoteAnswer {
  readonly kind: 'estate-arbiter-vote-answer'
  readonly candidate: string
  readonly term: number
  readonly nonce: string
  readonly vote: VoteDecision
  readonly reason: string
  readonly at: number
}

export interface ArbiterKeys {
  readonly request: Buffer
  readonly answer: Buffer
}

export function arbiterKeys(secret: Uint8Array): ArbiterKeys {
  if (secret.length < SECRET_BYTES) throw new TypeError('the arbiter secret is too short')
  return {
    request: hmacSha256(secret, 'e-state arbiter v1: vote request'),
    answer: hmacSha256(secret, 'e-state arbiter v1: vote answer'),
  }
}

export function macOf(key: Uint8Array, body: string): string {
  return hmacSha256(key, body).toString('base64url')
}

export function macMatches(key: Uint8Array, body: string, mac: string | undefined): boolean {
  if (mac === undefined || !/^[A-Za-z0-9_-]{43}$/.test(mac)) return false
  return equalSecrets(hmacSha256(key, body), Buffer.from(mac, 'base64url'))
}

/** A new secret in `file` (0600); refuses to overwrite one. */
export async function createArbiterSecret(file: string): Promise<void> {
  const text = `${randomBytes(SECRET_BYTES).toString('base64url')}\n`
  await writeFile(file, text, { mode: 0o600, flag: 'wx' })
}

export async function readArbiterSecret(file: string): Promise<Buffer> {
  const text = (await readFile(file, 'utf8')).trim()
  const secret = Buffer.from(text, 'base64url')
  if (secret.length < SECRET_BYTES || secret.toString('base64url') !== text)
    throw new CloudError('CLOUD_SITE_INVALID', `${file} is not an arbiter secret`)
  return secret
}

const NONCE = /^[A-Za-z0-9_-]{22,64}$/
const CANDIDATE = /^[A-Za-z0-9._:-]{1,200}$/

/** The request, if the text is exactly one; undefined for anything else. */
export function parseVoteRequest(text: string): VoteRequest | undefined {
  const value = parseObject(text, ['kind', 'candidate', 'term', 'nonce', 'at'])
  if (value === undefined || value.kind !== 'estate-arbiter-vote-request') return undefined
  const { candidate, term, nonce, at } = value
  if (typeof candidate !== 'string' || !CANDIDATE.test(candidate)) return undefined
  if (!isCount(term) || !isCount(at) || typeof nonce !== 'string' || !NONCE.test(nonce))
    return undefined
  return { kind: 'estate-arbiter-vote-request', candidate, term, nonce, at }
}

export function parseVoteAnswer(text: string): VoteAnswer | undefined {
  const value = parseObject(text, ['kind', 'candidate', 'term', 'nonce', 'vote', 'reason', 'at'])
  if (value === undefined || value.kind !== 'estate-arbiter-vote-answer') return undefined
  const { candidate, term, nonce, vote, reason, at } = value
  if (typeof candidate !== 'string' || typeof nonce !== 'string' || typeof reason !== 'string')
    return undefined
  if (!isCount(term) || !isCount(at)) return undefined
  if (vote !== 'dead' && vote !== 'alive' && vote !== 'refused') return undefined
  return { kind: 'estate-arbiter-vote-answer', candidate, term, nonce, vote, reason, at }
}

function parseObject(text: string, keys: readonly string[]): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const present = Object.keys(value)
  if (present.length !== keys.length || !keys.every((key) => present.includes(key)))
    return undefined
  return value as Record<string, unknown>
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}

export interface ArbiterClientOptions {
  /** The arbiter's base URL (`http://host:port` or `https://…`). */
  readonly url: string
  readonly secret: Uint8Array
  /** CA certificates (PEM) an `https:` arbiter's certificate must chain to. */
  readonly ca?: Buffer
  readonly timeoutMs?: number
  readonly now?: () => Date
}

/**
 * Asks the arbiter for its vote on the promotion of `candidate` to `term`. Returns the answer
 * only once it is proven the arbiter's and this request's; throws `CLOUD_NO_QUORUM` for anything
 * else (no answer, an unsigned or forged one, one bound to another request).
 */
export async function requestVote(
  options: ArbiterClientOptions,
  candidate: string,
  term: number,
): Promise<VoteAnswer> {
  const keys = arbiterKeys(options.secret)
  const request: VoteRequest = {
    kind: 'estate-arbiter-vote-request',
    candidate,
    term,
    nonce: randomBytes(16).toString('base64url'),
    at: (options.now?.() ?? new Date()).getTime(),
  }
  const body = JSON.stringify(request)
  const reply = await post(options, body, macOf(keys.request, body))
  const refuse = (why: string): CloudError =>
    new CloudError('CLOUD_NO_QUORUM', `the arbiter's answer is not usable: ${why}`, {
      status: reply.status,
    })
  if (!macMatches(keys.answer, reply.body, reply.mac))
    throw refuse(`HTTP ${reply.status} without a valid MAC`)
  const answer = parseVoteAnswer(reply.body)
  if (answer === undefined) throw refuse('malformed')
  if (answer.nonce !== request.nonce) throw refuse('it answers another request (replayed?)')
  if (answer.candidate !== candidate || answer.term !== term)
    throw refuse('it names another candidate or term')
  return answer
}

interface Reply {
  readonly status: number
  readonly body: string
  readonly mac: string | undefined
}

function post(options: ArbiterClientOptions, body: string, mac: string): Promise<Reply> {
  const url = new URL(ARBITER_VOTE_PATH, options.url)
  const secure = url.protocol === 'https:'
  if (!secure && url.protocol !== 'http:')
    throw new TypeError(`arbiter URL must be http: or https:, not ${url.protocol}`)
  const timeoutMs = options.timeoutMs ?? 3_000
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void =>
      reject(
        new CloudError(
          'CLOUD_NO_QUORUM',
          `the arbiter did not answer: ${error.message}`,
          {},
          {
            cause: error,
          },
        ),
      )
    const request = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', [ARBITER_MAC_HEADER]: mac },
        timeout: timeoutMs,
        ...(secure && options.ca !== undefined ? { ca: options.ca } : {}),
      },
      (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > ARBITER_BODY_LIMIT) request.destroy(new Error('answer too large'))
          else chunks.push(chunk)
        })
        response.on('error', failed)
        response.on('end', () => {
          const header = response.headers[ARBITER_MAC_HEADER]
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            mac: typeof header === 'string' ? header : undefined,
          })
        })
      },
    )
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    request.on('error', failed)
    request.end(body)
  })
}
