/**
 * The `Signer` port: everything that signs in the PKI (CA certificates and CRLs, OCSP answers,
 * time-stamps, e-ID keys) goes through it, so a key can live in a file (here), an HSM or an ID
 * card (PKCS#11) without the signing code knowing which. Signatures come in the form X.509 and
 * CMS carry: DER `ECDSA-Sig-Value` for ECDSA, the raw 64 bytes for Ed25519.
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto'
import { TrustError } from './errors.ts'

export type KeyAlgorithm = 'ec-p256' | 'ec-p384' | 'ed25519'

export interface Signer {
  readonly algorithm: KeyAlgorithm
  readonly publicKey: KeyObject
  sign(data: Uint8Array): Promise<Buffer>
}

export function algorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519'
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    if (curve === 'prime256v1') return 'ec-p256'
    if (curve === 'secp384r1') return 'ec-p384'
  }
  throw new TrustError('TRUST_UNSUPPORTED_KEY', 'keys are ECDSA P-256, P-384 or Ed25519')
}

/** The digest a key signs with (P-256: SHA-256, P-384: SHA-384; Ed25519 hashes itself). */
export function digestOf(algorithm: KeyAlgorithm): 'sha256' | 'sha384' | null {
  return algorithm === 'ec-p256' ? 'sha256' : algorithm === 'ec-p384' ? 'sha384' : null
}

/** A signer over a private key held in this process (a file, decrypted at start). */
export function keySigner(privateKey: KeyObject | string | Buffer): Signer {
  const key =
    typeof privateKey === 'string' || Buffer.isBuffer(privateKey)
      ? createPrivateKey(privateKey)
      : privateKey
  const algorithm = algorithmOf(key)
  const digest = digestOf(algorithm)
  return {
    algorithm,
    publicKey: createPublicKey(key),
    sign: async (data) => sign(digest, data, key),
  }
}
