/**
 * Anchoring a standalone gateway's message log in the central ledger, in batches.
 *
 * The gateway's log keeps one commitment per record in its own outbox (as the node's does).
 * Every few seconds the gateway takes the commitments not yet anchored, in log order, makes
 * their RFC 9162 Merkle root, signs a batch statement with its member's signing key —
 *
 *   e-state-exchange-anchor/1, instance, gateway, member, sequence, first and last log id,
 *   count, root, signedAt
 *
 * — and posts it to the central node (`POST /exchange/anchors`). The node checks that the
 * gateway is registered, serves that member, and that the member's key in the global
 * configuration made the signature; then the statement itself becomes a ledger entry. A batch
 * is sent again, byte for byte, until the node accepts it (the node answers a repeat as
 * already anchored, and refuses a different batch under the same sequence): a lost answer
 * can never fork the gateway's history. Once accepted, the batch goes into the gateway's
 * `anchors.jsonl` (with its first and last log id, so the inclusion of any record can be
 * proved from the log) and its commitments leave the outbox.
 */
import { X509Certificate } from 'node:crypto'
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { hashLeaf, ledgerRecorder, recordedEntries, rootHash } from '../ledger/index.ts'
import type { Logger } from '../shared/index.ts'
import { ExchangeCallerError } from './errors.ts'
import type { Schema } from '../storage/index.ts'
import type { Signer } from '../trust/index.ts'
import { certificatePin, type GlobalConfiguration } from './global-conf.ts'
import { verifyMessage, verifyingKeyOf } from './message.ts'

export const ANCHOR_FORMAT = 'e-state-exchange-anchor/1'
/** At most this many records in one batch. */
export const ANCHOR_BATCH_MAX = 50_000

export interface AnchorBatch {
  readonly format: typeof ANCHOR_FORMAT
  readonly instance: string
  readonly gateway: string
  readonly member: string
  readonly sequence: number
  readonly firstId: number
  readonly lastId: number
  readonly count: number
  /** RFC 9162 root over the records' commitments (leaf hashes), base64. */
  readonly root: string
  readonly signedAt: string
  /** The member's signature (base64) and the SHA-256 pin of its signing certificate. */
  readonly signature: string
  readonly certificate: string
}

/** The exact bytes the member signs. */
export function anchorBytes(batch: Omit<AnchorBatch, 'signature' | 'certificate'>): Buffer {
  return Buffer.from(
    JSON.stringify([
      ANCHOR_FORMAT,
      batch.instance,
      batch.gateway,
      batch.member,
      batch.sequence,
      batch.firstId,
      batch.lastId,
      batch.count,
      batch.root,
      batch.signedAt,
    ]),
    'utf8',
  )
}

/** The root a batch states, from the commitments (in log order). */
export function anchorRoot(commitments: readonly Uint8Array[]): string {
  return rootHash(commitments.map((commitment) => hashLeaf(commitment))).toString('base64')
}

/**
 * Checks a batch against the configuration: a registered gateway (not this node's own), serving
 * the member, the member's signature. Throws ExchangeError.
 */
export function verifyAnchor(
  configuration: GlobalConfiguration,
  ownGateway: string,
  batch: AnchorBatch,
): void {
  if (batch.instance !== configuration.instance)
    throw new ExchangeCallerError('ANCHOR_INVALID', `the batch is for instance ${batch.instance}`)
  const gateway = configuration.gateways.find((candidate) => candidate.id === batch.gateway)
  if (gateway === undefined || gateway.id === ownGateway)
    throw new ExchangeCallerError(
      'ANCHOR_UNKNOWN_GATEWAY',
      `${batch.gateway} is not a registered gateway`,
    )
  if (!gateway.serves.includes(batch.member))
    throw new ExchangeCallerError(
      'ANCHOR_UNKNOWN_GATEWAY',
      `${batch.gateway} does not serve ${batch.member}`,
    )
  if (
    batch.lastId < batch.firstId ||
    batch.count < 1 ||
    batch.count > batch.lastId - batch.firstId + 1 ||
    batch.count > ANCHOR_BATCH_MAX ||
    !/^[A-Za-z0-9+/]{43}=$/.test(batch.root) ||
    Number.isNaN(Date.parse(batch.signedAt))
  )
    throw new ExchangeCallerError('ANCHOR_INVALID', 'the batch is malformed')
  const member = configuration.members.find((candidate) => candidate.id === batch.member)
  const der = member?.signingCertificates
    .map((text) => Buffer.from(text, 'base64'))
    .find((candidate) => certificatePin(candidate) === batch.certificate)
  if (der === undefined)
    throw new ExchangeCallerError(
      'ANCHOR_SIGNATURE_INVALID',
      `the batch is not signed with a key of ${batch.member} in the global configuration`,
    )
  try {
    verifyMessage(
      anchorBytes(batch),
      { value: batch.signature, signedAt: batch.signedAt, certificate: batch.certificate },
      verifyingKeyOf(new X509Certificate(der)),
      'InvalidSignatureValue',
    )
  } catch {
    throw new ExchangeCallerError('ANCHOR_SIGNATURE_INVALID', 'the batch signature does not verify')
  }
}

/**
 * Enters a verified batch into the ledger (through the outbox): once per gateway and sequence.
 * Answers `anchored`, `already` (the same batch again), or throws on a different batch under a
 * sequence already used.
 */
export async function recordAnchor(
  db: Kysely<Schema>,
  batch: AnchorBatch,
  recordedAt: string,
): Promise<'anchored' | 'already'> {
  const entry = Buffer.from(JSON.stringify(batch), 'utf8')
  return db.transaction().execute(async (trx) => {
    const earlier = (await recordedEntries(trx, 'exchange-anchor', batch.sequence))
      .map((row) => JSON.parse(Buffer.from(row.entry).toString('utf8')) as AnchorBatch)
      .filter((other) => other.gateway === batch.gateway)
    if (earlier.some((other) => other.root === batch.root && other.lastId === batch.lastId))
      return 'already'
    if (earlier.length > 0)
      throw new ExchangeCallerError(
        'ANCHOR_CONFLICT',
        `${batch.gateway} already anchored another batch as number ${batch.sequence}`,
      )
    await ledgerRecorder.record(trx, [
      { kind: 'exchange-anchor', refId: batch.sequence, recordedAt, entry },
    ])
    return 'anchored'
  })
}

/** The ledger index of a gateway's anchored batch, once the ledger has taken it. */
export async function anchorLedgerIndex(
  db: Kysely<Schema>,
  gateway: string,
  sequence: number,
): Promise<number | undefined> {
  const found = (await recordedEntries(db, 'exchange-anchor', sequence)).find(
    (row) =>
      row.index !== undefined &&
      (JSON.parse(Buffer.from(row.entry).toString('utf8')) as AnchorBatch).gateway === gateway,
  )
  return found?.index
}

interface AnchorState {
  readonly sequence: number
  readonly lastId: number
}

/** The last batch in `anchors.jsonl` (none yet: sequence 0). */
function lastAnchored(file: string): AnchorState {
  if (!existsSync(file)) return { sequence: 0, lastId: 0 }
  const line = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).at(-1)
  if (line === undefined) return { sequence: 0, lastId: 0 }
  const batch = JSON.parse(line) as AnchorBatch
  return { sequence: batch.sequence, lastId: batch.lastId }
}

/**
 * The gateway's side: every `intervalMs`, anchors what its log committed since the last batch.
 * `post` delivers a batch to the central node (true once accepted).
 */
export function startAnchoring(options: {
  /** The log's outbox: commitments after a log id, and removing anchored ones. */
  readonly outbox: {
    pending(after: number, limit: number): Promise<{ ref_id: number; entry: Uint8Array }[]>
    anchored(first: number, last: number): Promise<void>
  }
  readonly dataDir: string
  readonly instance: string
  readonly gateway: string
  readonly member: string
  readonly signer: Pick<Signer, 'sign'>
  readonly certificate: Buffer
  readonly intervalMs: number
  readonly post: (batch: AnchorBatch) => Promise<void>
  readonly now: () => Date
  readonly logger: Logger
}): { anchorNow(): Promise<number>; close(): Promise<void> } {
  const done = join(options.dataDir, 'anchors.jsonl')
  const pendingFile = join(options.dataDir, 'anchors.pending.json')
  // The last batch anchored and one sent but not yet accepted: read from disk once, at start
  // (the files are for a restart), then kept here.
  let last = lastAnchored(done)
  let pending: AnchorBatch | undefined = existsSync(pendingFile)
    ? (JSON.parse(readFileSync(pendingFile, 'utf8')) as AnchorBatch)
    : undefined
  let running: Promise<number> | undefined
  const anchorOnce = async (): Promise<number> => {
    if (pending === undefined) {
      // One writer commits the log in order, so these are every record up to the last one.
      const rows = await options.outbox.pending(last.lastId, ANCHOR_BATCH_MAX)
      if (rows.length === 0) return 0
      const unsigned = {
        format: ANCHOR_FORMAT,
        instance: options.instance,
        gateway: options.gateway,
        member: options.member,
        sequence: last.sequence + 1,
        firstId: rows[0].ref_id,
        lastId: rows[rows.length - 1].ref_id,
        count: rows.length,
        root: anchorRoot(rows.map((row) => row.entry)),
        signedAt: options.now().toISOString(),
      } as const
      pending = {
        ...unsigned,
        signature: (await options.signer.sign(anchorBytes(unsigned))).toString('base64'),
        certificate: certificatePin(options.certificate),
      }
      // Kept before it is sent: a batch is sent again as it is until accepted.
      writeFileSync(pendingFile, JSON.stringify(pending), { mode: 0o600, flush: true })
    }
    const batch = pending
    await options.post(batch)
    appendFileSync(done, `${JSON.stringify(batch)}\n`, { flush: true })
    last = { sequence: batch.sequence, lastId: batch.lastId }
    pending = undefined
    rmSync(pendingFile, { force: true })
    await options.outbox.anchored(batch.firstId, batch.lastId)
    return batch.count
  }
  const anchorNow = () => {
    running ??= anchorOnce().finally(() => (running = undefined))
    return running
  }
  const timer = setInterval(() => {
    anchorNow().catch((error: unknown) =>
      options.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'the message log could not be anchored yet; will retry',
      ),
    )
  }, options.intervalMs)
  timer.unref()
  return {
    anchorNow,
    async close() {
      clearInterval(timer)
      await running?.catch(() => undefined)
    },
  }
}
