/**
 * Passkeys (WebAuthn, with @simplewebauthn/server): after logging in with their e-ID, a resident
 * may register passkeys and later log in with one. User verification is required; the signature
 * counter is checked and kept; a challenge is single use (stored like Web eID challenges).
 */
import type { Kysely } from 'kysely'
import type {
  AuthenticationResponseJSON,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import type { Clock } from '../shared/index.ts'
import type { Schema } from '../storage/index.ts'
import { IdentityError } from './errors.ts'
import type { Session } from './sessions.ts'

const CHALLENGE_SECONDS = 300

/** The WebAuthn library, loaded at the first passkey act (not by every command that opens the node). */
const webauthn = () => import('@simplewebauthn/server')

export interface Passkeys {
  registrationOptions(person: Session): Promise<{ options: unknown; challenge: string }>
  register(person: Session, challenge: string, response: unknown): Promise<{ id: string }>
  loginOptions(): Promise<{ options: unknown; challenge: string }>
  /** Who the passkey belongs to, once its assertion verifies. */
  login(
    challenge: string,
    response: unknown,
  ): Promise<{ personalCode: string; givenName: string; surname: string }>
  list(
    personalCode: string,
  ): Promise<{ id: string; createdAt: string; lastUsedAt: string | null }[]>
}

export function createPasskeys(options: {
  readonly db: Kysely<Schema>
  readonly clock: Clock
  /** The site's origin; the RP ID is its host name. */
  readonly origin: string
  readonly rpName: string
}): Passkeys {
  const { db, clock } = options
  const rpID = new URL(options.origin).hostname
  const at = (offset = 0) => new Date(clock.now().getTime() + offset * 1000).toISOString()
  const remember = async (challenge: string) => {
    await db.deleteFrom('auth_challenges').where('expires_at', '<', at()).execute()
    await db
      .insertInto('auth_challenges')
      .values({ nonce: `webauthn:${challenge}`, expires_at: at(CHALLENGE_SECONDS) })
      .execute()
  }
  const consume = async (challenge: string) => {
    const removed = await db
      .deleteFrom('auth_challenges')
      .where('nonce', '=', `webauthn:${challenge}`)
      .returning('expires_at')
      .executeTakeFirst()
    if (removed === undefined || removed.expires_at < at())
      throw new IdentityError(
        'PASSKEY_INVALID',
        'the passkey challenge was used already, expired or never issued',
      )
  }
  const invalid = (why: string): never => {
    throw new IdentityError('PASSKEY_INVALID', why)
  }

  return {
    async registrationOptions(person) {
      const existing = await db
        .selectFrom('passkeys')
        .select(['id', 'transports'])
        .where('personal_code', '=', person.personalCode)
        .execute()
      const generated = await (
        await webauthn()
      ).generateRegistrationOptions({
        rpName: options.rpName,
        rpID,
        userName: `${person.givenName} ${person.surname}`,
        userID: new TextEncoder().encode(person.personalCode),
        attestationType: 'none',
        excludeCredentials: existing.map((row) => ({ id: row.id })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        supportedAlgorithmIDs: [-7, -8],
      })
      await remember(generated.challenge)
      return { options: generated, challenge: generated.challenge }
    },
    async register(person, challenge, response) {
      await consume(challenge)
      let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>
      try {
        verified = await (
          await webauthn()
        ).verifyRegistrationResponse({
          response: response as RegistrationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: options.origin,
          expectedRPID: rpID,
          requireUserVerification: true,
          supportedAlgorithmIDs: [-7, -8],
        })
      } catch (error) {
        return invalid(`the passkey registration does not verify: ${(error as Error).message}`)
      }
      if (!verified.verified || verified.registrationInfo === undefined)
        return invalid('the passkey registration does not verify')
      const credential = verified.registrationInfo.credential
      const known = await db
        .selectFrom('passkeys')
        .select('id')
        .where('id', '=', credential.id)
        .executeTakeFirst()
      if (known !== undefined) return invalid('this passkey is registered already')
      await db
        .insertInto('passkeys')
        .values({
          id: credential.id,
          personal_code: person.personalCode,
          given_name: person.givenName,
          surname: person.surname,
          public_key: Buffer.from(credential.publicKey),
          counter: credential.counter,
          transports: (credential.transports ?? []).join(','),
          created_at: at(),
          last_used_at: null,
        })
        .execute()
      return { id: credential.id }
    },
    async loginOptions() {
      const generated = await (
        await webauthn()
      ).generateAuthenticationOptions({ rpID, userVerification: 'required' })
      await remember(generated.challenge)
      return { options: generated, challenge: generated.challenge }
    },
    async login(challenge, response) {
      await consume(challenge)
      const id =
        typeof response === 'object' && response !== null
          ? (response as { id?: unknown }).id
          : undefined
      if (typeof id !== 'string' || id.length > 1024) return invalid('not a passkey assertion')
      const row = await db
        .selectFrom('passkeys')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      if (row === undefined) return invalid('this passkey is not registered here')
      // A passkey stands in for the e-ID only while the e-ID itself is good.
      const card = await db
        .selectFrom('certificates')
        .select('serial')
        .where('holder', '=', row.personal_code)
        .where('kind', '=', 'auth')
        .where('status', '=', 'good')
        .executeTakeFirst()
      if (card === undefined)
        return invalid(
          'the e-ID behind this passkey is suspended or revoked: log in with a valid e-ID',
        )
      let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>
      try {
        verified = await (
          await webauthn()
        ).verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: options.origin,
          expectedRPID: rpID,
          credential: {
            id: row.id,
            publicKey: new Uint8Array(row.public_key),
            counter: Number(row.counter),
            transports: row.transports === '' ? undefined : (row.transports.split(',') as never),
          },
          requireUserVerification: true,
        })
      } catch (error) {
        return invalid(`the passkey assertion does not verify: ${(error as Error).message}`)
      }
      if (!verified.verified) return invalid('the passkey assertion does not verify')
      await db
        .updateTable('passkeys')
        .set({ counter: verified.authenticationInfo.newCounter, last_used_at: at() })
        .where('id', '=', row.id)
        .execute()
      return { personalCode: row.personal_code, givenName: row.given_name, surname: row.surname }
    },
    async list(personalCode) {
      const rows = await db
        .selectFrom('passkeys')
        .select(['id', 'created_at', 'last_used_at'])
        .where('personal_code', '=', personalCode)
        .execute()
      return rows.map((row) => ({
        id: row.id,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
      }))
    },
  }
}
