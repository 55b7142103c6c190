/**
 * The e-ID held in this browser: two non-extractable WebCrypto P-384 keys (authentication and
 * signing: the stand-in for an ID card's two), kept in IndexedDB with their certificates, and
 * the key request a service desk issues certificates for (each public key with a signature by
 * it over `e-state e-ID key\n<personal code>\n<SPKI>\n`, as `identity/possession.ts` checks).
 */
export interface StoredEid {
  readonly keys: CryptoKeyPair
  readonly certificate?: string
  readonly signKeys?: CryptoKeyPair
  readonly signCertificate?: string
}

export interface KeyRequest {
  readonly auth: { readonly publicKey: string; readonly proof: string }
  readonly sign: { readonly publicKey: string; readonly proof: string }
}

const STORE = 'eid'

function database(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('e-state', 1)
    request.onupgradeneeded = () => request.result.createObjectStore(STORE)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

export async function loadEid(): Promise<StoredEid | undefined> {
  const db = await database()
  return new Promise((resolve, reject) => {
    const request = db.transaction(STORE).objectStore(STORE).get('card')
    request.onsuccess = () => resolve(request.result as StoredEid | undefined)
    request.onerror = () => reject(request.error)
  })
}

export async function saveEid(eid: StoredEid): Promise<void> {
  const db = await database()
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, 'readwrite')
    transaction.objectStore(STORE).put(eid, 'card')
    transaction.oncomplete = () => resolve()
    transaction.onerror = () => reject(transaction.error)
  })
}

export const base64 = (bytes: ArrayBuffer | Uint8Array): string =>
  btoa(
    String.fromCharCode(
      ...new Uint8Array(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)),
    ),
  )

export const fromBase64 = (text: string): Uint8Array =>
  Uint8Array.from(atob(text), (character) => character.charCodeAt(0))

const newKeyPair = (): Promise<CryptoKeyPair> =>
  crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign', 'verify'])

export const signWith = async (key: CryptoKey, data: Uint8Array): Promise<string> =>
  base64(
    await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-384' },
      key,
      data as Uint8Array<ArrayBuffer>,
    ),
  )

/** A new P-384 key pair, its private half never extractable; returns the public key (SPKI). */
export async function createKey(): Promise<string> {
  const keys = await newKeyPair()
  await saveEid({ keys })
  return base64(await crypto.subtle.exportKey('spki', keys.publicKey))
}

/** Both keys of a new e-ID for `personalCode`, and the request a desk issues it for. */
export async function createEid(personalCode: string): Promise<KeyRequest> {
  const [keys, signKeys] = await Promise.all([newKeyPair(), newKeyPair()])
  await saveEid({ keys, signKeys })
  const proven = async (pair: CryptoKeyPair) => {
    const publicKey = base64(await crypto.subtle.exportKey('spki', pair.publicKey))
    const message = new TextEncoder().encode(`e-state e-ID key\n${personalCode}\n${publicKey}\n`)
    return { publicKey, proof: await signWith(pair.privateKey, message) }
  }
  return { auth: await proven(keys), sign: await proven(signKeys) }
}

export async function installCertificate(certificate: string): Promise<void> {
  const eid = await loadEid()
  if (eid === undefined) throw new Error('no e-ID key in this browser')
  await saveEid({ ...eid, certificate })
}

/** The certificates a desk issued for the keys `createEid` made. */
export async function installEid(certificates: { auth: string; sign: string }): Promise<void> {
  const eid = await loadEid()
  if (eid?.signKeys === undefined) throw new Error('no e-ID keys in this browser')
  await saveEid({ ...eid, certificate: certificates.auth, signCertificate: certificates.sign })
}
