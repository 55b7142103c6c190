/**
 * What validation needs to know of certificates: the signer's name as SiVa reports it (the
 * personal code in `serialNumber`), the key usages and qualified-certificate statements
 * (ETSI EN 319 412-5), and a path from a certificate to a trust anchor through the
 * certificates the container carries. Chains already checked are remembered by fingerprint.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import {
  Certificate,
  KeyUsage,
  KeyUsageFlags,
  id_ce_keyUsage,
  type Name,
} from '@peculiar/asn1-x509'
import { oidDer } from '../trust/index.ts'
import { reasonableKey } from './algorithms.ts'
import type { TrustedCertificate } from './trust-list.ts'

const QC_STATEMENTS = '1.3.6.1.5.5.7.1.3'
const QC_COMPLIANCE = '0.4.0.1862.1.1'
const QC_SSCD = '0.4.0.1862.1.4'
const QC_TYPE = '0.4.0.1862.1.6'
const QC_TYPE_ESEAL = '0.4.0.1862.1.6.2'

const NAMES: Record<string, string> = {
  '2.5.4.3': 'commonName',
  '2.5.4.4': 'surname',
  '2.5.4.42': 'givenName',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'countryName',
  '2.5.4.10': 'organizationName',
  '2.5.4.97': 'organizationIdentifier',
}

export interface CertificateFacts {
  readonly subject: Readonly<Record<string, string>>
  readonly nonRepudiation: boolean
  readonly qualified: boolean
  readonly secureDevice: boolean
  readonly seal: boolean
}

export function factsOf(der: Buffer): CertificateFacts {
  const tbs = AsnConvert.parse(der, Certificate).tbsCertificate
  const extensions = tbs.extensions ?? []
  const keyUsage = extensions.find((extension) => extension.extnID === id_ce_keyUsage)
  const usage =
    keyUsage === undefined ? 0 : AsnConvert.parse(keyUsage.extnValue.buffer, KeyUsage).toNumber()
  const qc = extensions.find((extension) => extension.extnID === QC_STATEMENTS)
  // QcStatements are matched by their OIDs' DER bytes: the statement bodies vary and are not needed.
  const qcBytes = qc === undefined ? Buffer.alloc(0) : Buffer.from(qc.extnValue.buffer)
  const has = (oid: string) => qcBytes.includes(oidDer(oid))
  const subject = nameFields(tbs.subject)
  return {
    subject,
    nonRepudiation: (usage & KeyUsageFlags.nonRepudiation) !== 0,
    qualified: has(QC_COMPLIANCE),
    secureDevice: has(QC_SSCD),
    seal:
      has(QC_TYPE_ESEAL) ||
      (!has(QC_TYPE) && subject.organizationIdentifier !== undefined && !subject.givenName),
  }
}

function nameFields(name: Name): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const rdn of name) {
    for (const attribute of rdn) {
      const field = NAMES[attribute.type]
      if (field !== undefined) fields[field] = attribute.value.toString()
    }
  }
  return fields
}

export type ChainResult =
  | { readonly ok: true; readonly anchor: TrustedCertificate; readonly path: X509Certificate[] }
  | { readonly ok: false; readonly why: string }

/**
 * Certificates seen again and again (the CAs, the TSA, the OCSP responder, a signer who signs
 * daily) parsed once: by their DER, bounded.
 */
export interface CertificateCache {
  x509(der: Buffer): X509Certificate
  facts(der: Buffer): CertificateFacts
}

export function createCertificateCache(limit = 2000): CertificateCache {
  const parsed = new Map<string, { x509: X509Certificate; facts?: CertificateFacts }>()
  const entry = (der: Buffer) => {
    const key = der.toString('base64')
    let found = parsed.get(key)
    if (found === undefined) {
      if (parsed.size >= limit) parsed.clear()
      found = { x509: new X509Certificate(der) }
      parsed.set(key, found)
    }
    return found
  }
  return {
    x509: (der) => entry(der).x509,
    facts: (der) => {
      const found = entry(der)
      found.facts ??= factsOf(der)
      return found.facts
    },
  }
}

export interface ChainBuilder {
  /** Whether `issuer` (a CA) signed `child`; remembered. */
  issuedBy(child: X509Certificate, issuer: X509Certificate): boolean
  /** A path from `certificate` through `pool` to one of `anchors`, valid at `at`. */
  build(
    certificate: X509Certificate,
    pool: readonly X509Certificate[],
    anchors: readonly TrustedCertificate[],
    at: Date,
  ): ChainResult
}

export function createChainBuilder(): ChainBuilder {
  // "child fingerprint > issuer fingerprint" → the signature verified (bounded memo).
  const verified = new Set<string>()
  const refused = new Set<string>()
  const issuedBy = (child: X509Certificate, issuer: X509Certificate) => {
    const key = `${child.fingerprint256}>${issuer.fingerprint256}`
    if (verified.has(key)) return true
    if (refused.has(key)) return false
    const ok =
      issuer.ca &&
      child.checkIssued(issuer) &&
      reasonableKey(issuer.publicKey) &&
      child.verify(issuer.publicKey)
    const memo = ok ? verified : refused
    if (memo.size > 10_000) memo.clear()
    memo.add(key)
    return ok
  }
  const validAt = (certificate: X509Certificate, at: Date) =>
    new Date(certificate.validFrom).getTime() <= at.getTime() &&
    at.getTime() <= new Date(certificate.validTo).getTime()

  return {
    issuedBy,
    build(certificate, pool, anchors, at) {
      let current = certificate
      const path = [certificate]
      for (let depth = 0; depth < 6; depth++) {
        const anchor = anchors.find((candidate) => issuedBy(current, candidate.x509))
        if (anchor !== undefined) {
          const expired = [...path, anchor.x509].find((member) => !validAt(member, at))
          if (expired !== undefined)
            return {
              ok: false,
              why: `${expired.subject.replace(/\n/g, ', ')} was not valid at ${at.toISOString()}`,
            }
          return { ok: true, anchor, path }
        }
        const next = pool.find(
          (candidate) =>
            !path.some((member) => member.fingerprint256 === candidate.fingerprint256) &&
            issuedBy(current, candidate),
        )
        if (next === undefined) break
        path.push(next)
        current = next
      }
      return { ok: false, why: 'no path to a trusted CA' }
    },
  }
}

export function sha(name: string, data: Uint8Array): Buffer {
  return createHash(name).update(data).digest()
}
