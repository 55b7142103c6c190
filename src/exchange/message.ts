/**
 * Signed messages between gateways. The consumer gateway signs each request with the client
 * member's signing key; the provider gateway signs each response with the provider member's
 * key, over the hash of the exact request it answers — so a response cannot be replayed for
 * another request, and each side holds proof of what the other sent.
 *
 * What is signed is a JSON array of the message's parts (unambiguous without a canonical XML or
 * header syntax): a label, the ids, the method and the normalised path, the query, the X-Road
 * headers, the passed-through headers sorted by name, the body's SHA-256 and the signing time.
 * The request hash (`X-Road-Request-Hash`) is SHA-512 over the signed bytes and the signature.
 */
import { createHash, verify, type KeyObject, type X509Certificate } from 'node:crypto'
import type { Signer } from '../trust/index.ts'
import { ExchangeError } from './errors.ts'

export interface RequestParts {
  readonly id: string
  readonly client: string
  readonly service: string
  readonly method: string
  /** The normalised path below the service, starting with `/`. */
  readonly path: string
  /** The raw query string, without `?` ('' for none). */
  readonly query: string
  readonly userId?: string
  readonly issue?: string
  readonly representedParty?: string
  /** Headers passed to the provider, lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly bodyDigest: Buffer
  /** `X-Road-Request-Id`: a random id the consumer gateway gives each request. */
  readonly requestId?: string
}

export interface ResponseParts {
  readonly id: string
  readonly requestHash: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly bodyDigest: Buffer
}

export interface MessageSignature {
  /** Base64 signature (ECDSA DER, or Ed25519 raw). */
  readonly value: string
  readonly signedAt: string
  /** SHA-256 (hex) of the signer's certificate, to find it in the global configuration. */
  readonly certificate: string
}

export function bodyDigest(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest()
}

function sortedHeaders(headers: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

export function requestBytes(parts: RequestParts, signedAt: string): Buffer {
  return Buffer.from(
    JSON.stringify([
      'e-state-exchange-request/1',
      parts.id,
      parts.client,
      parts.service,
      parts.method,
      parts.path,
      parts.query,
      parts.userId ?? '',
      parts.issue ?? '',
      parts.representedParty ?? '',
      sortedHeaders(parts.headers),
      parts.bodyDigest.toString('base64'),
      signedAt,
      parts.requestId ?? '',
    ]),
    'utf8',
  )
}

export function responseBytes(parts: ResponseParts, signedAt: string): Buffer {
  return Buffer.from(
    JSON.stringify([
      'e-state-exchange-response/1',
      parts.id,
      parts.requestHash,
      parts.status,
      sortedHeaders(parts.headers),
      parts.bodyDigest.toString('base64'),
      signedAt,
    ]),
    'utf8',
  )
}

export async function signMessage(
  bytes: Buffer,
  signer: Pick<Signer, 'sign'>,
  certificatePin: string,
  signedAt: string,
): Promise<MessageSignature> {
  return {
    value: (await signer.sign(bytes)).toString('base64'),
    signedAt,
    certificate: certificatePin,
  }
}

/** A member's public key as a verifier uses it: parsed once, with its digest. */
export interface VerifyingKey {
  readonly key: KeyObject
  readonly digest: 'sha256' | 'sha384' | null
}

export function verifyingKeyOf(certificate: X509Certificate): VerifyingKey {
  const key = certificate.publicKey
  return {
    key,
    digest:
      key.asymmetricKeyType === 'ed25519'
        ? null
        : key.asymmetricKeyDetails?.namedCurve === 'secp384r1'
          ? 'sha384'
          : 'sha256',
  }
}

/** Verifies a message signature with the certificate's key (P-256/P-384 ECDSA or Ed25519). */
export function verifyMessage(
  bytes: Buffer,
  signature: MessageSignature,
  certificate: X509Certificate | VerifyingKey,
  failure: 'InvalidSignatureValue',
): void {
  const { key, digest } = 'key' in certificate ? certificate : verifyingKeyOf(certificate)
  const good = (() => {
    try {
      return verify(digest, bytes, key, Buffer.from(signature.value, 'base64'))
    } catch {
      return false
    }
  })()
  if (!good) throw new ExchangeError(failure, 'the message signature does not verify')
}

/** `X-Road-Request-Hash`: SHA-512 of the signed request and its signature, base64. */
export function requestHash(bytes: Buffer, signature: MessageSignature): string {
  return createHash('sha512')
    .update(bytes)
    .update(Buffer.from(signature.value, 'base64'))
    .digest('base64')
}
