import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

/** An incremental SHA-256, for hashing a stream of records without holding them. */
export function createSha256(): { update(data: string | Uint8Array): void; digest(): Buffer } {
  const hash = createHash('sha256')
  return {
    update: (data) => {
      hash.update(data)
    },
    digest: () => hash.digest(),
  }
}

export function hmacSha256(key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

/** Constant-time comparison of secrets (tokens, MACs); false for different lengths. */
export function equalSecrets(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
