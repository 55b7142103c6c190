/**
 * `node:crypto` for the browser bundle, just enough for the ledger's receipt verification:
 * SHA-2 hashes (@noble/hashes) and Ed25519 public keys and verification (@noble/curves). The
 * same verification code then runs in Node and in the browser. Anything else throws.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js'
import { Buffer } from 'buffer'

const HASHES = { sha256, sha384, sha512 } as const
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex')

export function createHash(algorithm: string) {
  const hash = HASHES[algorithm as keyof typeof HASHES]
  if (hash === undefined) throw new Error(`no ${algorithm} in the browser`)
  const state = hash.create()
  const api = {
    update(data: string | Uint8Array) {
      state.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
      return api
    },
    digest(encoding?: 'hex' | 'base64') {
      const bytes = Buffer.from(state.digest())
      return encoding === undefined ? bytes : bytes.toString(encoding)
    },
  }
  return api
}

export interface KeyObject {
  readonly asymmetricKeyType: 'ed25519'
  readonly raw: Uint8Array
}

export function createPublicKey(input: { key: Uint8Array }): KeyObject {
  const der = Buffer.from(input.key)
  if (der.length !== 44 || !der.subarray(0, 12).equals(ED25519_SPKI))
    throw new Error('only Ed25519 public keys in the browser')
  return { asymmetricKeyType: 'ed25519', raw: der.subarray(12) }
}

export function verify(
  algorithm: null,
  data: Uint8Array,
  key: KeyObject,
  signature: Uint8Array,
): boolean {
  if (algorithm !== null || key.asymmetricKeyType !== 'ed25519') return false
  try {
    return ed25519.verify(signature, data, key.raw)
  } catch {
    return false
  }
}

const unavailable = (name: string) => () => {
  throw new Error(`${name} is not available in the browser`)
}
export const createPrivateKey = unavailable('createPrivateKey')
export const generateKeyPairSync = unavailable('generateKeyPairSync')
export const sign = unavailable('sign')
export const createHmac = unavailable('createHmac')
export const timingSafeEqual = unavailable('timingSafeEqual')
export const createCipheriv = unavailable('createCipheriv')
export const createDecipheriv = unavailable('createDecipheriv')
export const randomFillSync = unavailable('randomFillSync')
export const createSecretKey = unavailable('createSecretKey')
export const randomBytes = unavailable('randomBytes')
