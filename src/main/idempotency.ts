/**
 * `Idempotency-Key` on HTTP acts (IETF draft-ietf-httpapi-idempotency-key-header): a client
 * that may send an act twice — its connection broke, or the primary site died and it retries
 * at the embassy — names the attempt, and the act is applied at most once.
 *
 * For POST, PUT, PATCH and DELETE with the header (outside the exchange, whose messages carry
 * their own X-Road-Id): before the handler runs, a row (presented identity, key, fingerprint of
 * method, path and body, `started`) is committed. Then
 *
 *   - a successful answer, once sent, is kept with the row (`done`) and replayed to a retry
 *     with the same fingerprint (`Idempotent-Replayed: true`); a refusal (4xx: nothing was
 *     applied) releases the key;
 *   - a retry while the row is still `started` — the first attempt running, or its outcome
 *     unknown because the answer was never made (a crash, a 5xx) — gets 409
 *     `IDEMPOTENCY_OUTCOME_UNKNOWN`: never a second application, never a claimed success;
 *   - the same key with another request gets 422 `IDEMPOTENCY_KEY_REUSED`.
 *
 * Keys are kept 24 hours. An answer larger than 64 kB, or streamed, is not kept: its retry gets
 * 409 `IDEMPOTENCY_NOT_REPLAYABLE` (the act was done).
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { EStateError } from '../shared/index.ts'
import type { Platform } from './platform.ts'
import { presentedIdentity } from './admission.ts'

const KEY = /^[\x21-\x7e]{1,255}$/
const KEPT_BYTES = 64 * 1024
const KEPT_MS = 24 * 3600 * 1000
const ACTS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

interface Claimed {
  readonly identity: string
  readonly key: string
}

export function registerIdempotency(app: FastifyInstance, platform: () => Platform): void {
  const claimed = new WeakMap<FastifyRequest, Claimed>()
  let purgedAt = 0

  app.addHook('preHandler', async (request, reply) => {
    const header = request.headers['idempotency-key']
    if (header === undefined || !ACTS.has(request.method)) return
    if (request.url.startsWith('/r1/')) return
    const key = typeof header === 'string' ? header.trim().replace(/^"(.*)"$/, '$1') : ''
    if (!KEY.test(key))
      throw new EStateError(
        'INVALID_INPUT',
        'Idempotency-Key must be 1–255 printable ASCII characters, given once',
        { field: 'Idempotency-Key' },
      )
    const current = platform()
    const db = current.store.db
    const identity = presentedIdentity(request.headers) ?? `address:${request.ip}`
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.url}\n`)
      .update(bodyBytes(request.body))
      .digest('hex')
    const now = current.clock.now()
    if (now.getTime() - purgedAt > 60_000) {
      purgedAt = now.getTime()
      await db
        .deleteFrom('idempotent_requests')
        .where('created_at', '<', new Date(now.getTime() - KEPT_MS).toISOString())
        .execute()
    }
    const inserted = await db
      .insertInto('idempotent_requests')
      .values({
        identity,
        idempotency_key: key,
        fingerprint,
        state: 'started',
        status: null,
        content_type: null,
        body: null,
        created_at: now.toISOString(),
      })
      .onConflict((conflict) => conflict.columns(['identity', 'idempotency_key']).doNothing())
      .executeTakeFirst()
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) {
      claimed.set(request, { identity, key })
      return
    }
    const earlier = await db
      .selectFrom('idempotent_requests')
      .selectAll()
      .where('identity', '=', identity)
      .where('idempotency_key', '=', key)
      .executeTakeFirst()
    if (earlier === undefined) throw new EStateError('IDEMPOTENCY_OUTCOME_UNKNOWN', 'retry')
    if (earlier.fingerprint !== fingerprint)
      throw new EStateError(
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used for another request: use a new key for a new act',
      )
    if (earlier.state !== 'done')
      throw new EStateError(
        'IDEMPOTENCY_OUTCOME_UNKNOWN',
        'the first request with this key is still running or its outcome is unknown: check the state of what it acted on before acting again',
      )
    if (earlier.body === null || earlier.status === null)
      throw new EStateError(
        'IDEMPOTENCY_NOT_REPLAYABLE',
        'the act was done; its answer was too large to keep',
      )
    return replay(reply, earlier.status, earlier.content_type, Buffer.from(earlier.body))
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = claimed.get(request)
    if (claim === undefined) return payload
    claimed.delete(request)
    // A 5xx leaves the outcome unknown: the row stays `started` (a retry gets 409).
    if (reply.statusCode >= 500) return payload
    // A 4xx refused the act (nothing applied): the key is released, so a stranger's refused
    // requests leave nothing behind and a corrected retry may act.
    if (reply.statusCode >= 400) {
      await platform()
        .store.db.deleteFrom('idempotent_requests')
        .where('identity', '=', claim.identity)
        .where('idempotency_key', '=', claim.key)
        .execute()
      return payload
    }
    const bytes =
      typeof payload === 'string'
        ? Buffer.from(payload, 'utf8')
        : Buffer.isBuffer(payload)
          ? payload
          : undefined
    const kept = bytes !== undefined && bytes.length <= KEPT_BYTES
    const contentType = reply.getHeader('content-type')
    await platform()
      .store.db.updateTable('idempotent_requests')
      .set({
        state: 'done',
        status: kept ? reply.statusCode : null,
        content_type: kept && typeof contentType === 'string' ? contentType : null,
        body: kept ? bytes : null,
      })
      .where('identity', '=', claim.identity)
      .where('idempotency_key', '=', claim.key)
      .execute()
    return payload
  })
}

function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0)
  if (Buffer.isBuffer(body)) return body
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  return Buffer.from(JSON.stringify(body), 'utf8')
}

function replay(
  reply: FastifyReply,
  status: number,
  contentType: string | null,
  body: Buffer,
): FastifyReply {
  reply.code(status).header('idempotent-replayed', 'true')
  if (contentType !== null) reply.header('content-type', contentType)
  return reply.send(body)
}
