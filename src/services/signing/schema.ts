/**
 * The signing service's table: signatures prepared and waiting for the signer's signature value.
 * Declaration merging adds it to storage's `Schema`.
 */

export interface SigningPreparedTable {
  /** SHA-256 (hex) of the id handed to the signer: the id itself is a capability, never stored. */
  id_hash: string
  /** Whose session prepared it: only that person may finish it. */
  personal_code: string
  /** ISO instant after which it cannot be finished (and is deleted). */
  expires_at: string
  /**
   * The prepared signature, the documents and the container's signatures so far (JSON), sealed
   * with the envelope's `signing` data key: documents being signed may be confidential.
   */
  sealed: Uint8Array
  created_at: string
}

export interface SigningTables {
  signing_prepared: SigningPreparedTable
}

declare module '../../storage/index.ts' {
  // Declaration merging: the whole database's `Schema` gains this table.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Schema extends SigningTables {}
}
