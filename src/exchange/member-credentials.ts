/**
 * Member credentials: until the exchange layer carries agency calls (signed messages over mutual
 * TLS), each member authenticates to the registries' API with its own API key. A key is
 * `esm_<keyId>_<secret>`: the key id finds the row, the secret (256 random bits) is stored only
 * as its SHA-256 and compared in constant time. High-entropy secrets need no slow password hash.
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { equalSecrets, sha256 } from '../crypto/index.ts'
import { EStateError, type Clock } from '../shared/index.ts'
import type { Schema } from '../storage/index.ts'

export type MemberAuthErrorCode = 'MEMBER_UNAUTHENTICATED' | 'MEMBER_UNKNOWN'

export class MemberAuthError extends EStateError {
  declare readonly code: MemberAuthErrorCode
}

const TOKEN = /^esm_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

export async function issueMemberCredential(
  db: Kysely<Schema>,
  clock: Clock,
  memberId: string,
): Promise<string> {
  const member = await db
    .selectFrom('agencies')
    .select('member_id')
    .where('member_id', '=', memberId)
    .executeTakeFirst()
  if (member === undefined)
    throw new MemberAuthError('MEMBER_UNKNOWN', `no member ${memberId}`, { memberId })
  const keyId = randomBytes(8).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  await db
    .insertInto('member_credentials')
    .values({
      member_id: memberId,
      key_id: keyId,
      secret_hash: sha256(secret).toString('hex'),
      created_at: clock.now().toISOString(),
      revoked_at: null,
    })
    .execute()
  return `esm_${keyId}_${secret}`
}

/** The member a presented key belongs to; throws `MEMBER_UNAUTHENTICATED` for anything else. */
export async function verifyMemberCredential(db: Kysely<Schema>, token: string): Promise<string> {
  const match = TOKEN.exec(token)
  const refuse = (): MemberAuthError =>
    new MemberAuthError(
      'MEMBER_UNAUTHENTICATED',
      'a valid member API key is required (Authorization: Bearer esm_…)',
    )
  if (match === null) throw refuse()
  const row = await db
    .selectFrom('member_credentials')
    .select(['member_id', 'secret_hash', 'revoked_at'])
    .where('key_id', '=', match[1])
    .executeTakeFirst()
  const presented = sha256(match[2])
  const stored = Buffer.from(row?.secret_hash ?? '00'.repeat(32), 'hex')
  if (row === undefined || !equalSecrets(presented, stored) || row.revoked_at !== null)
    throw refuse()
  return row.member_id
}

export async function revokeMemberCredential(
  db: Kysely<Schema>,
  clock: Clock,
  keyId: string,
): Promise<boolean> {
  const result = await db
    .updateTable('member_credentials')
    .set({ revoked_at: clock.now().toISOString() })
    .where('key_id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}
