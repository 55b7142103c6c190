/**
 * Proof that the holder has the private key a certificate is asked for: the key signs
 * `e-state e-ID key\n<personal code>\n<base64 SPKI>\n`. The key is made on the holder's side (card,
 * software token, browser) and never travels; only its public half and this signature do.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { IdentityError } from './errors.ts'

export function possessionMessage(personalCode: string, spki: string): Buffer {
  return Buffer.from(`e-state e-ID key\n${personalCode}\n${spki}\n`, 'utf8')
}

/** The public key, if it is ECDSA P-384 (or P-256) and `proof` shows its holder signed. */
export function verifyKeyPossession(personalCode: string, spki: string, proof: string): KeyObject {
  const invalid = (why: string): never => {
    throw new IdentityError('EID_KEY_INVALID', why)
  }
  let key: KeyObject
  try {
    key = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' })
  } catch {
    return invalid('the public key is not an SPKI structure')
  }
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined
  if (curve !== 'secp384r1' && curve !== 'prime256v1')
    invalid('e-ID keys are ECDSA P-384 (or P-256)')
  const digest = curve === 'secp384r1' ? 'sha384' : 'sha256'
  const signature = Buffer.from(proof, 'base64')
  const message = possessionMessage(personalCode, spki)
  const valid = (['ieee-p1363', 'der'] as const).some((dsaEncoding) => {
    try {
      return verify(digest, message, { key, dsaEncoding }, signature)
    } catch {
      return false
    }
  })
  if (!valid) invalid('the proof of possession does not verify with this key')
  return key
}
