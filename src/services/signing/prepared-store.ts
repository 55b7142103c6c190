/**
 * Prepared signatures, kept in the store between the two steps of remote signing: prepare (the
 * hash the signer's key must sign) and finalize (the signature value in, the container out).
 * A row is sealed with the envelope (the documents may be confidential), bound to its id's hash
 * and the signer, lives five minutes, and is taken once: `take` deletes it in the same statement
 * that reads it, so two finalize calls (two processes, or a replay) cannot both succeed.
 */
import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Envelope } from '../../crypto/index.ts'
import type { ContainerDocument, PreparedSignature } from '../../signature/index.ts'
import type { Schema } from '../../storage/index.ts'

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

export interface PreparedStore {
  /** How many signatures this person has waiting, and how many wait in all (live ones). */
  counts(personalCode: string, now: Date): Promise<{ person: number; all: number }>
  save(
    id: string,
    personalCode: string,
    expiresAt: Date,
    pending: PendingSignature,
    now: Date,
  ): Promise<void>
  /** The person's live prepared signature, removed as it is read; undefined if none. */
  take(id: string, personalCode: string, now: Date): Promise<PendingSignature | undefined>
}

export function preparedStore(db: Kysely<Schema>, envelope: Envelope): PreparedStore {
  return {
    async counts(personalCode, now) {
      const at = now.toISOString()
      // Expired rows go first: they can never be finished.
      await db.deleteFrom('signing_prepared').where('expires_at', '<', at).execute()
      const rows = await db
        .selectFrom('signing_prepared')
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
    },

    async save(id, personalCode, expiresAt, pending, now) {
      const idHash = hashOf(id)
      await db
        .insertInto('signing_prepared')
        .values({
          id_hash: idHash,
          personal_code: personalCode,
          expires_at: expiresAt.toISOString(),
          sealed: envelope.encrypt(
            SIGNING_AGENCY,
            serialize(pending),
            context(idHash, personalCode),
          ),
          created_at: now.toISOString(),
        })
        .execute()
    },

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
