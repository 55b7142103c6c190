/**
 * Admission: who gets served when more comes in than the node can serve. Decided first thing
 * for every request (Fastify's `onRequest`, before the body is read, a credential checked or
 * the store touched), so that turning a flood away costs a map lookup and a short answer:
 *
 *   - a token bucket per client address (IPv6 by its /64, which one subscriber holds) and one
 *     per presented identity (the hash of the bearer credential or session cookie — presented,
 *     not verified: checking it would be the expensive part), each refilled at its rate with a
 *     burst of twice the rate; an empty bucket is a 429 with `Retry-After`;
 *   - a bound on requests in flight per client (identity, or address when anonymous) and across
 *     the node: beyond them a 503 with `Retry-After`, so the queue in front of the store never
 *     grows without limit and no one client fills it.
 *
 * So one identity, or one address, flooding cannot take more than its share, and an honest
 * client elsewhere keeps being served. The buckets are bounded too (least recently seen
 * forgotten first). Health checks are not counted. The client address is the socket's, or the
 * `X-Forwarded-For` hop set by a proxy the configuration trusts (`E_STATE_TRUSTED_PROXIES`).
 */
import { createHash } from 'node:crypto'
import { isIPv6 } from 'node:net'

export interface AdmissionLimits {
  /** Requests per second per client address (burst: twice). */
  readonly addressRate: number
  /** Requests per second per presented identity (burst: twice). */
  readonly identityRate: number
  /** Requests in flight across the node. */
  readonly inFlight: number
  /**
   * Requests in flight per identity (per address for anonymous ones): one client cannot fill
   * the node's queue and leave the others only "busy" (default an eighth of `inFlight`).
   */
  readonly clientInFlight?: number
  /** Buckets remembered (least recently seen forgotten first). */
  readonly buckets?: number
}

export type Admission =
  | { readonly admitted: true; release(): void }
  | {
      readonly admitted: false
      readonly reason: 'address' | 'identity' | 'client-busy' | 'busy'
      readonly retryAfterSeconds: number
    }

interface Bucket {
  tokens: number
  at: number
}

class Buckets {
  readonly #rate: number
  readonly #burst: number
  readonly #max: number
  readonly #map = new Map<string, Bucket>()

  constructor(rate: number, max: number) {
    this.#rate = rate
    this.#burst = rate * 2
    this.#max = max
  }

  /** Takes a token, or answers how many seconds until one is there. */
  take(key: string, now: number): number {
    let bucket = this.#map.get(key)
    if (bucket === undefined) {
      if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value as string)
      bucket = { tokens: this.#burst, at: now }
    } else this.#map.delete(key) // re-inserted below: the map's order is recency
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate)
    bucket.at = now
    this.#map.set(key, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#rate))
  }

  /** Gives back a token taken for a request another bucket then refused. */
  refund(key: string): void {
    const bucket = this.#map.get(key)
    if (bucket !== undefined) bucket.tokens = Math.min(this.#burst, bucket.tokens + 1)
  }
}

export function createAdmission(limits: AdmissionLimits): {
  admit(address: string, identity: string | undefined, now?: number): Admission
  readonly inFlight: number
} {
  const max = limits.buckets ?? 100_000
  const addresses = new Buckets(limits.addressRate, max)
  const identities = new Buckets(limits.identityRate, max)
  const perClient = limits.clientInFlight ?? Math.max(1, Math.floor(limits.inFlight / 8))
  const clients = new Map<string, number>()
  let inFlight = 0
  return {
    admit(address, identity, now = performance.now()) {
      const addressKey = addressKeyOf(address)
      const wait = addresses.take(addressKey, now)
      if (wait > 0) return { admitted: false, reason: 'address', retryAfterSeconds: wait }
      if (identity !== undefined) {
        const waitIdentity = identities.take(identity, now)
        if (waitIdentity > 0) {
          addresses.refund(addressKey)
          return { admitted: false, reason: 'identity', retryAfterSeconds: waitIdentity }
        }
      }
      const client = identity ?? addressKey
      const running = clients.get(client) ?? 0
      if (running >= perClient)
        return { admitted: false, reason: 'client-busy', retryAfterSeconds: 1 }
      if (inFlight >= limits.inFlight)
        return { admitted: false, reason: 'busy', retryAfterSeconds: 1 }
      inFlight++
      clients.set(client, running + 1)
      let released = false
      return {
        admitted: true,
        release() {
          if (released) return
          released = true
          inFlight--
          const left = (clients.get(client) ?? 1) - 1
          if (left === 0) clients.delete(client)
          else clients.set(client, left)
        },
      }
    },
    get inFlight() {
      return inFlight
    },
  }
}

/** An IPv4 address as it is; an IPv6 address by its /64 (a subscriber's prefix). */
export function addressKeyOf(address: string): string {
  if (!isIPv6(address)) return address
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1]
  const [head, tail = ''] = address.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

/**
 * The identity a request presents: its bearer credential or session cookie, hashed (the key
 * of a bucket, never the secret). Undefined for an anonymous request.
 */
export function presentedIdentity(headers: {
  readonly authorization?: string | undefined
  readonly cookie?: string | undefined
}): string | undefined {
  const bearer = headers.authorization
  const session = /(?:^|;\s*)__Host-estate_session=([^;]+)/.exec(headers.cookie ?? '')?.[1]
  const secret = bearer !== undefined ? `authorization:${bearer}` : session && `session:${session}`
  if (secret === undefined || secret === '') return undefined
  return createHash('sha256').update(secret).digest('base64url').slice(0, 22)
}
