/**
 * C2SP tlog-cosignature, Ed25519 (https://c2sp.org/tlog-cosignature): a witness's statement that
 * a checkpoint is consistent with everything it saw before. A note signature line
 * `— <name> base64(key ID ‖ u64 timestamp ‖ Ed25519 signature)`, where the key ID is
 * SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4] and the signed message is
 * `cosignature/v1\ntime <timestamp>\n` followed by the whole checkpoint body.
 * Keys as text: verifier `name+hash+base64(0x04 ‖ key)`; signer
 * `PRIVATE+KEY+name+hash+base64(0x04 ‖ seed)` (mirroring note.ts's Ed25519 signer keys).
 */
import { sign, verify, type KeyObject } from 'node:crypto'
import { LedgerError } from './errors.ts'
import { ed25519FromSeed, ed25519Seed, ed25519Verifier, splitKey } from './note.ts'

const COSIGNATURE_V1 = 0x04
const SIGNATURE_PREFIX = '\u2014 '

export interface CosignerVerifier {
  readonly name: string
  readonly keyHash: Buffer
  readonly publicKey: KeyObject
  /** `name+hash+base64(0x04 ‖ key)`. */
  readonly text: string
}

export interface Cosigner {
  readonly name: string
  readonly keyHash: Buffer
  readonly privateKey: KeyObject
  readonly verifier: CosignerVerifier
}

export function generateCosigner(name: string): { cosigner: Cosigner; text: string } {
  const seed = ed25519Seed()
  const verifier = verifierFrom(name, ed25519FromSeed(seed).publicRaw)
  const text = `PRIVATE+KEY+${name}+${verifier.keyHash.toString('hex')}+${Buffer.concat([Buffer.from([COSIGNATURE_V1]), seed]).toString('base64')}`
  return { cosigner: parseCosignerKey(text), text }
}

export function parseCosignerKey(text: string): Cosigner {
  const trimmed = text.trim()
  if (!trimmed.startsWith('PRIVATE+KEY+')) invalid('a cosigner key is PRIVATE+KEY+name+hash+key')
  const [name, hash, encoded] = splitKey(trimmed.slice('PRIVATE+KEY+'.length))
  const raw = Buffer.from(encoded, 'base64')
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_V1)
    invalid('a cosigner key is an Ed25519 cosignature/v1 key (type 0x04)')
  const { privateKey, publicRaw } = ed25519FromSeed(raw.subarray(1))
  const verifier = verifierFrom(name, publicRaw)
  if (verifier.keyHash.toString('hex') !== hash) invalid('the cosigner key hash does not match')
  return { name, keyHash: verifier.keyHash, privateKey, verifier }
}

export function parseCosignerVerifierKey(text: string): CosignerVerifier {
  const [name, hash, encoded] = splitKey(text.trim())
  const raw = Buffer.from(encoded, 'base64')
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_V1)
    invalid('a witness key is an Ed25519 cosignature/v1 verifier key (type 0x04)')
  const verifier = verifierFrom(name, raw.subarray(1))
  if (verifier.keyHash.toString('hex') !== hash) invalid('the witness key hash does not match')
  return verifier
}

/** The cosignature line (ending in a newline) over the checkpoint note body `text`. */
export function cosignCheckpoint(cosigner: Cosigner, text: string, timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new LedgerError('LEDGER_INVALID_ARGUMENT', 'a cosignature time is whole seconds')
  if (!text.endsWith('\n')) invalid('a checkpoint body ends in a newline')
  const time = Buffer.alloc(8)
  time.writeBigUInt64BE(BigInt(timestamp))
  const signature = sign(null, message(text, timestamp), cosigner.privateKey)
  return `${SIGNATURE_PREFIX}${cosigner.name} ${Buffer.concat([cosigner.keyHash, time, signature]).toString('base64')}\n`
}

/**
 * The cosignatures on a note by the given witnesses that verify: `{ name, timestamp }` each.
 * Lines of other keys (the log's own signature among them) are ignored; a line that claims a
 * known witness's key but does not verify throws.
 */
export function verifyCosignatures(
  note: string,
  verifiers: readonly CosignerVerifier[],
): { name: string; timestamp: number }[] {
  const split = note.lastIndexOf('\n\n')
  if (split < 0 || !note.endsWith('\n')) invalid('a note is text, a blank line and signatures')
  const text = note.slice(0, split + 1)
  const found: { name: string; timestamp: number }[] = []
  for (const line of note.slice(split + 2, -1).split('\n')) {
    if (!line.startsWith(SIGNATURE_PREFIX)) invalid('malformed signature line')
    const [name, encoded, extra] = line.slice(SIGNATURE_PREFIX.length).split(' ')
    if (name === undefined || encoded === undefined || extra !== undefined)
      invalid('malformed signature line')
    const signature = Buffer.from(encoded, 'base64')
    const verifier = verifiers.find(
      (candidate) =>
        candidate.name === name &&
        signature.length >= 4 &&
        candidate.keyHash.equals(signature.subarray(0, 4)),
    )
    if (verifier === undefined) continue
    if (signature.length !== 4 + 8 + 64) {
      throw new LedgerError('LEDGER_INVALID_SIGNATURE', `the cosignature of ${name} is malformed`)
    }
    const timestamp = signature.readBigUInt64BE(4)
    if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new LedgerError('LEDGER_INVALID_SIGNATURE', `the cosignature of ${name} has a bad time`)
    }
    if (!verify(null, message(text, Number(timestamp)), verifier.publicKey, signature.subarray(12)))
      throw new LedgerError(
        'LEDGER_INVALID_SIGNATURE',
        `the cosignature of ${name} does not verify`,
      )
    found.push({ name, timestamp: Number(timestamp) })
  }
  return found
}

function message(text: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, 'utf8')
}

function verifierFrom(name: string, publicRaw: Buffer): CosignerVerifier {
  return ed25519Verifier(name, COSIGNATURE_V1, publicRaw)
}

function invalid(why: string): never {
  throw new LedgerError('LEDGER_MALFORMED_NOTE', why)
}
