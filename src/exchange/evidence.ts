/**
 * Evidence of one exchanged message, for a court or an auditor, checkable offline: what was
 * asked and answered (the exact bytes each member signed, with their signatures and
 * certificates), the log record's metadata, and — when the log is anchored — the ledger receipt
 * proving that record's commitment was logged, cosigned, before anyone could have changed it.
 * The file is signed by the member whose gateway kept the record.
 *
 * Verification: the file's signature; the request signature with the client's certificate and
 * the response signature with the provider's; the response bound to the request (its request
 * hash); the record agreeing with the signed bytes; the certificates chaining to the given CAs;
 * the commitment recomputed from the record equal to the receipt's entry, and the receipt
 * itself (checked by the caller with the ledger's keys).
 */
import { createHash, sign, verify, X509Certificate, type KeyObject } from 'node:crypto'
import { hashLeaf, verifyInclusion } from '../ledger/index.ts'
import { anchorBytes, type AnchorBatch } from './anchoring.ts'
import { ExchangeError } from './errors.ts'
import { certificatePin } from './global-conf.ts'
import { requestHash, verifyMessage, verifyingKeyOf, type MessageSignature } from './message.ts'
import { commitmentOf } from './message-log.ts'

export const EVIDENCE_FORMAT = 'e-state-exchange-evidence/v1'

export interface SignedPart {
  /** Base64 of the exact signed bytes. */
  readonly signed: string
  readonly signature: MessageSignature
  /** Base64 DER certificate of the signing member. */
  readonly certificate: string
}

export interface Evidence {
  readonly format: typeof EVIDENCE_FORMAT
  readonly record: {
    readonly side: 'consumer' | 'provider'
    readonly messageId: string
    readonly client: string
    readonly service: string
    readonly method: string
    readonly path: string
    readonly userId: string | null
    readonly requestHash: string
    readonly status: number
    readonly errorType: string | null
    readonly startedAt: string
  }
  readonly request: SignedPart
  readonly response: SignedPart
  /** The ledger receipt of the record's commitment, once published (a node's own log). */
  readonly receipt: unknown
  /**
   * A standalone gateway's log is anchored in batches: the batch its member signed, the
   * record's leaf index and RFC 9162 inclusion proof (base64 hashes) under the batch's root, and
   * the ledger receipt of the batch's entry once published.
   */
  readonly anchor?: {
    readonly batch: AnchorBatch
    readonly index: number
    readonly proof: readonly string[]
    readonly receipt: unknown
  }
  readonly issuedAt: string
  readonly issuer: { readonly member: string; readonly certificate: string }
  /** Base64 ECDSA (DER) over the JSON of every other field, in this order. */
  readonly signature: string
}

export type UnsignedEvidence = Omit<Evidence, 'signature' | 'issuer' | 'issuedAt'>

export function signEvidence(
  evidence: UnsignedEvidence,
  issuer: { readonly member: string; readonly key: KeyObject; readonly certificate: Buffer },
  now: Date,
): Evidence {
  const body = {
    ...evidence,
    issuedAt: now.toISOString(),
    issuer: { member: issuer.member, certificate: issuer.certificate.toString('base64') },
  }
  return {
    ...body,
    signature: sign('sha256', Buffer.from(JSON.stringify(body)), issuer.key).toString('base64'),
  }
}

export interface VerifiedEvidence {
  readonly messageId: string
  readonly client: string
  readonly service: string
  readonly method: string
  readonly path: string
  readonly status: number
  readonly issuer: string
  /** The commitment the receipt must carry (hex). */
  readonly commitment: string
}

/**
 * Checks everything but the ledger receipt's own signatures (the caller holds the ledger's
 * keys). `cas`: certificates the members' and the issuer's certificates must be issued by.
 */
export function verifyEvidence(input: unknown, cas: readonly X509Certificate[]): VerifiedEvidence {
  const fail = (why: string): never => {
    throw new ExchangeError('InvalidSignatureValue', `evidence refused: ${why}`)
  }
  const evidence = input as Evidence
  if (evidence?.format !== EVIDENCE_FORMAT) fail(`not ${EVIDENCE_FORMAT}`)
  const { signature, ...body } = evidence
  const issuer = certificateOf(evidence.issuer?.certificate, cas, fail)
  if (
    !safeVerify(() =>
      verify(
        'sha256',
        Buffer.from(JSON.stringify(body)),
        issuer.publicKey,
        Buffer.from(signature, 'base64'),
      ),
    )
  )
    fail('the file is not signed by its issuer')

  const requestSigned = Buffer.from(evidence.request.signed, 'base64')
  const responseSigned = Buffer.from(evidence.response.signed, 'base64')
  const client = certificateOf(evidence.request.certificate, cas, fail)
  const provider = certificateOf(evidence.response.certificate, cas, fail)
  try {
    verifyMessage(requestSigned, evidence.request.signature, client, 'InvalidSignatureValue')
  } catch {
    fail("the request is not signed by the client's key")
  }
  try {
    verifyMessage(responseSigned, evidence.response.signature, provider, 'InvalidSignatureValue')
  } catch {
    fail("the response is not signed by the provider's key")
  }
  const hash = requestHash(requestSigned, evidence.request.signature)
  const request = JSON.parse(requestSigned.toString('utf8')) as unknown[]
  const response = JSON.parse(responseSigned.toString('utf8')) as unknown[]
  const record = evidence.record
  if (hash !== record.requestHash || response[2] !== hash)
    fail('the response does not answer this request')
  if (
    request[1] !== record.messageId ||
    request[2] !== record.client ||
    request[3] !== record.service ||
    request[4] !== record.method ||
    request[5] !== record.path ||
    (request[7] === '' ? null : request[7]) !== record.userId ||
    response[3] !== record.status
  )
    fail('the record does not agree with the signed request and response')
  const commitment = commitmentOf(
    {
      side: record.side,
      messageId: record.messageId,
      client: record.client,
      service: record.service,
      method: record.method,
      path: record.path,
      ...(record.userId === null ? {} : { userId: record.userId }),
      requestHash: record.requestHash,
      requestSignature: evidence.request.signature,
      responseSignature: evidence.response.signature,
      status: record.status,
      ...(record.errorType === null ? {} : { errorType: record.errorType }),
      startedAt: new Date(record.startedAt),
    },
    { request: String(request[11]), response: String(response[5]) },
  )
  const receiptEntry = (evidence.receipt as { entry?: string } | null)?.entry
  if (receiptEntry !== undefined && !Buffer.from(receiptEntry, 'base64').equals(commitment))
    fail('the ledger receipt is for another record')
  if (evidence.anchor !== undefined) {
    const { batch, index, proof } = evidence.anchor
    // The batch is the issuer's: its member, signed with the issuer's certificate.
    if (batch.member !== evidence.issuer.member || batch.certificate !== certificatePin(issuer.raw))
      fail("the anchored batch is not the issuer's")
    try {
      verifyMessage(
        anchorBytes(batch),
        { value: batch.signature, signedAt: batch.signedAt, certificate: batch.certificate },
        verifyingKeyOf(issuer),
        'InvalidSignatureValue',
      )
    } catch {
      fail('the anchored batch is not signed by its member')
    }
    try {
      verifyInclusion(
        hashLeaf(commitment),
        index,
        batch.count,
        proof.map((hash) => Buffer.from(hash, 'base64')),
        Buffer.from(batch.root, 'base64'),
      )
    } catch {
      fail('the record is not in the anchored batch')
    }
    const anchorEntry = (evidence.anchor.receipt as { entry?: string } | null)?.entry
    if (
      anchorEntry !== undefined &&
      !Buffer.from(anchorEntry, 'base64').equals(Buffer.from(JSON.stringify(batch), 'utf8'))
    )
      fail('the ledger receipt is for another batch')
  }
  return {
    messageId: record.messageId,
    client: record.client,
    service: record.service,
    method: record.method,
    path: record.path,
    status: record.status,
    issuer: evidence.issuer.member,
    commitment: commitment.toString('hex'),
  }
}

function certificateOf(
  base64: string | undefined,
  cas: readonly X509Certificate[],
  fail: (why: string) => never,
): X509Certificate {
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(Buffer.from(base64 ?? '', 'base64'))
  } catch {
    return fail('a certificate cannot be read')
  }
  if (!cas.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey)))
    fail(`${certificate.subject.replace(/\n/g, ', ')} is not issued by a trusted CA`)
  return certificate
}

function safeVerify(check: () => boolean): boolean {
  try {
    return check()
  } catch {
    return false
  }
}

export function digestBase64(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64')
}
