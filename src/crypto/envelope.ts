/**
 * Envelope encryption. Each agency has data keys (one current version, older versions kept to
 * decrypt what they wrote); each data key is stored only wrapped by a master key, which lives
 * outside the database (environment, secret file or HSM) and is never written beside the data.
 *
 * Ciphertext layout: `0x01 || dataKeyId (uint32 BE) || AES-256-GCM(iv || ct || tag)`. The key id
 * inside the ciphertext is what lets data keys rotate without downtime: new writes use the new
 * version while old rows still name the key that opens them.
 *
 * Master-key rotation re-wraps every data key under the new master key; the data is untouched.
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto'
import { KEY_BYTES, openAead, sealAead } from './aead.ts'
import { CryptoError } from './errors.ts'

const FORMAT_VERSION = 1
const HEADER_BYTES = 5

export interface MasterKey {
  readonly id: string
  readonly key: Uint8Array
}

/** Master keys by id; `current` wraps new data keys, the others only unwrap. */
export interface MasterKeyRing {
  readonly current: MasterKey
  readonly previous: readonly MasterKey[]
}

export interface WrappedDataKey {
  readonly id: number
  readonly agency: string
  readonly version: number
  readonly masterKeyId: string
  readonly wrapped: Uint8Array
}

/** Storage of wrapped data keys, implemented by `storage`. */
export interface DataKeyStore {
  listDataKeys(): Promise<WrappedDataKey[]>
  insertDataKey(key: Omit<WrappedDataKey, 'id'>): Promise<WrappedDataKey>
  replaceWrapping(updates: readonly WrappedDataKey[]): Promise<void>
}

export interface Envelope {
  encrypt(agency: string, plaintext: string | Uint8Array, associatedData: string): Buffer
  decrypt(ciphertext: Uint8Array, associatedData: string): Buffer
  decryptText(ciphertext: Uint8Array, associatedData: string): string
  /** Makes a new data-key version current for the agency; old versions still decrypt. */
  rotateDataKey(agency: string): Promise<void>
  /** Re-wraps every data key under `next`, which becomes current. */
  rotateMasterKey(next: MasterKey): Promise<void>
  /** Loads data keys written by another process (e.g. after a rotation elsewhere). */
  reload(): Promise<void>
  readonly masterKeyId: string
}

export async function openEnvelope(
  masterKeys: MasterKeyRing,
  store: DataKeyStore,
  agencies: readonly string[],
): Promise<Envelope> {
  let ring = masterKeys
  const byId = new Map<number, { agency: string; key: KeyObject }>()
  const currentByAgency = new Map<string, { id: number; version: number; key: KeyObject }>()

  const load = async (): Promise<void> => {
    for (const stored of await store.listDataKeys()) {
      const key = createSecretKey(unwrapDataKey(ring, stored))
      byId.set(stored.id, { agency: stored.agency, key })
      const current = currentByAgency.get(stored.agency)
      if (current === undefined || current.version < stored.version) {
        currentByAgency.set(stored.agency, { id: stored.id, version: stored.version, key })
      }
    }
  }

  const createDataKey = async (agency: string, version: number): Promise<void> => {
    const raw = randomBytes(KEY_BYTES)
    const stored = await store.insertDataKey({
      agency,
      version,
      masterKeyId: ring.current.id,
      wrapped: sealAead(ring.current.key, raw, wrappingContext(agency, version)),
    })
    const key = createSecretKey(raw)
    raw.fill(0)
    byId.set(stored.id, { agency, key })
    currentByAgency.set(agency, { id: stored.id, version, key })
  }

  await load()
  for (const agency of agencies) {
    if (!currentByAgency.has(agency)) await createDataKey(agency, 1)
  }

  const envelope: Envelope = {
    get masterKeyId() {
      return ring.current.id
    },
    encrypt(agency, plaintext, associatedData) {
      const current = currentByAgency.get(agency)
      if (current === undefined) {
        throw new CryptoError('CRYPTO_UNKNOWN_KEY', `no data key for agency ${agency}`)
      }
      const header = Buffer.allocUnsafe(HEADER_BYTES)
      header.writeUInt8(FORMAT_VERSION, 0)
      header.writeUInt32BE(current.id, 1)
      const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext
      return Buffer.concat([header, sealAead(current.key, bytes, associatedData)])
    },
    decrypt(ciphertext, associatedData) {
      if (ciphertext.length < HEADER_BYTES || ciphertext[0] !== FORMAT_VERSION) {
        throw new CryptoError('CRYPTO_MALFORMED_CIPHERTEXT', 'unknown ciphertext format')
      }
      const keyId = Buffer.from(ciphertext.buffer, ciphertext.byteOffset).readUInt32BE(1)
      const entry = byId.get(keyId)
      if (entry === undefined) {
        throw new CryptoError('CRYPTO_UNKNOWN_KEY', `data key ${keyId} is not loaded`)
      }
      return openAead(entry.key, ciphertext.subarray(HEADER_BYTES), associatedData)
    },
    decryptText(ciphertext, associatedData) {
      return envelope.decrypt(ciphertext, associatedData).toString('utf8')
    },
    async rotateDataKey(agency) {
      await load()
      const current = currentByAgency.get(agency)
      await createDataKey(agency, (current?.version ?? 0) + 1)
    },
    async rotateMasterKey(next) {
      const stored = await store.listDataKeys()
      const rewrapped = stored.map((entry) => ({
        ...entry,
        masterKeyId: next.id,
        wrapped: sealAead(
          next.key,
          unwrapDataKey(ring, entry),
          wrappingContext(entry.agency, entry.version),
        ),
      }))
      await store.replaceWrapping(rewrapped)
      ring = { current: next, previous: [ring.current, ...ring.previous] }
    },
    reload: load,
  }
  return envelope
}

export function generateMasterKey(id: string): MasterKey {
  return { id, key: randomBytes(KEY_BYTES) }
}

function unwrapDataKey(ring: MasterKeyRing, stored: WrappedDataKey): Buffer {
  const master = [ring.current, ...ring.previous].find((key) => key.id === stored.masterKeyId)
  if (master === undefined) {
    throw new CryptoError(
      'CRYPTO_BAD_MASTER_KEY',
      `data key ${stored.id} is wrapped by master key "${stored.masterKeyId}", which is not configured`,
    )
  }
  try {
    return openAead(master.key, stored.wrapped, wrappingContext(stored.agency, stored.version))
  } catch (error) {
    throw new CryptoError(
      'CRYPTO_BAD_MASTER_KEY',
      `master key "${master.id}" does not open data key ${stored.id}: wrong key material`,
      { cause: error },
    )
  }
}

function wrappingContext(agency: string, version: number): string {
  return `e-state data key|${agency}|${version}`
}
