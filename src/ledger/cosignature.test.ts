/**
 * C2SP tlog-cosignature (Ed25519): cosignatures of live public witnesses verify here, ours are
 * laid out byte for byte as the spec says (checked by hand with node:crypto), keys of other
 * types or names are told apart by their key IDs, and a bad line of a known key is refused.
 */
import { createHash, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { formatCheckpoint } from './checkpoint.ts'
import {
  cosignCheckpoint,
  generateCosigner,
  parseCosignerKey,
  parseCosignerVerifierKey,
  verifyCosignatures,
} from './cosignature.ts'
import { rootHash } from './merkle.ts'
import {
  ed25519FromSeed,
  ed25519Verifier,
  generateSigner,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './note.ts'

/**
 * A checkpoint of Google's arche2025h1 staging CT log (arche2025h1.staging.ct.transparency.dev)
 * as it was served, with the log's RFC 6962 and Ed25519 signatures and the cosignatures of four
 * public witnesses; the keys are the ones that log and those witnesses publish.
 */
const PUBLIC_NOTE = `arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
`
const PUBLIC_LOG_KEY =
  'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f'
const PUBLIC_WITNESS_KEYS = [
  'transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM',
  'witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO',
  'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2',
]
// 0x6a122120: the u64 big-endian time in each of those cosignatures.
const PUBLIC_TIME = 1_779_573_024

const WITNESS = 'witness.example/w1'
const ORIGIN = 'log.example/ledger'
const leaves = Array.from({ length: 8 }, (_, n) => createHash('sha256').update(`${n}`).digest())
const body = formatCheckpoint({ origin: ORIGIN, size: 5, rootHash: rootHash(leaves, 0, 5) })
const log = generateSigner(ORIGIN)

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}
const lineBytes = (line: string): Buffer => Buffer.from(line.trim().split(' ')[2], 'base64')
const withBytes = (line: string, bytes: Buffer): string =>
  `${line.split(' ').slice(0, 2).join(' ')} ${bytes.toString('base64')}\n`
const seedOf = (cosignerText: string): Buffer =>
  Buffer.from(cosignerText.split('+').slice(4).join('+'), 'base64')

describe('cosignatures of public witnesses', () => {
  it('verify, with their times, and the log signatures beside them are not taken for one', () => {
    const witnesses = PUBLIC_WITNESS_KEYS.map((text) => parseCosignerVerifierKey(text))
    expect(witnesses.map((witness) => witness.text)).toEqual(PUBLIC_WITNESS_KEYS)
    expect(verifyCosignatures(PUBLIC_NOTE, witnesses)).toEqual(
      witnesses.map(({ name }) => ({ name, timestamp: PUBLIC_TIME })),
    )
    expect(openNote(PUBLIC_NOTE, [parseVerifierKey(PUBLIC_LOG_KEY)]).signedBy).toEqual([
      'arche2025h1.staging.ct.transparency.dev',
    ])
  })

  it('no longer verify once the checkpoint changes', () => {
    const witnesses = PUBLIC_WITNESS_KEYS.map((text) => parseCosignerVerifierKey(text))
    const changed = PUBLIC_NOTE.replace('\n1432088532\n', '\n1432088533\n')
    expect(codeOf(() => verifyCosignatures(changed, witnesses))).toBe('LEDGER_INVALID_SIGNATURE')
  })

  it('are told apart from log keys by the key type', () => {
    expect(codeOf(() => parseCosignerVerifierKey(PUBLIC_LOG_KEY))).toBe('LEDGER_MALFORMED_NOTE')
    expect(codeOf(() => parseVerifierKey(PUBLIC_WITNESS_KEYS[2]))).toBe('LEDGER_MALFORMED_NOTE')
  })
})

describe('our cosignatures', () => {
  it('round-trip their keys through text', () => {
    const { cosigner, text } = generateCosigner(WITNESS)
    expect(text).toMatch(/^PRIVATE\+KEY\+witness\.example\/w1\+[0-9a-f]{8}\+/)
    expect(seedOf(text)).toHaveLength(33)
    expect(seedOf(text)[0]).toBe(0x04)
    const parsed = parseCosignerKey(text)
    expect(parsed.verifier.text).toBe(cosigner.verifier.text)
    expect(parsed.keyHash).toEqual(cosigner.keyHash)
    const verifier = parseCosignerVerifierKey(cosigner.verifier.text)
    expect(verifier).toMatchObject({ name: WITNESS, text: cosigner.verifier.text })
    const line = cosignCheckpoint(parsed, body, 1)
    expect(verifyCosignatures(`${signNote(body, [log.signer])}${line}`, [verifier])).toEqual([
      { name: WITNESS, timestamp: 1 },
    ])
  })

  it('refuse keys of another type or with a wrong key hash', () => {
    const { text, cosigner } = generateCosigner(WITNESS)
    expect(codeOf(() => parseCosignerKey(log.text))).toBe('LEDGER_MALFORMED_NOTE')
    expect(codeOf(() => parseSignerKey(text))).toBe('LEDGER_MALFORMED_NOTE')
    const wrongHash = cosigner.verifier.text.replace(/\+[0-9a-f]{8}\+/, '+00000000+')
    expect(codeOf(() => parseCosignerVerifierKey(wrongHash))).toBe('LEDGER_MALFORMED_NOTE')
  })

  it('sign "cosignature/v1", the time and the checkpoint body, under the 0x04 key ID', () => {
    const { cosigner } = generateCosigner(WITNESS)
    const extended = formatCheckpoint({
      origin: ORIGIN,
      size: 5,
      rootHash: rootHash(leaves, 0, 5),
      extensions: ['an extension line'],
    })
    for (const [text, time] of [
      [body, 1_795_600_000],
      [extended, 0],
    ] as const) {
      const line = cosignCheckpoint(cosigner, text, time)
      expect(line).toMatch(/^\u2014 witness\.example\/w1 [A-Za-z0-9+/]+=*\n$/)
      const raw = lineBytes(line)
      expect(raw).toHaveLength(4 + 8 + 64)
      const publicRaw = Buffer.from(
        cosigner.verifier.text.split('+').slice(2).join('+'),
        'base64',
      ).subarray(1)
      const keyId = createHash('sha256')
        .update(Buffer.concat([Buffer.from(`${WITNESS}\n`), Buffer.from([0x04]), publicRaw]))
        .digest()
        .subarray(0, 4)
      expect(raw.subarray(0, 4)).toEqual(keyId)
      expect(raw.subarray(4, 12)).toEqual(Buffer.from(time.toString(16).padStart(16, '0'), 'hex'))
      const message = Buffer.from(`cosignature/v1\ntime ${time}\n${text}`, 'utf8')
      expect(verify(null, message, cosigner.verifier.publicKey, raw.subarray(12))).toBe(true)
      const bare = Buffer.from(text, 'utf8')
      expect(verify(null, bare, cosigner.verifier.publicKey, raw.subarray(12))).toBe(false)
    }
  })

  it('ignore a key of the same name, and the same key signing as a note key', () => {
    const { cosigner, text } = generateCosigner(WITNESS)
    const note = `${signNote(body, [log.signer])}${cosignCheckpoint(cosigner, body, 7)}`
    const impostor = generateCosigner(WITNESS).cosigner.verifier
    expect(verifyCosignatures(note, [impostor])).toEqual([])
    // The very same Ed25519 key and name as a type 0x01 note signer: another key ID.
    const seed = seedOf(text).subarray(1)
    const noteKey = ed25519Verifier(WITNESS, 0x01, ed25519FromSeed(seed).publicRaw)
    const seedText = Buffer.concat([Buffer.from([0x01]), seed]).toString('base64')
    const sameKey = parseSignerKey(
      `PRIVATE+KEY+${WITNESS}+${noteKey.keyHash.toString('hex')}+${seedText}`,
    )
    expect(sameKey.verifier.publicKey.equals(cosigner.verifier.publicKey)).toBe(true)
    const signedOnly = signNote(body, [sameKey])
    expect(verifyCosignatures(signedOnly, [cosigner.verifier])).toEqual([])
    const both = `${signedOnly}${cosignCheckpoint(cosigner, body, 9)}`
    expect(verifyCosignatures(both, [cosigner.verifier])).toEqual([{ name: WITNESS, timestamp: 9 }])
  })

  it('refuse a tampered, retimed or truncated line of a known key', () => {
    const { cosigner } = generateCosigner(WITNESS)
    const line = cosignCheckpoint(cosigner, body, 1_795_600_000)
    const note = signNote(body, [log.signer])
    const raw = lineBytes(line)
    const flipped = Buffer.from(raw)
    flipped[raw.length - 1] ^= 1
    const retimed = Buffer.from(raw)
    retimed.writeBigUInt64BE(1_795_600_001n, 4)
    const farFuture = Buffer.from(raw)
    farFuture.writeBigUInt64BE(2n ** 63n - 1n, 4)
    for (const bytes of [flipped, retimed, farFuture, raw.subarray(0, 75), raw.subarray(0, 12)]) {
      const tampered = `${note}${withBytes(line, bytes)}`
      expect(codeOf(() => verifyCosignatures(tampered, [cosigner.verifier]))).toBe(
        'LEDGER_INVALID_SIGNATURE',
      )
    }
    const otherBody = `${signNote(body.replace('\n5\n', '\n6\n'), [log.signer])}${line}`
    expect(codeOf(() => verifyCosignatures(otherBody, [cosigner.verifier]))).toBe(
      'LEDGER_INVALID_SIGNATURE',
    )
  })

  it('refuse malformed notes, and bodies that are not a checkpoint', () => {
    const { cosigner } = generateCosigner(WITNESS)
    const note = signNote(body, [log.signer])
    for (const malformed of [body, `${note}not a signature\n`, note.slice(0, -1), '\n\n']) {
      expect(codeOf(() => verifyCosignatures(malformed, [cosigner.verifier]))).toBe(
        'LEDGER_MALFORMED_NOTE',
      )
    }
    expect(codeOf(() => cosignCheckpoint(cosigner, note, 1))).toBe('LEDGER_MALFORMED_NOTE')
    expect(codeOf(() => cosignCheckpoint(cosigner, 'hello\n', 1))).toBe(
      'LEDGER_MALFORMED_CHECKPOINT',
    )
    for (const time of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(codeOf(() => cosignCheckpoint(cosigner, body, time))).toBe('LEDGER_INVALID_ARGUMENT')
    }
  })
})
