/**
 * Validation of Web eID authentication tokens (`web-eid:1`, https://github.com/web-eid): the
 * ID card signed the hashes of the site's origin and of a single-use challenge nonce with its
 * authentication key. Checked in order: the token's shape, the certificate (well formed, valid
 * now, meant for client authentication, issued by a trusted CA), the signature over origin and
 * nonce, then — only for a token the card really signed, so forgeries cannot make the node
 * flood the OCSP responder — its status by OCSP where the CA is configured for it. A verified
 * certificate chain is remembered, so a returning card costs one signature check (plus its
 * cached OCSP answer).
 */
import { createHash, verify, X509Certificate, constants } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import {
  Certificate,
  CertificatePolicies,
  type Extension,
  KeyUsage,
  id_ce_certificatePolicies,
  id_ce_keyUsage,
  KeyUsageFlags,
} from '@peculiar/asn1-x509'
import { newNonce, ocspRequest, readOcspResponse, type OcspAnswer } from '../trust/index.ts'
import { IdentityError } from './errors.ts'

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
const ALGORITHMS: Record<string, { digest: string; kind: 'ec' | 'pss' | 'pkcs1' }> = {
  ES256: { digest: 'sha256', kind: 'ec' },
  ES384: { digest: 'sha384', kind: 'ec' },
  ES512: { digest: 'sha512', kind: 'ec' },
  PS256: { digest: 'sha256', kind: 'pss' },
  PS384: { digest: 'sha384', kind: 'pss' },
  PS512: { digest: 'sha512', kind: 'pss' },
  RS256: { digest: 'sha256', kind: 'pkcs1' },
  RS384: { digest: 'sha384', kind: 'pkcs1' },
  RS512: { digest: 'sha512', kind: 'pkcs1' },
}

export interface TrustedCa {
  readonly certificate: Buffer
  /**
   * Certificate policies (OIDs) a login certificate of this CA must carry one of — the CA's
   * authentication policy, so that another kind of certificate it issues (a signing one, a
   * Mobile-ID-like profile) cannot log in. Unset: any policy (a test CA).
   */
  readonly authPolicies?: readonly string[]
  /** OCSP for the certificates this CA issued: sent through `transport`, or switched off. */
  readonly ocsp:
    | { readonly mode: 'off' }
    | {
        readonly mode: 'on'
        readonly transport: (request: Buffer) => Promise<Buffer>
        readonly pinnedResponders?: readonly Buffer[]
      }
}

export interface WebEidIdentity {
  readonly personalCode: string
  readonly country: string
  readonly givenName: string
  readonly surname: string
  /** The authentication certificate (DER). */
  readonly certificate: Buffer
  readonly serial: string
}

export interface WebEidValidator {
  /** Validates `token` for `origin` and the challenge `nonce` (already consumed by the caller). */
  validate(token: unknown, origin: string, nonce: string): Promise<WebEidIdentity>
  /** Drops a cached OCSP answer (the certificate's status just changed). */
  forget(serial: string): void
}

export function createWebEidValidator(options: {
  readonly trusted: readonly TrustedCa[]
  readonly now: () => Date
  /** How long an OCSP "good" is reused for the same certificate (default 60 s; 0 = never). */
  readonly ocspCacheSeconds?: number
}): WebEidValidator {
  const cas = options.trusted.map((ca) => ({ ...ca, x509: new X509Certificate(ca.certificate) }))
  const chains = new Map<
    string,
    { ca: (typeof cas)[number]; x509: X509Certificate; identity: WebEidIdentity }
  >()
  const ocspCache = new Map<string, { answer: OcspAnswer; until: number }>()
  const cacheMs = (options.ocspCacheSeconds ?? 60) * 1000

  const certificateOf = (encoded: string, now: Date) => {
    const key = createHash('sha256').update(encoded).digest('hex')
    const known = chains.get(key)
    if (known !== undefined) {
      checkValidity(known.x509, now)
      checkValidity(known.ca.x509, now)
      return known
    }
    let der: Buffer
    let x509: X509Certificate
    let extensions: readonly Extension[]
    try {
      der = strictBase64(encoded, 'unverifiedCertificate')
      x509 = new X509Certificate(der)
      extensions = AsnConvert.parse(der, Certificate).tbsCertificate.extensions ?? []
    } catch {
      throw new IdentityError('WEBEID_CERTIFICATE_MALFORMED', 'the certificate cannot be parsed')
    }
    checkValidity(x509, now)
    checkPurpose(x509, extensions)
    const ca = cas.find(
      (candidate) => x509.checkIssued(candidate.x509) && x509.verify(candidate.x509.publicKey),
    )
    if (ca === undefined)
      throw new IdentityError(
        'WEBEID_CERTIFICATE_UNTRUSTED',
        'the certificate is not from a trusted CA',
      )
    checkValidity(ca.x509, now)
    if (ca.authPolicies !== undefined) checkPolicies(extensions, ca.authPolicies)
    const entry = { ca, x509, identity: identityOf(der, x509) }
    if (chains.size > 100_000) chains.clear()
    chains.set(key, entry)
    return entry
  }

  const checkStatus = async (entry: ReturnType<typeof certificateOf>, now: Date) => {
    const ocsp = entry.ca.ocsp
    if (ocsp.mode === 'off') return
    const key = entry.identity.serial
    const cached = ocspCache.get(key)
    let answer = cached !== undefined && cached.until > now.getTime() ? cached.answer : undefined
    if (answer === undefined) {
      const nonce = newNonce()
      try {
        const response = await ocsp.transport(
          ocspRequest(entry.identity.certificate, entry.ca.certificate, nonce),
        )
        answer = readOcspResponse(response, {
          certificate: entry.identity.certificate,
          issuer: entry.ca.certificate,
          pinnedResponders: ocsp.pinnedResponders,
          nonce,
          now,
        })
      } catch (error) {
        throw new IdentityError(
          'WEBEID_OCSP_FAILED',
          `the certificate's status is unknown: ${(error as Error).message}`,
        )
      }
      if (answer.status === 'good' && cacheMs > 0) {
        if (ocspCache.size > 100_000) ocspCache.clear()
        ocspCache.set(key, { answer, until: now.getTime() + cacheMs })
      }
    }
    if (answer.status !== 'good') {
      throw new IdentityError(
        'WEBEID_CERTIFICATE_REVOKED',
        answer.status === 'revoked'
          ? `the certificate is ${answer.reason === 6 ? 'suspended' : 'revoked'}`
          : 'the CA does not know this certificate',
      )
    }
  }

  return {
    forget(serial) {
      ocspCache.delete(serial.toLowerCase())
    },
    async validate(token, origin, nonce) {
      const parsed = parseToken(token)
      const now = options.now()
      const entry = certificateOf(parsed.unverifiedCertificate, now)
      const algorithm = ALGORITHMS[parsed.algorithm]
      const signature = strictBase64(parsed.signature, 'signature')
      const signed = Buffer.concat([
        createHash(algorithm.digest).update(origin).digest(),
        createHash(algorithm.digest).update(nonce).digest(),
      ])
      const key = entry.x509.publicKey
      const keyType = key.asymmetricKeyType
      if ((algorithm.kind === 'ec') !== (keyType === 'ec'))
        throw new IdentityError('WEBEID_SIGNATURE_INVALID', 'the algorithm does not fit the key')
      let valid: boolean
      try {
        valid = verify(
          algorithm.digest,
          signed,
          algorithm.kind === 'ec'
            ? { key, dsaEncoding: 'ieee-p1363' }
            : {
                key,
                padding:
                  algorithm.kind === 'pss'
                    ? constants.RSA_PKCS1_PSS_PADDING
                    : constants.RSA_PKCS1_PADDING,
              },
          signature,
        )
      } catch {
        valid = false
      }
      if (!valid)
        throw new IdentityError(
          'WEBEID_SIGNATURE_INVALID',
          'the token was not signed for this origin and challenge by this certificate',
        )
      // Only a token the card really signed costs an OCSP query (no amplification by forgeries).
      await checkStatus(entry, now)
      return entry.identity
    },
  }
}

interface ParsedToken {
  readonly format: string
  readonly algorithm: string
  readonly unverifiedCertificate: string
  readonly signature: string
}

function parseToken(token: unknown): ParsedToken {
  const malformed = (why: string): never => {
    throw new IdentityError('WEBEID_TOKEN_MALFORMED', `not a Web eID token: ${why}`)
  }
  if (typeof token !== 'object' || token === null || Array.isArray(token))
    return malformed('expected an object')
  const value = token as Record<string, unknown>
  for (const field of ['format', 'algorithm', 'unverifiedCertificate', 'signature'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') malformed(`${field} is missing`)
  }
  const parsed = value as unknown as ParsedToken
  if (!/^web-eid:1(\.\d+)?$/.test(parsed.format))
    throw new IdentityError(
      'WEBEID_FORMAT_UNSUPPORTED',
      `unsupported token format ${parsed.format.slice(0, 40)}`,
    )
  if (!Object.hasOwn(ALGORITHMS, parsed.algorithm)) malformed('unsupported algorithm')
  if (parsed.unverifiedCertificate.length > 8192) malformed('the certificate is too large')
  if (parsed.signature.length > 1024) malformed('the signature is too large')
  return parsed
}

function strictBase64(text: string, field: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0)
    throw new IdentityError('WEBEID_TOKEN_MALFORMED', `${field} is not base64`)
  return Buffer.from(text, 'base64')
}

function checkValidity(x509: X509Certificate, now: Date): void {
  if (now < x509.validFromDate)
    throw new IdentityError(
      'WEBEID_CERTIFICATE_NOT_YET_VALID',
      `${x509.subject.split('\n').pop()} is not yet valid`,
    )
  if (now > x509.validToDate)
    throw new IdentityError(
      'WEBEID_CERTIFICATE_EXPIRED',
      `${x509.subject.split('\n').pop()} has expired`,
    )
}

function checkPurpose(x509: X509Certificate, extensions: readonly Extension[]): void {
  const wrong = (why: string): never => {
    throw new IdentityError('WEBEID_CERTIFICATE_WRONG_PURPOSE', why)
  }
  if (x509.ca) wrong('a CA certificate cannot log in')
  if (!(x509.keyUsage ?? []).includes(CLIENT_AUTH))
    wrong('the certificate is not for client authentication')
  const extension = extensions.find((candidate) => candidate.extnID === id_ce_keyUsage)
  if (extension === undefined) wrong('the certificate has no key usage')
  const usage = AsnConvert.parse(extension?.extnValue.buffer as ArrayBuffer, KeyUsage)
  if ((usage.toNumber() & KeyUsageFlags.digitalSignature) === 0)
    wrong('the certificate key is not for digital signatures')
}

/** The certificate carries one of the CA's authentication policies (as Web eID's validator). */
function checkPolicies(extensions: readonly Extension[], accepted: readonly string[]): void {
  const extension = extensions.find((candidate) => candidate.extnID === id_ce_certificatePolicies)
  const policies =
    extension === undefined
      ? []
      : AsnConvert.parse(extension.extnValue.buffer as ArrayBuffer, CertificatePolicies).map(
          (policy) => policy.policyIdentifier,
        )
  if (!policies.some((policy) => accepted.includes(policy)))
    throw new IdentityError(
      'WEBEID_CERTIFICATE_WRONG_PURPOSE',
      'the certificate does not carry the authentication policy of its CA',
    )
}

function identityOf(der: Buffer, x509: X509Certificate): WebEidIdentity {
  const fields = new Map<string, string>()
  for (const line of x509.subject.split('\n')) {
    const at = line.indexOf('=')
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1))
  }
  const serialNumber = fields.get('serialNumber') ?? ''
  const match = /^PNO([A-Z]{2})-(.+)$/.exec(serialNumber)
  if (match === null)
    throw new IdentityError(
      'WEBEID_CERTIFICATE_WRONG_PURPOSE',
      'the certificate names no personal code',
    )
  return {
    country: match[1],
    personalCode: match[2],
    givenName: fields.get('GN') ?? '',
    surname: fields.get('SN') ?? '',
    certificate: der,
    serial: x509.serialNumber.toLowerCase(),
  }
}
