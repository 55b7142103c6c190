/**
 * The algorithms a signature may name, as an allow-list (XML-DSig 1.1, RFC 6931): anything else
 * is refused by name. SHA-1 is read (old BDOC containers use it) but reported as weak; new
 * signatures use SHA-256 or stronger. ECDSA signature values in XML are r‖s (IEEE P1363), not DER.
 */
import { verify, constants, type KeyObject } from 'node:crypto'
import { SignatureError } from './errors.ts'

export const NS = {
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xades: 'http://uri.etsi.org/01903/v1.3.2#',
  xades141: 'http://uri.etsi.org/01903/v1.4.1#',
  asic: 'http://uri.etsi.org/02918/v1.2.1#',
} as const

/** BDOC 2.1's signature policy: signatures with it and no time-stamp are time-marked. */
export const BDOC_POLICY = '1.3.6.1.4.1.10015.1000.3.2.1'

export const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties'

export type DigestName =
  'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'sha3-256' | 'sha3-384' | 'sha3-512'

export const DIGEST_URIS: Readonly<Record<string, DigestName>> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#sha224': 'sha224',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
  'http://www.w3.org/2007/05/xmldsig-more#sha3-256': 'sha3-256',
  'http://www.w3.org/2007/05/xmldsig-more#sha3-384': 'sha3-384',
  'http://www.w3.org/2007/05/xmldsig-more#sha3-512': 'sha3-512',
}

export const DIGEST_URI_OF: Readonly<Record<'sha256' | 'sha384' | 'sha512', string>> = {
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha384: 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
}

/** ASN.1 digest algorithm identifiers, for time-stamp imprints and OCSP nonces. */
export const DIGEST_OIDS: Readonly<Record<string, DigestName>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
}

export const DIGEST_OID_OF: Readonly<Record<'sha256' | 'sha384' | 'sha512', string>> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
}

interface SignatureMethod {
  readonly digest: DigestName
  readonly key: 'ec' | 'rsa' | 'rsa-pss'
}

export const SIGNATURE_URIS: Readonly<Record<string, SignatureMethod>> = {
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1': { digest: 'sha1', key: 'ec' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha224': { digest: 'sha224', key: 'ec' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': { digest: 'sha256', key: 'ec' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': { digest: 'sha384', key: 'ec' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': { digest: 'sha512', key: 'ec' },
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': { digest: 'sha1', key: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha224': { digest: 'sha224', key: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { digest: 'sha256', key: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': { digest: 'sha384', key: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { digest: 'sha512', key: 'rsa' },
  'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1': { digest: 'sha256', key: 'rsa-pss' },
  'http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1': { digest: 'sha384', key: 'rsa-pss' },
  'http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1': { digest: 'sha512', key: 'rsa-pss' },
}

/** The XML-DSig signature method for a key we sign with (P-256 → SHA-256, P-384 → SHA-384). */
export function signatureMethodFor(key: KeyObject): { uri: string; digest: 'sha256' | 'sha384' } {
  const curve = key.asymmetricKeyDetails?.namedCurve
  if (key.asymmetricKeyType === 'ec' && curve === 'secp384r1')
    return { uri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384', digest: 'sha384' }
  if (key.asymmetricKeyType === 'ec' && curve === 'prime256v1')
    return { uri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', digest: 'sha256' }
  if (key.asymmetricKeyType === 'rsa')
    return { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'sha256' }
  throw new TypeError(`no XML signature method for a ${key.asymmetricKeyType} key`)
}

/** Verifies an XML-DSig signature value; false for a mismatched key type or a bad value. */
export function verifySignatureValue(
  method: SignatureMethod,
  data: Uint8Array,
  key: KeyObject,
  value: Uint8Array,
): boolean {
  const type = key.asymmetricKeyType
  try {
    if (method.key === 'ec') {
      if (type !== 'ec') return false
      return verify(method.digest, data, { key, dsaEncoding: 'ieee-p1363' }, value)
    }
    if (type !== 'rsa' && type !== 'rsa-pss') return false
    if (method.key === 'rsa-pss')
      return verify(
        method.digest,
        data,
        {
          key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        },
        value,
      )
    return verify(method.digest, data, key, value)
  } catch {
    return false
  }
}

/**
 * An ECDSA signature as r‖s of the curve's size: given so already (what a card or Web eID
 * returns), or as DER `ECDSA-Sig-Value` (what `Signer` returns). Anything else is refused.
 */
export function derToP1363(der: Uint8Array, size: number): Buffer {
  const bytes = Buffer.from(der)
  if (bytes.length === 2 * size) return bytes
  const refuse = (): never => {
    throw new SignatureError('SIGN_FAILED', 'the signature value is neither r‖s nor DER ECDSA')
  }
  if (bytes.length < 8 || bytes.length > 2 * size + 9 || bytes[0] !== 0x30) refuse()
  let offset = bytes[1] & 0x80 ? 2 + (bytes[1] & 0x7f) : 2
  const parts: Buffer[] = []
  for (let index = 0; index < 2; index++) {
    if (offset + 2 > bytes.length || bytes[offset] !== 0x02) refuse()
    const length = bytes[offset + 1]
    if (length === 0 || offset + 2 + length > bytes.length) refuse()
    let integer = bytes.subarray(offset + 2, offset + 2 + length)
    while (integer.length > size && integer[0] === 0) integer = integer.subarray(1)
    if (integer.length > size) refuse()
    parts.push(Buffer.concat([Buffer.alloc(size - integer.length), integer]))
    offset += 2 + length
  }
  return Buffer.concat(parts)
}

/**
 * Keys whose checks are cheap and sound: an RSA modulus of at most 8192 bits and a public
 * exponent below 2^32 (a huge exponent makes each verification cost milliseconds).
 */
export function reasonableKey(key: KeyObject): boolean {
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return true
  const details = key.asymmetricKeyDetails
  return (
    (details?.modulusLength ?? Infinity) <= 8192 &&
    (details?.publicExponent ?? BigInt(2) ** BigInt(40)) < BigInt(2) ** BigInt(32)
  )
}
