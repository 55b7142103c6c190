/**
 * Identity's tables, as Kysely types: login challenges, sessions, the OpenID provider's state and
 * passkeys. Declaration merging adds them to storage's `Schema`.
 */
export interface AuthChallengeTable {
  nonce: string
  expires_at: string
}

export interface SessionTable {
  /** SHA-256 of the session id; the id itself lives only in the browser's cookie. */
  id_hash: string
  personal_code: string
  given_name: string
  surname: string
  /** How the person proved who they are: `web-eid`, `passkey`. */
  method: string
  created_at: string
  last_seen_at: string
  expires_at: string
  ended_at: string | null
}

export interface OidcPayloadTable {
  model: string
  id: string
  /** JSON of the provider's object. */
  payload: string
  expires_at: string | null
  grant_id: string | null
  uid: string | null
  user_code: string | null
  consumed_at: string | null
}

export interface PasskeyTable {
  /** The credential id, base64url. */
  id: string
  personal_code: string
  given_name: string
  surname: string
  /** COSE public key. */
  public_key: Uint8Array
  counter: number
  transports: string
  created_at: string
  last_used_at: string | null
}

export interface IdentityTables {
  auth_challenges: AuthChallengeTable
  sessions: SessionTable
  oidc_payloads: OidcPayloadTable
  passkeys: PasskeyTable
}

declare module '../storage/index.ts' {
  // Declaration merging: the whole database's `Schema` gains these tables.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Schema extends IdentityTables {}
}
