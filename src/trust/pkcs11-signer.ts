/**
 * The `Signer` port over PKCS#11: a CA key in an HSM, or an ID card through OpenSC, signs here.
 * The token computes a raw ECDSA signature (CKM_ECDSA) over the digest we pass; the key never
 * leaves it. `pkcs11js` is an optional dependency (a native addon built with node-gyp), loaded
 * only when a PKCS#11 signer is asked for; tested against SoftHSM2.
 */
import { createHash, createPublicKey } from 'node:crypto'
import { derTagged } from './der.ts'
import { TrustError } from './errors.ts'
import { algorithmOf, digestOf, type Signer } from './signer.ts'

export interface Pkcs11Options {
  /** The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so or OpenSC's opensc-pkcs11.so. */
  readonly library: string
  readonly tokenLabel: string
  readonly pin: string
  /** CKA_LABEL of the key pair. */
  readonly keyLabel: string
}

export interface Pkcs11Signer extends Signer {
  close(): void
}

interface Pkcs11Module {
  PKCS11: new () => Pkcs11
  CKF_SERIAL_SESSION: number
  CKF_RW_SESSION: number
  CKU_USER: number
  CKA_CLASS: number
  CKA_LABEL: number
  CKA_EC_PARAMS: number
  CKA_EC_POINT: number
  CKO_PRIVATE_KEY: number
  CKO_PUBLIC_KEY: number
  CKM_ECDSA: number
}

interface Pkcs11 {
  load(path: string): void
  C_Initialize(): void
  C_Finalize(): void
  C_GetSlotList(tokenPresent: boolean): Buffer[]
  C_GetTokenInfo(slot: Buffer): { label: string }
  C_OpenSession(slot: Buffer, flags: number): Buffer
  C_CloseSession(session: Buffer): void
  C_Login(session: Buffer, user: number, pin: string): void
  C_FindObjectsInit(session: Buffer, template: { type: number; value?: unknown }[]): void
  C_FindObjects(session: Buffer, max: number): Buffer[]
  C_FindObjectsFinal(session: Buffer): void
  C_GetAttributeValue(
    session: Buffer,
    object: Buffer,
    template: { type: number }[],
  ): { type: number; value: Buffer }[]
  C_SignInit(session: Buffer, mechanism: { mechanism: number }, key: Buffer): void
  C_Sign(session: Buffer, data: Buffer, signature: Buffer): Buffer
}

export interface Pkcs11Token {
  /** The signer of the key pair labelled `keyLabel` on this token. */
  signer(keyLabel: string): Promise<Signer>
  close(): void
}

/** Opens a token once (a PKCS#11 module is initialised once per process) for any of its keys. */
export async function openPkcs11Token(
  options: Omit<Pkcs11Options, 'keyLabel'>,
): Promise<Pkcs11Token> {
  let module: Pkcs11Module
  try {
    module = ((await import('pkcs11js')) as { default: Pkcs11Module }).default
  } catch {
    throw new TrustError('TRUST_TOKEN_UNAVAILABLE', 'PKCS#11 needs the optional pkcs11js package')
  }
  const pkcs11 = new module.PKCS11()
  try {
    pkcs11.load(options.library)
    pkcs11.C_Initialize()
  } catch (error) {
    throw new TrustError(
      'TRUST_TOKEN_UNAVAILABLE',
      `cannot load ${options.library}: ${(error as Error).message}`,
    )
  }
  let session: Buffer | undefined
  try {
    const slot = pkcs11
      .C_GetSlotList(true)
      .find((candidate) => pkcs11.C_GetTokenInfo(candidate).label.trim() === options.tokenLabel)
    if (slot === undefined)
      throw new TrustError('TRUST_TOKEN_UNAVAILABLE', `no token labelled ${options.tokenLabel}`)
    session = pkcs11.C_OpenSession(slot, module.CKF_SERIAL_SESSION | module.CKF_RW_SESSION)
    try {
      pkcs11.C_Login(session, module.CKU_USER, options.pin)
    } catch {
      throw new TrustError('TRUST_TOKEN_LOGIN_FAILED', 'the token refused the PIN')
    }
  } catch (error) {
    if (session !== undefined) pkcs11.C_CloseSession(session)
    pkcs11.C_Finalize()
    throw error
  }
  const open = session
  return {
    async signer(keyLabel) {
      const find = (objectClass: number): Buffer => {
        pkcs11.C_FindObjectsInit(open, [
          { type: module.CKA_CLASS, value: objectClass },
          { type: module.CKA_LABEL, value: keyLabel },
        ])
        const [found] = pkcs11.C_FindObjects(open, 1)
        pkcs11.C_FindObjectsFinal(open)
        if (found === undefined)
          throw new TrustError(
            'TRUST_TOKEN_KEY_NOT_FOUND',
            `no key labelled ${keyLabel} on the token`,
          )
        return found
      }
      const privateKey = find(module.CKO_PRIVATE_KEY)
      const [params, point] = pkcs11.C_GetAttributeValue(open, find(module.CKO_PUBLIC_KEY), [
        { type: module.CKA_EC_PARAMS },
        { type: module.CKA_EC_POINT },
      ])
      // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point; SPKI wants it bare.
      const wrapped =
        point.value[0] === 0x04 &&
        point.value[1] === point.value.length - 2 &&
        point.value[2] === 0x04
      const rawPoint = wrapped ? point.value.subarray(2) : point.value
      const spki = derTagged(
        0x30,
        derTagged(0x30, Buffer.from('06072a8648ce3d0201', 'hex'), params.value),
        derTagged(0x03, Buffer.from([0]), rawPoint),
      )
      const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' })
      const algorithm = algorithmOf(publicKey)
      const digest = digestOf(algorithm)
      if (digest === null)
        throw new TrustError('TRUST_UNSUPPORTED_KEY', 'PKCS#11 keys here are ECDSA')
      return {
        algorithm,
        publicKey,
        async sign(data) {
          pkcs11.C_SignInit(open, { mechanism: module.CKM_ECDSA }, privateKey)
          const raw = pkcs11.C_Sign(
            open,
            createHash(digest).update(data).digest(),
            Buffer.alloc(132),
          )
          return ecdsaDer(raw)
        },
      }
    },
    close() {
      pkcs11.C_CloseSession(open)
      pkcs11.C_Finalize()
    },
  }
}

/** One key's signer on its own token session (closed with the signer). */
export async function openPkcs11Signer(options: Pkcs11Options): Promise<Pkcs11Signer> {
  const token = await openPkcs11Token(options)
  try {
    const signer = await token.signer(options.keyLabel)
    return { ...signer, close: () => token.close() }
  } catch (error) {
    token.close()
    throw error
  }
}

/** A raw r ‖ s signature as DER ECDSA-Sig-Value (what X.509 and CMS carry). */
function ecdsaDer(raw: Buffer): Buffer {
  const half = raw.length / 2
  const integer = (bytes: Buffer) => {
    let start = 0
    while (start < bytes.length - 1 && bytes[start] === 0) start++
    const trimmed = bytes.subarray(start)
    return derTagged(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed)
  }
  return derTagged(0x30, integer(raw.subarray(0, half)), integer(raw.subarray(half)))
}
