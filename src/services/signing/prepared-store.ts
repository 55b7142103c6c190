/**
 * Prepared signatures, kept in the store between the two steps of remote signing: prepare (the
 * hash the signer's key must sign) and finalize (the signature value in, the container out).
 * A row is sealed with the envelope (the documents may be confidential), bound to its id's hash
 * and the signer, lives five minutes, and is taken once: `take` deletes it in the same statement
 * that reads it, so two finalize calls (two processes, or a replay) cannot both succeed.
 */
import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { Envelope } from '../../crypto/index.ts'
import type { ContainerDocument, PreparedSignature } from '../../signature/index.ts'
import type { Schema, Store } from '../../storage/index.ts'

/** The envelope's data key for the signing service's sealed rows. */
export const SIGNING_AGENCY = 'signing'

export interface PendingSignature {
  readonly prepared: PreparedSignature
  readonly documents: readonly ContainerDocument[]
  readonly existing: readonly { name: string; bytes: Buffer }[]
}

const hashOf = (id: string): string => createHash('sha256').update(id).digest('hex')
const context = (idHash: string, personalCode: string): string =>
  `signing-prepared:${idHash}:${personalCode}`

/** JSON with binary values as `{ "$b": base64 }` (not Buffer's array of numbers). */
function serialize(pending: PendingSignature): string {
  return JSON.stringify(pending, function (this: Record<string, unknown>, key, value: unknown) {
    const original = this[key]
    return original instanceof Uint8Array ? { $b: Buffer.from(original).toString('base64') } : value
  })
}

function deserialize(text: string): PendingSignature {
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length === 1 &&
    typeof (value as { $b?: unknown }).$b === 'string'
      ? Buffer.from((value as { $b: string }).$b, 'base64')
      : value,
  ) as PendingSignature
}

/** How many may wait: for one person, and in all. */
export interface PreparedLimits {
  readonly perPerson: number
  readonly total: number
}

export interface PreparedStore {
  /** How many live signatures this person has waiting, and how many wait in all. */
  counts(personalCode: string, now: Date): Promise<{ person: number; all: number }>
  /**
   * Saves it unless the limits are reached, counted and inserted in one transaction that
   * prepares wait for in turn (many prepares at once cannot all pass the count), expired rows
   * deleted first: `'saved'`, or which limit was full.
   */
  save(
    id: string,
    personalCode: string,
    expiresAt: Date,
    pending: PendingSignature,
    now: Date,
    limits: PreparedLimits,
  ): Promise<'saved' | 'person' | 'all'>
  /** Deletes what expired (and can never be finished); returns how many. */
  prune(now: Date): Promise<number>
  /** The person's live prepared signature, removed as it is read; undefined if none. */
  take(id: string, personalCode: string, now: Date): Promise<PendingSignature | undefined>
}

/** The transaction lock every save takes on PostgreSQL (SQLite's one writer serializes them). */
const SAVE_LOCK = 0x5349474e // "SIGN"

/** Deletes the rows that expired: they can never be finished. */
async function deleteExpired(db: Kysely<Schema>, now: Date): Promise<number> {
  const gone = await db
    .deleteFrom('signing_prepared')
    .where('expires_at', '<', now.toISOString())
    .executeTakeFirst()
  return Number(gone.numDeletedRows)
}

async function countsIn(db: Kysely<Schema>, personalCode: string, now: Date) {
  const rows = await db
    .selectFrom('signing_prepared')
    .where('expires_at', '>=', now.toISOString())
    .select((eb) => [
      eb.fn.countAll<number | string>().as('all'),
      eb.fn
        .sum<number | string | null>(
          eb.case().when('personal_code', '=', personalCode).then(1).else(0).end(),
        )
        .as('person'),
    ])
    .executeTakeFirstOrThrow()
  return { person: Number(rows.person ?? 0), all: Number(rows.all) }
}

export function preparedStore(store: Store, envelope: Envelope): PreparedStore {
  const { db } = store
  return {
    counts: (personalCode, now) => countsIn(db, personalCode, now),

    async save(id, personalCode, expiresAt, pending, now, limits) {
      const idHash = hashOf(id)
      const sealed = envelope.encrypt(
        SIGNING_AGENCY,
        serialize(pending),
        context(idHash, personalCode),
      )
      return db.transaction().execute(async (trx) => {
        if (store.engine === 'postgres')
          await sql`SELECT pg_advisory_xact_lock(${SAVE_LOCK}::bigint)`.execute(trx)
        await deleteExpired(trx, now)
        const waiting = await countsIn(trx, personalCode, now)
        if (waiting.person >= limits.perPerson) return 'person' as const
        if (waiting.all >= limits.total) return 'all' as const
        await trx
          .insertInto('signing_prepared')
          .values({
            id_hash: idHash,
            personal_code: personalCode,
            expires_at: expiresAt.toISOString(),
            sealed,
            created_at: now.toISOString(),
          })
          .execute()
        return 'saved' as const
      })
    },

    prune: (now) => deleteExpired(db, now),

    async take(id, personalCode, now) {
      const idHash = hashOf(id)
      const row = await db
        .deleteFrom('signing_prepared')
        .where('id_hash', '=', idHash)
        .where('personal_code', '=', personalCode)
        .where('expires_at', '>=', now.toISOString())
        .returning('sealed')
        .executeTakeFirst()
      if (row === undefined) return undefined
      return deserialize(envelope.decryptText(row.sealed, context(idHash, personalCode)))
    },
  }
}

/**
 * Deletes expired prepared signatures every minute on a primary, so an abandoned one (its
 * documents sealed in it) does not outlive its five minutes by more than one; a standby's node
 * writes nothing. A failed round is left to the next one (and to the next prepare, which prunes
 * too).
 */
export function prunePeriodically(
  platform: {
    readonly store: Store
    readonly envelope: Envelope
    readonly clock: { now(): Date }
    readonly readOnly: boolean
  },
  everyMs = 60_000,
): { stop(): void } {
  if (platform.readOnly) return { stop: () => undefined }
  const prepared = preparedStore(platform.store, platform.envelope)
  const timer = setInterval(
    () => void prepared.prune(platform.clock.now()).catch(() => undefined),
    everyMs,
  )
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
