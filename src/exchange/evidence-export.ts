/**
 * Evidence of one message from this node's message log (`e-state exchange evidence ID`): the
 * record, the signed bytes unsealed, the members' certificates from the global configuration,
 * the ledger receipt of the record's commitment (once a published checkpoint covers it), signed
 * by the member whose side kept the record.
 */
import type { Kysely } from 'kysely'
import type { Envelope } from '../crypto/index.ts'
import { buildReceipt, type TreeReader } from '../ledger/index.ts'
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
  const ledger = await options.db
    .selectFrom('ledger_entries')
    .select('idx')
    .where('kind', '=', 'exchange-message')
    .where('ref_id', '=', logId)
    .executeTakeFirst()
  let receipt: unknown = null
  if (ledger !== undefined) {
    try {
      receipt = await buildReceipt(options.db, options.tree, Number(ledger.idx))
    } catch {
      receipt = null // not in a published checkpoint yet
    }
  }
  const member =
    side === 'consumer'
      ? row.client.split('/').slice(0, 3).join('/')
      : row.service.split('/').slice(0, 3).join('/')
  const issuer = await options.keyOf(member)
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
    },
    { member, key: issuer.key, certificate: issuer.certificate },
    options.now,
  )
}
