/**
 * The message log, kept by each gateway for its side of every message: ids, parties, the
 * request hash, both signatures, the outcome, and — as the subsystem chose (`body`, `metadata`
 * or `off`) — the bodies, encrypted under the exchange's data key. Each record's commitment
 * (SHA-256 over its metadata, signatures and the bodies' digests, so a body kept nowhere can
 * still be proved later) goes to the ledger through the outbox in the same transaction: the
 * ledger anchors the log in batches, and no one can quietly rewrite it.
 */
import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Envelope } from '../crypto/index.ts'
import { ledgerRecorder } from '../ledger/index.ts'
import type { Clock } from '../shared/index.ts'
import type { Schema } from '../storage/index.ts'
import type { MessageRecord } from './gateway.ts'

export const EXCHANGE_AGENCY = 'exchange'

/**
 * The record's commitment. The bodies enter by their SHA-256 (base64) — given, when checking
 * evidence whose bodies were not kept (the signed bytes carry the same digests).
 */
export function commitmentOf(
  record: Omit<MessageRecord, 'requestBody' | 'responseBody' | 'bodyLogging' | 'durationMs'> &
    Partial<Pick<MessageRecord, 'requestBody' | 'responseBody'>>,
  digests?: { readonly request: string; readonly response: string },
): Buffer {
  const digest = (body: Buffer | undefined) =>
    createHash('sha256')
      .update(body ?? Buffer.alloc(0))
      .digest('base64')
  return createHash('sha256')
    .update(
      JSON.stringify([
        'e-state-exchange-log/1',
        record.side,
        record.messageId,
        record.client,
        record.service,
        record.method,
        record.path,
        record.userId ?? '',
        record.requestHash ?? '',
        record.requestSignature?.value ?? '',
        record.responseSignature?.value ?? '',
        record.status,
        record.errorType ?? '',
        record.startedAt.toISOString(),
        digests?.request ??
          record.spooled?.request?.digest.toString('base64') ??
          digest(record.requestBody),
        digests?.response ??
          record.spooled?.response?.digest.toString('base64') ??
          digest(record.responseBody),
      ]),
    )
    .digest()
}

export function createMessageLog(options: {
  readonly db: Kysely<Schema>
  readonly envelope: Envelope
  readonly clock: Clock
}): (record: MessageRecord) => Promise<void> {
  // Group commit: records arriving together are written in one transaction (one fsync), and
  // each caller is answered once its record is durable.
  let queue: { record: MessageRecord; resolve: () => void; reject: (error: unknown) => void }[] = []
  let flushing: Promise<void> | undefined
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue
      queue = []
      try {
        await options.db.transaction().execute(async (trx) => {
          for (const { record } of batch) await writeRecord(trx, options, record)
        })
        for (const waiting of batch) waiting.resolve()
      } catch (error) {
        for (const waiting of batch) waiting.reject(error)
      }
    }
    flushing = undefined
  }
  return (record) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ record, resolve, reject })
      flushing ??= new Promise<void>((start) => setImmediate(start)).then(flush)
    })
}

/** Associated data of a sealed signed-bytes column: it opens only in its own row and place. */
export function signedContext(
  record: Pick<MessageRecord, 'side' | 'messageId'>,
  which: string,
): string {
  return `exchange-signed:${record.side}:${record.messageId}:${which}`
}

/** A log record as stored: metadata, signatures, sealed bodies, and its commitment. */
export interface LogRow {
  readonly side: string
  readonly message_id: string
  readonly client: string
  readonly service: string
  readonly method: string
  readonly path: string
  readonly user_id: string | null
  readonly request_hash: string | null
  readonly request_signature: string | null
  readonly response_signature: string | null
  readonly request_signed: Buffer | null
  readonly response_signed: Buffer | null
  readonly status: number
  readonly error_type: string | null
  readonly request_size: number
  readonly response_size: number
  readonly request_body: Buffer | null
  readonly response_body: Buffer | null
  readonly started_at: string
  readonly duration_ms: number
  readonly commitment: string
}

/** The row for a record: the commitment computed, the bodies sealed as the subsystem chose. */
export function logRowOf(envelope: Envelope, record: MessageRecord): LogRow {
  // A spooled (large) body is kept by its digest in the commitment, not in the log.
  const sealed = (body: Buffer, which: 'request' | 'response') =>
    record.bodyLogging === 'body' && record.spooled?.[which] === undefined
      ? envelope.encrypt(
          EXCHANGE_AGENCY,
          body,
          `exchange-log:${record.side}:${record.messageId}:${which}`,
        )
      : null
  return {
    side: record.side,
    message_id: record.messageId,
    client: record.client,
    service: record.service,
    method: record.method,
    path: record.bodyLogging === 'off' ? '' : record.path,
    user_id: record.userId ?? null,
    request_hash: record.requestHash ?? null,
    request_signature:
      record.requestSignature === undefined ? null : JSON.stringify(record.requestSignature),
    response_signature:
      record.responseSignature === undefined ? null : JSON.stringify(record.responseSignature),
    request_signed:
      record.requestSigned === undefined
        ? null
        : envelope.encrypt(EXCHANGE_AGENCY, record.requestSigned, signedContext(record, 'request')),
    response_signed:
      record.responseSigned === undefined
        ? null
        : envelope.encrypt(
            EXCHANGE_AGENCY,
            record.responseSigned,
            signedContext(record, 'response'),
          ),
    status: record.status,
    error_type: record.errorType ?? null,
    request_size: record.spooled?.request?.length ?? record.requestBody.length,
    response_size: record.spooled?.response?.length ?? record.responseBody.length,
    request_body: sealed(record.requestBody, 'request'),
    response_body: sealed(record.responseBody, 'response'),
    started_at: record.startedAt.toISOString(),
    duration_ms: record.durationMs,
    commitment: commitmentOf(record).toString('hex'),
  }
}

async function writeRecord(
  trx: Kysely<Schema>,
  options: { readonly envelope: Envelope; readonly clock: Clock },
  record: MessageRecord,
): Promise<void> {
  const values = logRowOf(options.envelope, record)
  const row = await trx
    .insertInto('exchange_message_log')
    .values(values)
    .returning('id')
    .executeTakeFirstOrThrow()
  await ledgerRecorder.record(trx, [
    {
      kind: 'exchange-message',
      refId: Number(row.id),
      recordedAt: options.clock.now().toISOString(),
      entry: Buffer.from(values.commitment, 'hex'),
    },
  ])
}
