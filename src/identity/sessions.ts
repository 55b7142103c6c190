/**
 * Challenges and sessions. A Web eID challenge is 32 random bytes, single use, valid for five
 * minutes; consuming it deletes it, so a replayed token finds nothing. A session id is 32 random
 * bytes the browser keeps in an HttpOnly cookie; the store keeps only its SHA-256, with an idle
 * timeout (15 minutes) and an absolute one (8 hours). Logging out ends one session or all of a
 * person's.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../shared/index.ts'
import type { Schema } from '../storage/index.ts'
import { IdentityError } from './errors.ts'

export const CHALLENGE_SECONDS = 300
export const IDLE_SECONDS = 15 * 60
export const ABSOLUTE_SECONDS = 8 * 3600

export interface Session {
  readonly personalCode: string
  readonly givenName: string
  readonly surname: string
  readonly method: string
  readonly createdAt: string
  readonly expiresAt: string
}

export interface SessionStore {
  issueChallenge(): Promise<string>
  /** Deletes the challenge; throws WEBEID_NONCE_INVALID unless it existed and was fresh. */
  consumeChallenge(nonce: string): Promise<void>
  start(person: Omit<Session, 'createdAt' | 'expiresAt'>): Promise<{ id: string; session: Session }>
  /** The live session for a cookie value, its idle timer renewed; undefined otherwise. */
  find(id: string): Promise<Session | undefined>
  end(id: string): Promise<void>
  endAll(personalCode: string): Promise<number>
  /** Ends every session of these people (their cards were suspended or revoked). */
  endAllOf(personalCodes: readonly string[]): Promise<void>
}

export function createSessionStore(db: Kysely<Schema>, clock: Clock): SessionStore {
  const hash = (id: string) => createHash('sha256').update(id).digest('hex')
  const at = (offsetSeconds = 0) =>
    new Date(clock.now().getTime() + offsetSeconds * 1000).toISOString()
  return {
    async issueChallenge() {
      const nonce = randomBytes(32).toString('base64')
      await db.deleteFrom('auth_challenges').where('expires_at', '<', at()).execute()
      await db
        .insertInto('auth_challenges')
        .values({ nonce, expires_at: at(CHALLENGE_SECONDS) })
        .execute()
      return nonce
    },
    async consumeChallenge(nonce) {
      if (typeof nonce !== 'string' || nonce.length !== 44)
        throw new IdentityError('WEBEID_NONCE_INVALID', 'no challenge was issued for this login')
      const removed = await db
        .deleteFrom('auth_challenges')
        .where('nonce', '=', nonce)
        .returning('expires_at')
        .executeTakeFirst()
      if (removed === undefined)
        throw new IdentityError(
          'WEBEID_NONCE_INVALID',
          'the challenge was used already or never issued',
        )
      if (removed.expires_at < at())
        throw new IdentityError(
          'WEBEID_NONCE_INVALID',
          'the challenge has expired: ask for a new one',
        )
    },
    async start(person) {
      const id = randomBytes(32).toString('base64url')
      const session = { ...person, createdAt: at(), expiresAt: at(ABSOLUTE_SECONDS) }
      await db
        .insertInto('sessions')
        .values({
          id_hash: hash(id),
          personal_code: person.personalCode,
          given_name: person.givenName,
          surname: person.surname,
          method: person.method,
          created_at: session.createdAt,
          last_seen_at: session.createdAt,
          expires_at: session.expiresAt,
          ended_at: null,
        })
        .execute()
      return { id, session }
    },
    async find(id) {
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id_hash', '=', hash(id))
        .executeTakeFirst()
      const now = at()
      if (
        row === undefined ||
        row.ended_at !== null ||
        row.expires_at <= now ||
        row.last_seen_at <= at(-IDLE_SECONDS)
      )
        return undefined
      await db
        .updateTable('sessions')
        .set({ last_seen_at: now })
        .where('id_hash', '=', row.id_hash)
        .execute()
      return {
        personalCode: row.personal_code,
        givenName: row.given_name,
        surname: row.surname,
        method: row.method,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      }
    },
    async end(id) {
      await db
        .updateTable('sessions')
        .set({ ended_at: at() })
        .where('id_hash', '=', hash(id))
        .execute()
    },
    async endAllOf(personalCodes) {
      for (let start = 0; start < personalCodes.length; start += 1000) {
        await db
          .updateTable('sessions')
          .set({ ended_at: at() })
          .where('personal_code', 'in', personalCodes.slice(start, start + 1000))
          .where('ended_at', 'is', null)
          .execute()
      }
    },
    async endAll(personalCode) {
      const result = await db
        .updateTable('sessions')
        .set({ ended_at: at() })
        .where('personal_code', '=', personalCode)
        .where('ended_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    },
  }
}
