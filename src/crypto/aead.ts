/**
 * AES-256-GCM with a fresh 96-bit random IV per message (NIST SP 800-38D §8.2.2). Output layout:
 * `iv (12) || ciphertext || tag (16)`. Associated data binds a ciphertext to where it belongs,
 * so a value copied into another row or column no longer decrypts.
 */
import { createCipheriv, createDecipheriv, randomFillSync, type KeyObject } from 'node:crypto'
import { CryptoError } from './errors.ts'

export const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16

// IVs come from a pool of CSPRNG output refilled 64 kB at a time: one getrandom call per ~5,000
// messages instead of one per message (measured: the per-call cost dominated bulk encryption).
const IV_POOL = Buffer.alloc(65_536)
let ivOffset = IV_POOL.length

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > IV_POOL.length) {
    randomFillSync(IV_POOL)
    ivOffset = 0
  }
  const iv = Buffer.from(IV_POOL.subarray(ivOffset, ivOffset + IV_BYTES))
  ivOffset += IV_BYTES
  return iv
}

/** A key as raw bytes (checked to be 32) or a prepared secret `KeyObject`. */
export type AeadKey = Uint8Array | KeyObject

export function sealAead(key: AeadKey, plaintext: Uint8Array, associatedData: string): Buffer {
  assertKey(key)
  const iv = nextIv()
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(associatedData, 'utf8'))
  const body = cipher.update(plaintext)
  const final = cipher.final()
  return Buffer.concat([iv, body, final, cipher.getAuthTag()])
}

export function openAead(key: AeadKey, sealed: Uint8Array, associatedData: string): Buffer {
  assertKey(key)
  if (sealed.length < IV_BYTES + TAG_BYTES) {
    throw new CryptoError('CRYPTO_MALFORMED_CIPHERTEXT', 'ciphertext is too short')
  }
  const iv = sealed.subarray(0, IV_BYTES)
  const tag = sealed.subarray(sealed.length - TAG_BYTES)
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAAD(Buffer.from(associatedData, 'utf8'))
  decipher.setAuthTag(tag)
  try {
    const body = decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES))
    return Buffer.concat([body, decipher.final()])
  } catch (error) {
    throw new CryptoError('CRYPTO_DECRYPTION_FAILED', 'ciphertext failed authentication', {
      cause: error,
    })
  }
}

function assertKey(key: AeadKey): void {
  const length = key instanceof Uint8Array ? key.length : key.symmetricKeySize
  if (length !== KEY_BYTES) throw new TypeError('AES-256-GCM needs a 32-byte key')
}
