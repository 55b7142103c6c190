/**
 * Evidence of one message from this node's message log (`e-state exchange evidence ID`): the
 * record, the signed bytes unsealed, the members' certificates from the global configuration,
 * the ledger receipt of the record's commitment (once a published checkpoint covers it), signed
 * by the member whose side kept the record. A standalone gateway's record carries instead the
 * batch it was anchored in (`anchorOf`, see `gatewayAnchorOf`).
 */
import type { Kysely } from 'kysely'
import type { Envelope } from '../crypto/index.ts'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  buildReceipt,
  hashLeaf,
  inclusionProof,
  ledgerIndicesOf,
  type TreeReader,
} from '../ledger/index.ts'
import type { AnchorBatch } from './anchoring.ts'
import type { Schema } from '../storage/index.ts'
import { ExchangeError } from './errors.ts'
import { EVIDENCE_FORMAT, signEvidence, type Evidence } from './evidence.ts'
import { certificatePin, type GlobalConfiguration } from './global-conf.ts'
import type { MessageSignature } from './message.ts'
import { signedContext } from './message-log.ts'
import type { MemberKey } from './exchange-store.ts'
import type { KeyObject } from 'node:crypto'

export async function exportEvidence(
  options: {
    readonly db: Kysely<Schema>
    readonly envelope: Envelope
    readonly tree: TreeReader
    readonly configuration: GlobalConfiguration
    readonly keyOf: (member: string) => Promise<MemberKey & { key: KeyObject }>
    readonly now: Date
    /** A standalone gateway's log: the anchored batch holding the record, with its proof. */
    readonly anchorOf?: (logId: number) => Promise<Evidence['anchor']>
  },
  logId: number,
): Promise<Evidence> {
  const row = await options.db
    .selectFrom('exchange_message_log')
    .selectAll()
    .where('id', '=', logId)
    .executeTakeFirst()
  if (row === undefined) throw new ExchangeError('InvalidRequest', `no message-log record ${logId}`)
  if (
    row.request_signed === null ||
    row.response_signed === null ||
    row.request_signature === null ||
    row.response_signature === null ||
    row.request_hash === null
  )
    throw new ExchangeError(
      'InvalidRequest',
      `record ${logId} holds no signed exchange (refused before signing)`,
    )
  const side = row.side as 'consumer' | 'provider'
  const open = (sealed: Uint8Array, which: string) =>
    options.envelope.decrypt(sealed, signedContext({ side, messageId: row.message_id }, which))
  const requestSignature = JSON.parse(row.request_signature) as MessageSignature
  const responseSignature = JSON.parse(row.response_signature) as MessageSignature
  const certificateFor = (signature: MessageSignature) => {
    for (const member of options.configuration.members)
      for (const text of member.signingCertificates)
        if (certificatePin(Buffer.from(text, 'base64')) === signature.certificate) return text
    throw new ExchangeError(
      'InvalidRequest',
      'a signing certificate is no longer in the configuration',
    )
  }
  const ledgerIndex = (await ledgerIndicesOf(options.db, 'exchange-message', [logId])).get(logId)
  let receipt: unknown = null
  if (ledgerIndex !== undefined) {
    try {
      receipt = await buildReceipt(options.db, options.tree, ledgerIndex)
    } catch {
      receipt = null // not in a published checkpoint yet
    }
  }
  const member =
    side === 'consumer'
      ? row.client.split('/').slice(0, 3).join('/')
      : row.service.split('/').slice(0, 3).join('/')
  const issuer = await options.keyOf(member)
  const anchor = await options.anchorOf?.(logId)
  return signEvidence(
    {
      format: EVIDENCE_FORMAT,
      record: {
        side,
        messageId: row.message_id,
        client: row.client,
        service: row.service,
        method: row.method,
        path: row.path,
        userId: row.user_id,
        requestHash: row.request_hash,
        status: row.status,
        errorType: row.error_type,
        startedAt: row.started_at,
      },
      request: {
        signed: open(row.request_signed, 'request').toString('base64'),
        signature: requestSignature,
        certificate: certificateFor(requestSignature),
      },
      response: {
        signed: open(row.response_signed, 'response').toString('base64'),
        signature: responseSignature,
        certificate: certificateFor(responseSignature),
      },
      receipt,
      ...(anchor === undefined ? {} : { anchor }),
    },
    { member, key: issuer.key, certificate: issuer.certificate },
    options.now,
  )
}

/**
 * Where a standalone gateway's record was anchored: the batch in `anchors.jsonl` covering it,
 * the record's leaf index among the batch's records and its inclusion proof, and the ledger
 * receipt of the batch (asked of the central node; null until published). Undefined while the
 * record is not anchored yet.
 */
export function gatewayAnchorOf(options: {
  readonly db: Kysely<Schema>
  readonly dataDir: string
  readonly receiptOf: (batch: AnchorBatch) => Promise<unknown>
}): (logId: number) => Promise<Evidence['anchor']> {
  return async (logId) => {
    const file = join(options.dataDir, 'anchors.jsonl')
    if (!existsSync(file)) return undefined
    const batch = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AnchorBatch)
      .find((candidate) => candidate.firstId <= logId && logId <= candidate.lastId)
    if (batch === undefined) return undefined
    const rows = await options.db
      .selectFrom('exchange_message_log')
      .select(['id', 'commitment'])
      .where('id', '>=', batch.firstId)
      .where('id', '<=', batch.lastId)
      .orderBy('id')
      .execute()
    const index = rows.findIndex((row) => Number(row.id) === logId)
    if (rows.length !== batch.count || index < 0)
      throw new ExchangeError(
        'InvalidRequest',
        `the log no longer matches anchored batch ${batch.sequence}`,
      )
    const leaves = rows.map((row) => hashLeaf(Buffer.from(row.commitment, 'hex')))
    return {
      batch,
      index,
      proof: inclusionProof(leaves, index).map((hash) => hash.toString('base64')),
      receipt: await options.receiptOf(batch),
    }
  }
}
