/**
 * C2SP signed-note with Ed25519 keys (https://c2sp.org/signed-note): a UTF-8 text ending in a
 * newline, a blank line, then signature lines `— <key name> <base64(key hash ‖ signature)>`.
 * The key hash is the first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key); keys are
 * written `name+hash+base64(0x01 ‖ key)` (verifier) and `PRIVATE+KEY+name+hash+base64(0x01 ‖
 * seed)` (signer). Ed25519 signatures are deterministic, so a given key signs a given text one
 * way only.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import { LedgerError } from './errors.ts'

const ED25519 = 0x01
const SIGNATURE_PREFIX = '\u2014 '
// PKCS#8 and SPKI DER prefixes for raw Ed25519 keys (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export interface NoteSigner {
  readonly name: string
  readonly keyHash: Buffer
  readonly privateKey: KeyObject
  readonly verifier: NoteVerifier
}

export interface NoteVerifier {
  readonly name: string
  readonly keyHash: Buffer
  readonly publicKey: KeyObject
  /** The verifier key string, `name+hash+base64`. */
  readonly text: string
}

export function parseSignerKey(text: string): NoteSigner {
  const trimmed = text.trim()
  if (!trimmed.startsWith('PRIVATE+KEY+')) invalid('a signer key is PRIVATE+KEY+name+hash+key')
  const [name, hash, encoded] = splitKey(trimmed.slice('PRIVATE+KEY+'.length))
  const raw = Buffer.from(encoded, 'base64')
  if (raw.length !== 33 || raw[0] !== ED25519) invalid('only Ed25519 signer keys are supported')
  const { privateKey, publicRaw } = ed25519FromSeed(raw.subarray(1))
  const verifier = verifierFrom(name, publicRaw)
  if (verifier.keyHash.toString('hex') !== hash)
    invalid('the signer key hash does not match its key')
  return { name, keyHash: verifier.keyHash, privateKey, verifier }
}

export function parseVerifierKey(text: string): NoteVerifier {
  const [name, hash, encoded] = splitKey(text.trim())
  const raw = Buffer.from(encoded, 'base64')
  if (raw.length !== 33 || raw[0] !== ED25519) invalid('only Ed25519 verifier keys are supported')
  const verifier = verifierFrom(name, raw.subarray(1))
  if (verifier.keyHash.toString('hex') !== hash)
    invalid('the verifier key hash does not match its key')
  return verifier
}

/** A new Ed25519 signer, with its key in the signed-note text form (keep it secret). */
export function generateSigner(name: string): { signer: NoteSigner; text: string } {
  const seed = ed25519Seed()
  const keyHash = verifierFrom(name, ed25519FromSeed(seed).publicRaw).keyHash.toString('hex')
  const text = `PRIVATE+KEY+${name}+${keyHash}+${Buffer.concat([Buffer.from([ED25519]), seed]).toString('base64')}`
  return { signer: parseSignerKey(text), text }
}

/** Signs `text` (which must end in a newline) and returns the whole note. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  assertNoteText(text)
  const lines = signers.map((signer) => {
    const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey)
    return `${SIGNATURE_PREFIX}${signer.name} ${Buffer.concat([signer.keyHash, signature]).toString('base64')}\n`
  })
  return `${text}\n${lines.join('')}`
}

/**
 * Opens a note: returns its text and the names of the known keys whose signatures verify.
 * Throws unless at least one known key signed it; signatures by unknown keys are ignored.
 */
export function openNote(
  note: string,
  verifiers: readonly NoteVerifier[],
): { text: string; signedBy: string[] } {
  const { text, signatures } = splitNote(note)
  const signedBy: string[] = []
  for (const { name, signature } of signatures) {
    const verifier = verifiers.find(
      (candidate) => candidate.name === name && candidate.keyHash.equals(signature.subarray(0, 4)),
    )
    if (verifier === undefined) continue
    if (!verify(null, Buffer.from(text, 'utf8'), verifier.publicKey, signature.subarray(4))) {
      throw new LedgerError('LEDGER_INVALID_SIGNATURE', `the signature of ${name} does not verify`)
    }
    signedBy.push(name)
  }
  if (signedBy.length === 0)
    throw new LedgerError('LEDGER_INVALID_SIGNATURE', 'no known key signed this note')
  return { text, signedBy }
}

/**
 * A note's text (with its final newline) and its signature lines, each as the key name and the
 * decoded bytes (key hash ‖ signature), in order; nothing is verified. The text ends at the
 * last blank line, since signature lines never hold one.
 */
export function splitNote(note: string): {
  text: string
  signatures: { name: string; signature: Buffer }[]
} {
  const split = note.lastIndexOf('\n\n')
  if (split < 0 || !note.endsWith('\n')) invalid('a note is text, a blank line and signature lines')
  const text = note.slice(0, split + 1)
  assertNoteText(text)
  const signatures = note
    .slice(split + 2, -1)
    .split('\n')
    .map((line) => {
      if (!line.startsWith(SIGNATURE_PREFIX)) invalid('malformed signature line')
      const [name, encoded, extra] = line.slice(SIGNATURE_PREFIX.length).split(' ')
      if (name === undefined || encoded === undefined || extra !== undefined)
        invalid('malformed signature line')
      const signature = Buffer.from(encoded, 'base64')
      if (signature.length < 5) invalid('signature too short')
      return { name, signature }
    })
  return { text, signatures }
}

/** `name+hash+key`: names hold no `+`, hashes are 8 hex digits, base64 keys may hold `+`. */
export function splitKey(text: string): [string, string, string] {
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text)
  if (match === null) invalid('a key is name+hash+key')
  return [match[1], match[2], match[3]]
}

function verifierFrom(name: string, publicRaw: Buffer): NoteVerifier {
  return ed25519Verifier(name, ED25519, publicRaw)
}

/**
 * A named Ed25519 verifier for a signed-note key type (0x01 note signatures, 0x04
 * cosignatures): the key ID is SHA-256(name ‖ "\n" ‖ type ‖ key)[:4], the text
 * `name+hash+base64(type ‖ key)`.
 */
export function ed25519Verifier(
  name: string,
  type: number,
  publicRaw: Buffer,
): { name: string; keyHash: Buffer; publicKey: KeyObject; text: string } {
  if (name === '' || /[\s+]/.test(name)) invalid('a key name has no spaces or plus signs')
  const keyHash = createHash('sha256')
    .update(name)
    .update('\n')
    .update(Buffer.from([type]))
    .update(publicRaw)
    .digest()
    .subarray(0, 4)
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, publicRaw]),
    format: 'der',
    type: 'spki',
  })
  const text = `${name}+${keyHash.toString('hex')}+${Buffer.concat([Buffer.from([type]), publicRaw]).toString('base64')}`
  return { name, keyHash, publicKey, text }
}

/** A new random Ed25519 seed (32 bytes). */
export function ed25519Seed(): Buffer {
  return generateKeyPairSync('ed25519')
    .privateKey.export({ format: 'der', type: 'pkcs8' })
    .subarray(PKCS8_PREFIX.length)
}

/** The private key and raw public key of an Ed25519 seed. */
export function ed25519FromSeed(seed: Buffer): { privateKey: KeyObject; publicRaw: Buffer } {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  const publicRaw = createPublicKey(privateKey)
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_PREFIX.length)
  return { privateKey, publicRaw }
}

function assertNoteText(text: string): void {
  // eslint-disable-next-line no-control-regex
  if (!text.endsWith('\n') || /[\u0000-\u0009\u000b-\u001f\u007f]/.test(text))
    invalid('note text must end in a newline and hold no control characters')
}

function invalid(message: string): never {
  throw new LedgerError('LEDGER_MALFORMED_NOTE', message)
}
