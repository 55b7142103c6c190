import { sha256 } from '../crypto/index.ts'

/**
 * A salted commitment: SHA-256(salt ‖ JSON of the values), hex. The public log holds only this,
 * so it never shows whose data was read or changed (16 random bytes of salt defeat guessing a
 * personal code); the stored row and its salt reproduce it, which is how an audit — and a
 * receipt's opening — ties the two.
 */
export function commitValues(salt: Uint8Array, values: readonly unknown[]): string {
  return sha256(Buffer.concat([salt, Buffer.from(JSON.stringify(values))])).toString('hex')
}
