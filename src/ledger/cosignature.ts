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
import { parseCheckpoint } from './checkpoint.ts'
import { LedgerError } from './errors.ts'
import { ed25519FromSeed, ed25519Seed, ed25519Verifier, splitKey, splitNote } from './note.ts'

const COSIGNATURE_V1 = 0x04
const SIGNATURE_PREFIX = '\u2014 '
const KEY_ID_BYTES = 4
const TIMESTAMP_BYTES = 8
const SIGNATURE_BYTES = 64

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

/**
 * The cosignature line `— <name> <base64>\n` over the checkpoint body `text` (the note text,
 * with its final newline and without signature lines), timestamped `timestamp` (POSIX seconds).
 */
export function cosignCheckpoint(cosigner: Cosigner, text: string, timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new LedgerError('LEDGER_INVALID_ARGUMENT', 'a cosignature time is whole seconds')
  // A cosignature vouches for a checkpoint: never sign anything else (a whole note, say).
  if (text.includes('\n\n'))
    throw new LedgerError('LEDGER_MALFORMED_NOTE', 'cosign the checkpoint body, not a signed note')
  parseCheckpoint(text)
  const time = Buffer.alloc(8)
  time.writeBigUInt64BE(BigInt(timestamp))
  const signature = sign(null, signedMessage(text, timestamp), cosigner.privateKey)
  const encoded = Buffer.concat([cosigner.keyHash, time, signature]).toString('base64')
  return `${SIGNATURE_PREFIX}${cosigner.name} ${encoded}\n`
}

/**
 * The cosignatures on a note by the given witnesses that verify: `{ name, timestamp }` each.
 * Lines of other keys are ignored, the log's own among them (its key ID has type 0x01, so it
 * never matches a cosigner's); a line that claims a known witness's key ID but does not verify
 * throws, as openNote does for note signatures.
 */
export function verifyCosignatures(
  note: string,
  verifiers: readonly CosignerVerifier[],
): { name: string; timestamp: number }[] {
  const { text, signatures } = splitNote(note)
  const found: { name: string; timestamp: number }[] = []
  for (const { name, signature } of signatures) {
    const verifier = verifiers.find(
      (candidate) => candidate.name === name && candidate.keyHash.equals(signature.subarray(0, 4)),
    )
    if (verifier === undefined) continue
    const refuse = (why: string): never => {
      throw new LedgerError('LEDGER_INVALID_SIGNATURE', `the cosignature of ${name} ${why}`)
    }
    if (signature.length !== KEY_ID_BYTES + TIMESTAMP_BYTES + SIGNATURE_BYTES)
      refuse('is not key ID, time and an Ed25519 signature')
    const time = signature.readBigUInt64BE(KEY_ID_BYTES)
    // The spec caps it at 2^63 - 1; anything past 2^53 is far beyond any real clock anyway.
    if (time > BigInt(Number.MAX_SAFE_INTEGER)) refuse('has an impossible time')
    const timestamp = Number(time)
    const ed25519 = signature.subarray(KEY_ID_BYTES + TIMESTAMP_BYTES)
    if (!verify(null, signedMessage(text, timestamp), verifier.publicKey, ed25519))
      refuse('does not verify')
    found.push({ name, timestamp })
  }
  return found
}

/** tlog-cosignature, "Ed25519 signed message": header line, time line, then the note body. */
function signedMessage(text: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, 'utf8')
}

function verifierFrom(name: string, publicRaw: Buffer): CosignerVerifier {
  return ed25519Verifier(name, COSIGNATURE_V1, publicRaw)
}

function invalid(why: string): never {
  throw new LedgerError('LEDGER_MALFORMED_NOTE', why)
}
