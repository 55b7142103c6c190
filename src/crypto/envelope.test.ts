import { describe, it, expect } from 'vitest'
import { CryptoError, type CryptoErrorCode } from './errors.ts'
import {
  generateMasterKey,
  openEnvelope,
  type DataKeyStore,
  type MasterKey,
  type WrappedDataKey,
} from './envelope.ts'

/** An in-memory `DataKeyStore`: copies bytes in and out, as a database would. */
class MemoryDataKeyStore implements DataKeyStore {
  rows: WrappedDataKey[] = []
  failNextReplace = false
  private nextId = 1

  async listDataKeys(): Promise<WrappedDataKey[]> {
    return this.rows.map((row) => ({ ...row, wrapped: Uint8Array.from(row.wrapped) }))
  }

  async insertDataKey(key: Omit<WrappedDataKey, 'id'>): Promise<WrappedDataKey> {
    if (this.rows.some((row) => row.agency === key.agency && row.version === key.version)) {
      throw new Error(`duplicate data key ${key.agency} v${key.version}`)
    }
    const row = { ...key, id: this.nextId++, wrapped: Uint8Array.from(key.wrapped) }
    this.rows.push(row)
    return { ...row, wrapped: Uint8Array.from(row.wrapped) }
  }

  async replaceWrapping(updates: readonly WrappedDataKey[]): Promise<void> {
    if (this.failNextReplace) {
      this.failNextReplace = false
      throw new Error('database went away')
    }
    for (const update of updates) {
      const index = this.rows.findIndex((row) => row.id === update.id)
      if (index < 0) throw new Error(`no data key ${update.id}`)
      this.rows[index] = {
        ...this.rows[index],
        masterKeyId: update.masterKeyId,
        wrapped: Uint8Array.from(update.wrapped),
      }
    }
  }

  row(agency: string, version: number): WrappedDataKey {
    const row = this.rows.find((entry) => entry.agency === agency && entry.version === version)
    if (row === undefined) throw new Error(`no data key ${agency} v${version}`)
    return row
  }
}

const AGENCIES = ['70000001', '70000002']
const [POLICE, TAX] = AGENCIES
const HEADER = 5
const IV = 12
const TAG = 16

function ringOf(current: MasterKey, ...previous: MasterKey[]) {
  return { current, previous }
}

function keyIdOf(ciphertext: Uint8Array): number {
  return Buffer.from(ciphertext).readUInt32BE(1)
}

async function codeOf(action: () => unknown): Promise<CryptoErrorCode> {
  try {
    await action()
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError)
    return (error as CryptoError).code
  }
  throw new Error('expected a CryptoError, but nothing was thrown')
}

async function setUp() {
  const master = generateMasterKey('master-1')
  const store = new MemoryDataKeyStore()
  const envelope = await openEnvelope(ringOf(master), store, AGENCIES)
  return { master, store, envelope }
}

describe('openEnvelope', () => {
  it('creates one version-1 data key per agency, wrapped by the current master key', async () => {
    const { master, store, envelope } = await setUp()
    expect(store.rows.map((row) => [row.agency, row.version, row.masterKeyId])).toEqual([
      [POLICE, 1, 'master-1'],
      [TAX, 1, 'master-1'],
    ])
    // Wrapped is iv + 32-byte key + tag, and is not the master key or anything readable.
    for (const row of store.rows) expect(row.wrapped).toHaveLength(IV + 32 + TAG)
    expect(envelope.masterKeyId).toBe(master.id)
  })

  it('creates no new data keys when reopened over a store that has them', async () => {
    const { master, store } = await setUp()
    const before = structuredClone(store.rows)
    await openEnvelope(ringOf(master), store, AGENCIES)
    expect(store.rows).toEqual(before)
  })

  it('round-trips text and bytes', async () => {
    const { envelope } = await setUp()
    const text = 'Mari Maasikas, sündinud 1980 — tervisekindlustus: jah ✓'
    const sealed = envelope.encrypt(POLICE, text, 'persons|38001085718|notes')
    expect(envelope.decryptText(sealed, 'persons|38001085718|notes')).toBe(text)

    const bytes = Uint8Array.from({ length: 1000 }, (_, index) => (index * 37) % 256)
    const sealedBytes = envelope.encrypt(TAX, bytes, 'incomes|38001085718|2024')
    expect(new Uint8Array(envelope.decrypt(sealedBytes, 'incomes|38001085718|2024'))).toEqual(bytes)

    const empty = envelope.encrypt(TAX, '', 'empty')
    expect(empty).toHaveLength(HEADER + IV + TAG)
    expect(envelope.decryptText(empty, 'empty')).toBe('')
  })

  it('lays out version byte, data key id, iv, ciphertext and tag', async () => {
    const { store, envelope } = await setUp()
    const sealed = envelope.encrypt(TAX, 'hello', 'ad')
    expect(sealed[0]).toBe(1)
    expect(keyIdOf(sealed)).toBe(store.row(TAX, 1).id)
    expect(keyIdOf(envelope.encrypt(POLICE, 'hello', 'ad'))).toBe(store.row(POLICE, 1).id)
    expect(sealed).toHaveLength(HEADER + IV + 5 + TAG)
    expect(sealed.includes(Buffer.from('hello'))).toBe(false)
  })

  it('decrypts a ciphertext that is a view into a larger buffer', async () => {
    const { envelope } = await setUp()
    const sealed = envelope.encrypt(POLICE, 'inside a page', 'ad')
    const page = new Uint8Array(sealed.length + 100)
    page.set(sealed, 37)
    const view = page.subarray(37, 37 + sealed.length)
    expect(envelope.decryptText(view, 'ad')).toBe('inside a page')
  })

  it('a second envelope over the same store decrypts what the first wrote', async () => {
    const { master, store, envelope } = await setUp()
    const sealed = envelope.encrypt(POLICE, 'shared secret', 'ad')
    const other = await openEnvelope(ringOf(master), store, AGENCIES)
    expect(other.decryptText(sealed, 'ad')).toBe('shared secret')
    expect(envelope.decryptText(other.encrypt(TAX, 'back', 'ad2'), 'ad2')).toBe('back')
  })

  describe('authentication', () => {
    it('refuses a different associated data with CRYPTO_DECRYPTION_FAILED', async () => {
      const { envelope } = await setUp()
      const sealed = envelope.encrypt(POLICE, 'secret', 'persons|38001085718|email')
      expect(await codeOf(() => envelope.decrypt(sealed, 'persons|48707032744|email'))).toBe(
        'CRYPTO_DECRYPTION_FAILED',
      )
      expect(await codeOf(() => envelope.decrypt(sealed, ''))).toBe('CRYPTO_DECRYPTION_FAILED')
    })

    it('refuses a flipped bit anywhere in the iv, body or tag', async () => {
      const { envelope } = await setUp()
      const sealed = envelope.encrypt(POLICE, 'sixteen byte msg', 'ad')
      for (let index = HEADER; index < sealed.length; index++) {
        const tampered = Buffer.from(sealed)
        tampered[index] ^= 0x01
        expect(await codeOf(() => envelope.decrypt(tampered, 'ad')), `byte ${index}`).toBe(
          'CRYPTO_DECRYPTION_FAILED',
        )
      }
    })

    it('refuses a ciphertext whose key id was switched to another agency key', async () => {
      const { store, envelope } = await setUp()
      const sealed = envelope.encrypt(POLICE, 'secret', 'ad')
      const moved = Buffer.from(sealed)
      moved.writeUInt32BE(store.row(TAX, 1).id, 1)
      expect(await codeOf(() => envelope.decrypt(moved, 'ad'))).toBe('CRYPTO_DECRYPTION_FAILED')
    })

    it('keeps the cause of a failed decryption', async () => {
      const { envelope } = await setUp()
      const sealed = envelope.encrypt(POLICE, 'secret', 'ad')
      try {
        envelope.decrypt(sealed, 'other')
        expect.unreachable()
      } catch (error) {
        expect((error as Error).cause).toBeInstanceOf(Error)
      }
    })
  })

  describe('malformed input', () => {
    it('reports an unknown data key id as CRYPTO_UNKNOWN_KEY', async () => {
      const { envelope } = await setUp()
      const sealed = envelope.encrypt(POLICE, 'secret', 'ad')
      for (const id of [0, 999, 0xffffffff]) {
        const forged = Buffer.from(sealed)
        forged.writeUInt32BE(id, 1)
        expect(await codeOf(() => envelope.decrypt(forged, 'ad'))).toBe('CRYPTO_UNKNOWN_KEY')
      }
    })

    it('refuses to encrypt for an agency without a data key with CRYPTO_UNKNOWN_KEY', async () => {
      const { envelope } = await setUp()
      expect(await codeOf(() => envelope.encrypt('79999999', 'x', 'ad'))).toBe('CRYPTO_UNKNOWN_KEY')
    })

    it('reports truncated ciphertexts as CRYPTO_MALFORMED_CIPHERTEXT', async () => {
      const { envelope } = await setUp()
      const sealed = envelope.encrypt(POLICE, 'secret', 'ad')
      for (const length of [0, 1, 4, HEADER, HEADER + 1, HEADER + IV, HEADER + IV + TAG - 1]) {
        expect(
          await codeOf(() => envelope.decrypt(sealed.subarray(0, length), 'ad')),
          `length ${length}`,
        ).toBe('CRYPTO_MALFORMED_CIPHERTEXT')
      }
    })

    it('reports an unknown format version as CRYPTO_MALFORMED_CIPHERTEXT', async () => {
      const { envelope } = await setUp()
      const sealed = Buffer.from(envelope.encrypt(POLICE, 'secret', 'ad'))
      for (const version of [0, 2, 255]) {
        sealed[0] = version
        expect(await codeOf(() => envelope.decrypt(sealed, 'ad'))).toBe(
          'CRYPTO_MALFORMED_CIPHERTEXT',
        )
      }
    })
  })

  describe('initialisation vectors', () => {
    it('encrypts the same plaintext differently every time', async () => {
      const { envelope } = await setUp()
      const a = envelope.encrypt(POLICE, 'same', 'ad')
      const b = envelope.encrypt(POLICE, 'same', 'ad')
      expect(a.equals(b)).toBe(false)
      expect(a.subarray(HEADER, HEADER + IV).equals(b.subarray(HEADER, HEADER + IV))).toBe(false)
      expect(envelope.decryptText(a, 'ad')).toBe('same')
      expect(envelope.decryptText(b, 'ad')).toBe('same')
    })

    it('never repeats an iv over 20,000 encryptions (several IV pool refills)', async () => {
      const { envelope } = await setUp()
      const ivs = new Set<string>()
      const count = 20_000
      for (let index = 0; index < count; index++) {
        const sealed = envelope.encrypt(index % 2 === 0 ? POLICE : TAX, 'x', 'ad')
        ivs.add(sealed.subarray(HEADER, HEADER + IV).toString('hex'))
      }
      expect(ivs.size).toBe(count)
    })

    it('does not reuse an iv across envelopes in one process', async () => {
      const first = await setUp()
      const second = await setUp()
      const ivs = new Set<string>()
      for (let index = 0; index < 6_000; index++) {
        for (const { envelope } of [first, second]) {
          ivs.add(
            envelope
              .encrypt(POLICE, 'x', 'ad')
              .subarray(HEADER, HEADER + IV)
              .toString('hex'),
          )
        }
      }
      expect(ivs.size).toBe(12_000)
    })
  })

  describe('data key rotation', () => {
    it('encrypts with the new version and still decrypts the old one', async () => {
      const { store, envelope } = await setUp()
      const old = envelope.encrypt(POLICE, 'before rotation', 'ad')
      const taxBefore = envelope.encrypt(TAX, 'tax', 'ad')

      await envelope.rotateDataKey(POLICE)

      const v1 = store.row(POLICE, 1)
      const v2 = store.row(POLICE, 2)
      expect(v2.id).not.toBe(v1.id)
      expect(v2.masterKeyId).toBe('master-1')
      expect(keyIdOf(old)).toBe(v1.id)
      const fresh = envelope.encrypt(POLICE, 'after rotation', 'ad')
      expect(keyIdOf(fresh)).toBe(v2.id)
      expect(envelope.decryptText(old, 'ad')).toBe('before rotation')
      expect(envelope.decryptText(fresh, 'ad')).toBe('after rotation')

      // The other agency is untouched.
      expect(store.rows.filter((row) => row.agency === TAX)).toHaveLength(1)
      expect(keyIdOf(envelope.encrypt(TAX, 'tax', 'ad'))).toBe(keyIdOf(taxBefore))
    })

    it('counts versions up across several rotations', async () => {
      const { store, envelope } = await setUp()
      const sealed = [envelope.encrypt(POLICE, 'v1', 'ad')]
      for (let version = 2; version <= 4; version++) {
        await envelope.rotateDataKey(POLICE)
        sealed.push(envelope.encrypt(POLICE, `v${version}`, 'ad'))
      }
      expect(store.rows.filter((row) => row.agency === POLICE).map((row) => row.version)).toEqual([
        1, 2, 3, 4,
      ])
      expect(sealed.map((entry) => keyIdOf(entry))).toEqual(
        [1, 2, 3, 4].map((version) => store.row(POLICE, version).id),
      )
      expect(sealed.map((entry) => envelope.decryptText(entry, 'ad'))).toEqual([
        'v1',
        'v2',
        'v3',
        'v4',
      ])
    })

    it('is seen by another envelope after reload, and by one opened afterwards', async () => {
      const { master, store, envelope } = await setUp()
      const other = await openEnvelope(ringOf(master), store, AGENCIES)
      await envelope.rotateDataKey(TAX)
      const fresh = envelope.encrypt(TAX, 'new key', 'ad')

      expect(await codeOf(() => other.decrypt(fresh, 'ad'))).toBe('CRYPTO_UNKNOWN_KEY')
      await other.reload()
      expect(other.decryptText(fresh, 'ad')).toBe('new key')
      expect(keyIdOf(other.encrypt(TAX, 'x', 'ad'))).toBe(store.row(TAX, 2).id)

      const later = await openEnvelope(ringOf(master), store, AGENCIES)
      expect(keyIdOf(later.encrypt(TAX, 'x', 'ad'))).toBe(store.row(TAX, 2).id)
      expect(later.decryptText(fresh, 'ad')).toBe('new key')
    })

    it('creates a first key for an agency that had none', async () => {
      const { store, envelope } = await setUp()
      await envelope.rotateDataKey('70000003')
      expect(store.row('70000003', 1).masterKeyId).toBe('master-1')
      expect(envelope.decryptText(envelope.encrypt('70000003', 'hi', 'ad'), 'ad')).toBe('hi')
    })
  })

  describe('master key rotation', () => {
    it('re-wraps every data key and switches masterKeyId', async () => {
      const { store, envelope } = await setUp()
      await envelope.rotateDataKey(POLICE)
      const before = structuredClone(store.rows)
      const next = generateMasterKey('master-2')

      await envelope.rotateMasterKey(next)

      expect(envelope.masterKeyId).toBe('master-2')
      expect(store.rows).toHaveLength(before.length)
      for (const [index, row] of store.rows.entries()) {
        expect(row.id).toBe(before[index].id)
        expect(row.agency).toBe(before[index].agency)
        expect(row.version).toBe(before[index].version)
        expect(row.masterKeyId).toBe('master-2')
        expect(Buffer.from(row.wrapped).equals(Buffer.from(before[index].wrapped))).toBe(false)
      }
    })

    it('lets an envelope holding only the new master key decrypt old ciphertexts', async () => {
      const { store, envelope } = await setUp()
      const v1 = envelope.encrypt(POLICE, 'written under v1', 'ad')
      await envelope.rotateDataKey(POLICE)
      const v2 = envelope.encrypt(POLICE, 'written under v2', 'ad')
      const tax = envelope.encrypt(TAX, 'tax data', 'ad')
      const next = generateMasterKey('master-2')

      await envelope.rotateMasterKey(next)

      const reopened = await openEnvelope(ringOf(next), store, AGENCIES)
      expect(reopened.decryptText(v1, 'ad')).toBe('written under v1')
      expect(reopened.decryptText(v2, 'ad')).toBe('written under v2')
      expect(reopened.decryptText(tax, 'ad')).toBe('tax data')
      expect(keyIdOf(reopened.encrypt(POLICE, 'x', 'ad'))).toBe(store.row(POLICE, 2).id)
      // The rotating envelope itself keeps working too.
      expect(envelope.decryptText(v1, 'ad')).toBe('written under v1')
    })

    it('wraps data keys created after the rotation with the new master key', async () => {
      const { store, envelope } = await setUp()
      const next = generateMasterKey('master-2')
      await envelope.rotateMasterKey(next)
      await envelope.rotateDataKey(TAX)
      expect(store.row(TAX, 2).masterKeyId).toBe('master-2')
      const sealed = envelope.encrypt(TAX, 'after both', 'ad')
      const reopened = await openEnvelope(ringOf(next), store, AGENCIES)
      expect(reopened.decryptText(sealed, 'ad')).toBe('after both')
    })

    it('leaves the old master key useless once rotation is done', async () => {
      const { master, store, envelope } = await setUp()
      await envelope.rotateMasterKey(generateMasterKey('master-2'))
      expect(await codeOf(() => openEnvelope(ringOf(master), store, AGENCIES))).toBe(
        'CRYPTO_BAD_MASTER_KEY',
      )
    })

    it('keeps the old master key current when the store fails to save the re-wrap', async () => {
      const { master, store, envelope } = await setUp()
      const before = structuredClone(store.rows)
      store.failNextReplace = true
      await expect(envelope.rotateMasterKey(generateMasterKey('master-2'))).rejects.toThrow(
        'database went away',
      )
      expect(envelope.masterKeyId).toBe('master-1')
      expect(store.rows).toEqual(before)
      await envelope.rotateDataKey(POLICE)
      expect(store.row(POLICE, 2).masterKeyId).toBe('master-1')
      await openEnvelope(ringOf(master), store, AGENCIES)
    })
  })

  describe('master key errors', () => {
    it('refuses a master key with the right id but wrong material', async () => {
      const { store } = await setUp()
      const impostor = generateMasterKey('master-1')
      expect(await codeOf(() => openEnvelope(ringOf(impostor), store, AGENCIES))).toBe(
        'CRYPTO_BAD_MASTER_KEY',
      )
    })

    it('refuses when the wrapping master key is not configured', async () => {
      const { store } = await setUp()
      const unrelated = generateMasterKey('master-9')
      expect(await codeOf(() => openEnvelope(ringOf(unrelated), store, AGENCIES))).toBe(
        'CRYPTO_BAD_MASTER_KEY',
      )
    })

    it('opens with the wrapping key among the previous ones', async () => {
      const { master, store, envelope } = await setUp()
      const sealed = envelope.encrypt(POLICE, 'old', 'ad')
      const reopened = await openEnvelope(
        ringOf(generateMasterKey('master-2'), master),
        store,
        AGENCIES,
      )
      expect(reopened.decryptText(sealed, 'ad')).toBe('old')
      expect(reopened.masterKeyId).toBe('master-2')
    })

    it('binds a wrapped data key to its agency and version', async () => {
      const { master, store } = await setUp()
      const police = store.row(POLICE, 1)
      const tax = store.row(TAX, 1)
      store.rows = store.rows.map((row) =>
        row.id === police.id
          ? { ...row, wrapped: tax.wrapped }
          : row.id === tax.id
            ? { ...row, wrapped: police.wrapped }
            : row,
      )
      expect(await codeOf(() => openEnvelope(ringOf(master), store, AGENCIES))).toBe(
        'CRYPTO_BAD_MASTER_KEY',
      )
    })
  })
})
