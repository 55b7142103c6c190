/**
 * A software e-ID token: a PKCS#12 file holding the holder's authentication key (encrypted with
 * PIN1) and signing key (encrypted with PIN2), both again under the PUK (to unblock), the two
 * certificates, and the PIN retry counters. Keys are PKCS#8 encrypted with PBES2 (PBKDF2,
 * AES-256-CBC); the certificates are in the clear, as on a card. Three wrong PINs block a key
 * until the PUK sets a new PIN.
 *
 * A file cannot count its own failures against someone who copies it: the counters stop a
 * casual guesser, not an offline attack on the file (a card or an HSM enforces the limit in
 * hardware). Keep the file private.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import { ContentInfo } from '@peculiar/asn1-cms'
import {
  AuthenticatedSafe,
  CertBag,
  PFX,
  PKCS12Attribute,
  PKCS8ShroudedKeyBag,
  SafeBag,
  SafeContents,
  SecretBag,
  id_SecretBag,
  id_certBag,
  id_pkcs8ShroudedKeyBag,
  id_x509Certificate,
} from '@peculiar/asn1-pfx'
import { IdentityError } from './errors.ts'

const ID_DATA = '1.2.840.113549.1.7.1'
const ID_FRIENDLY_NAME = '1.2.840.113549.1.9.20'
const ID_COUNTERS = '1.3.6.1.4.1.99999.2.1'
const PIN_RULES = { pin1: /^\d{4,12}$/, pin2: /^\d{5,12}$/, puk: /^\d{8,12}$/ } as const

export type TokenKey = 'auth' | 'sign'

interface Counters {
  limit: number
  auth: number
  sign: number
  puk: number
}

interface Parsed {
  certificates: Record<TokenKey, Buffer>
  keys: Map<string, Buffer>
  counters: Counters
}

export function createSoftwareToken(options: {
  readonly auth: { readonly key: KeyObject; readonly certificate: Buffer }
  readonly sign: { readonly key: KeyObject; readonly certificate: Buffer }
  readonly pin1: string
  readonly pin2: string
  readonly puk: string
  readonly limit?: number
}): Buffer {
  for (const [name, rule] of Object.entries(PIN_RULES)) {
    if (!rule.test(options[name as keyof typeof PIN_RULES]))
      throw new IdentityError(
        'TOKEN_PIN_INVALID',
        `${name.toUpperCase()} must be ${rule.source.replace(/[^\d,]/g, '').replace(',', '–')} digits`,
      )
  }
  const encrypt = (key: KeyObject, secret: string) =>
    key.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: secret })
  const keys = new Map<string, Buffer>([
    ['auth', encrypt(options.auth.key, options.pin1)],
    ['sign', encrypt(options.sign.key, options.pin2)],
    ['auth-puk', encrypt(options.auth.key, options.puk)],
    ['sign-puk', encrypt(options.sign.key, options.puk)],
  ])
  const limit = options.limit ?? 3
  return serialize({
    certificates: { auth: options.auth.certificate, sign: options.sign.certificate },
    keys,
    counters: { limit, auth: limit, sign: limit, puk: limit * 2 },
  })
}

export interface OpenedToken {
  readonly certificates: Record<TokenKey, Buffer>
  /** Tries left for PIN1 (auth), PIN2 (sign) and the PUK. */
  readonly triesLeft: Readonly<Counters>
  /**
   * The private key behind `which`, if `pin` is right. Either way returns the token's new bytes
   * (the counter changed) to be written back before anything else is done.
   */
  unlock(which: TokenKey, pin: string): { key?: KeyObject; token: Buffer; error?: IdentityError }
  /** Sets a new PIN for a key with the PUK (and resets its counter). */
  unblock(which: TokenKey, puk: string, newPin: string): { token: Buffer; error?: IdentityError }
}

export function openSoftwareToken(bytes: Uint8Array): OpenedToken {
  const parsed = parse(bytes)
  const attempt = (entry: string, secret: string): KeyObject | undefined => {
    try {
      return createPrivateKey({
        key: parsed.keys.get(entry) as Buffer,
        format: 'der',
        type: 'pkcs8',
        passphrase: secret,
      })
    } catch {
      return undefined
    }
  }
  return {
    certificates: parsed.certificates,
    triesLeft: { ...parsed.counters },
    unlock(which, pin) {
      const counters = { ...parsed.counters }
      if (counters[which] <= 0)
        return {
          token: Buffer.from(bytes),
          error: new IdentityError(
            'TOKEN_PIN_BLOCKED',
            `the ${which === 'auth' ? 'PIN1' : 'PIN2'} is blocked: unblock it with the PUK`,
          ),
        }
      const key = attempt(which, pin)
      counters[which] = key === undefined ? counters[which] - 1 : counters.limit
      const token = serialize({ ...parsed, counters })
      if (key === undefined)
        return {
          token,
          error: new IdentityError(
            counters[which] === 0 ? 'TOKEN_PIN_BLOCKED' : 'TOKEN_PIN_WRONG',
            `wrong ${which === 'auth' ? 'PIN1' : 'PIN2'}: ${counters[which]} tries left`,
            { triesLeft: counters[which] },
          ),
        }
      return { key, token }
    },
    unblock(which, puk, newPin) {
      const counters = { ...parsed.counters }
      if (counters.puk <= 0)
        return {
          token: Buffer.from(bytes),
          error: new IdentityError('TOKEN_PIN_BLOCKED', 'the PUK is blocked: ask for a new e-ID'),
        }
      const rule = which === 'auth' ? PIN_RULES.pin1 : PIN_RULES.pin2
      if (!rule.test(newPin))
        return {
          token: Buffer.from(bytes),
          error: new IdentityError('TOKEN_PIN_INVALID', 'the new PIN has the wrong length'),
        }
      const key = attempt(`${which}-puk`, puk)
      if (key === undefined) {
        counters.puk -= 1
        return {
          token: serialize({ ...parsed, counters }),
          error: new IdentityError('TOKEN_PIN_WRONG', `wrong PUK: ${counters.puk} tries left`, {
            triesLeft: counters.puk,
          }),
        }
      }
      counters.puk = counters.limit * 2
      counters[which] = counters.limit
      const keys = new Map(parsed.keys)
      keys.set(
        which,
        key.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: newPin }),
      )
      return { token: serialize({ ...parsed, keys, counters }) }
    },
  }
}

function friendlyName(name: string): PKCS12Attribute {
  // BMPString (UTF-16BE), as PKCS#12 tools expect.
  const utf16 = Buffer.from(name, 'utf16le').swap16()
  // Set after construction: this PKCS12Attribute constructor ignores its parameters.
  return Object.assign(new PKCS12Attribute(), {
    attrId: ID_FRIENDLY_NAME,
    attrValues: [exactBuffer(Buffer.concat([Buffer.from([0x1e, utf16.length]), utf16]))],
  })
}

/** The bytes as their own ArrayBuffer (a Buffer's `.buffer` may be a larger shared pool). */
function exactBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

function nameOf(bag: SafeBag): string {
  const attribute = bag.bagAttributes?.find((candidate) => candidate.attrId === ID_FRIENDLY_NAME)
  const value = attribute === undefined ? undefined : Buffer.from(attribute.attrValues[0])
  return value === undefined ? '' : Buffer.from(value.subarray(2)).swap16().toString('utf16le')
}

function data(contents: SafeContents): ContentInfo {
  return new ContentInfo({
    contentType: ID_DATA,
    content: AsnConvert.serialize(new OctetString(AsnConvert.serialize(contents))),
  })
}

function serialize(token: Parsed): Buffer {
  const certificates = new SafeContents([
    ...(['auth', 'sign'] as const).map(
      (which) =>
        new SafeBag({
          bagId: id_certBag,
          bagValue: AsnConvert.serialize(
            new CertBag({
              certId: id_x509Certificate,
              certValue: AsnConvert.serialize(new OctetString(token.certificates[which])),
            }),
          ),
          bagAttributes: [friendlyName(which)],
        }),
    ),
    new SafeBag({
      bagId: id_SecretBag,
      bagValue: AsnConvert.serialize(
        new SecretBag({
          secretTypeId: ID_COUNTERS,
          secretValue: AsnConvert.serialize(
            new OctetString(Buffer.from(JSON.stringify(token.counters))),
          ),
        }),
      ),
      bagAttributes: [friendlyName('counters')],
    }),
  ])
  const keys = new SafeContents(
    [...token.keys].map(
      ([name, der]) =>
        new SafeBag({
          bagId: id_pkcs8ShroudedKeyBag,
          bagValue: AsnConvert.serialize(AsnConvert.parse(der, PKCS8ShroudedKeyBag)),
          bagAttributes: [friendlyName(name)],
        }),
    ),
  )
  const safe = new AuthenticatedSafe([data(certificates), data(keys)])
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({
      contentType: ID_DATA,
      content: AsnConvert.serialize(new OctetString(AsnConvert.serialize(safe))),
    }),
  })
  ;(pfx as { macData?: unknown }).macData = undefined
  return Buffer.from(AsnConvert.serialize(pfx))
}

function parse(bytes: Uint8Array): Parsed {
  const fail = (): never => {
    throw new IdentityError('TOKEN_MALFORMED', 'not an e-state software token (PKCS#12)')
  }
  try {
    const pfx = AsnConvert.parse(bytes, PFX)
    const octets = (info: ContentInfo) => {
      if (info.contentType !== ID_DATA) fail()
      return AsnConvert.parse(info.content, OctetString).buffer
    }
    const safe = AsnConvert.parse(octets(pfx.authSafe), AuthenticatedSafe)
    const certificates: Partial<Record<TokenKey, Buffer>> = {}
    const keys = new Map<string, Buffer>()
    let counters: Counters | undefined
    for (const info of safe) {
      for (const bag of AsnConvert.parse(octets(info), SafeContents)) {
        const name = nameOf(bag)
        if (bag.bagId === id_certBag && (name === 'auth' || name === 'sign')) {
          const certificate = AsnConvert.parse(bag.bagValue, CertBag)
          certificates[name] = Buffer.from(
            AsnConvert.parse(certificate.certValue, OctetString).buffer,
          )
        } else if (bag.bagId === id_pkcs8ShroudedKeyBag) {
          keys.set(name, Buffer.from(bag.bagValue))
        } else if (bag.bagId === id_SecretBag && name === 'counters') {
          const secret = AsnConvert.parse(bag.bagValue, SecretBag)
          counters = JSON.parse(
            Buffer.from(AsnConvert.parse(secret.secretValue, OctetString).buffer).toString(),
          ) as Counters
        }
      }
    }
    if (
      certificates.auth === undefined ||
      certificates.sign === undefined ||
      counters === undefined
    )
      return fail()
    for (const name of ['auth', 'sign', 'auth-puk', 'sign-puk']) if (!keys.has(name)) fail()
    return { certificates: certificates as Record<TokenKey, Buffer>, keys, counters }
  } catch (error) {
    if (error instanceof IdentityError) throw error
    return fail()
  }
}
