/**
 * What a validator trusts: the CAs whose certificates may sign (trust anchors), the OCSP
 * responders and the time-stamping authorities. e-state's own hierarchy by default; a trust file
 * or folder (`E_STATE_TRUST`, `--trust PATH`) names others — a real state's validator lists the
 * Estonian test or live CAs there, as SiVa takes them from the EU trusted lists.
 *
 * A folder holds `ca/`, `ocsp/` and `tsa/`, each with certificates (PEM, several per file
 * allowed, or DER). A JSON file says `{ "ca": [...], "ocsp": [...], "tsa": [...],
 * "qualified": [...] }`, each entry a path relative to the file or an inline PEM; `qualified`
 * lists the CAs whose QC certificates make qualified signatures (as a trusted list would).
 */
import { createHash, X509Certificate } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { SignatureError } from './errors.ts'

export interface TrustedCertificate {
  readonly der: Buffer
  readonly x509: X509Certificate
  /** SHA-256 of the DER, hex. */
  readonly fingerprint: string
}

export interface TrustList {
  /** Anchors for signing certificates (and, by delegation, for their OCSP responders). */
  readonly cas: readonly TrustedCertificate[]
  /** OCSP responders trusted directly, whoever issued their certificate. */
  readonly ocspResponders: readonly TrustedCertificate[]
  /** TSA certificates, or CAs whose time-stamping certificates are trusted. */
  readonly tsas: readonly TrustedCertificate[]
  /** Fingerprints of the CAs listed as issuing qualified certificates. */
  readonly qualified: ReadonlySet<string>
}

export function trustedCertificate(der: Buffer): TrustedCertificate {
  return {
    der,
    x509: new X509Certificate(der),
    fingerprint: createHash('sha256').update(der).digest('hex'),
  }
}

export function createTrustList(lists: {
  readonly cas: readonly Buffer[]
  readonly ocspResponders?: readonly Buffer[]
  readonly tsas?: readonly Buffer[]
  readonly qualified?: readonly Buffer[]
}): TrustList {
  return {
    cas: lists.cas.map(trustedCertificate),
    ocspResponders: (lists.ocspResponders ?? []).map(trustedCertificate),
    tsas: (lists.tsas ?? []).map(trustedCertificate),
    qualified: new Set((lists.qualified ?? []).map((der) => trustedCertificate(der).fingerprint)),
  }
}

/** Two lists as one (e-state's own plus a configured file, say). */
export function mergeTrustLists(a: TrustList, b: TrustList): TrustList {
  return {
    cas: [...a.cas, ...b.cas],
    ocspResponders: [...a.ocspResponders, ...b.ocspResponders],
    tsas: [...a.tsas, ...b.tsas],
    qualified: new Set([...a.qualified, ...b.qualified]),
  }
}

export function loadTrustList(path: string): TrustList {
  const fail = (why: string): never => {
    throw new SignatureError('TRUST_CONFIG', `trust configuration ${path}: ${why}`)
  }
  let isDirectory: boolean
  try {
    isDirectory = statSync(path).isDirectory()
  } catch {
    return fail('not found')
  }
  if (isDirectory) {
    const folder = (name: string) => {
      const directory = join(path, name)
      try {
        return readdirSync(directory)
          .filter((file) => /\.(pem|crt|cer|der)$/i.test(file))
          .sort()
          .flatMap((file) => certificatesIn(readFileSync(join(directory, file)), fail))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
        throw error
      }
    }
    const cas = folder('ca')
    if (cas.length === 0) fail('no CA certificate in ca/')
    return createTrustList({ cas, ocspResponders: folder('ocsp'), tsas: folder('tsa') })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return fail('neither a folder nor a JSON file')
  }
  const base = dirname(resolve(path))
  const entries = (key: string): Buffer[] => {
    const value = (parsed as Record<string, unknown>)[key] ?? []
    if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string'))
      return fail(`"${key}" must be a list of paths or PEM texts`)
    return (value as string[]).flatMap((entry) => {
      if (entry.includes('-----BEGIN')) return certificatesIn(Buffer.from(entry), fail)
      let bytes: Buffer
      try {
        bytes = readFileSync(resolve(base, entry))
      } catch {
        return fail(`cannot read ${entry}`)
      }
      return certificatesIn(bytes, fail)
    })
  }
  const cas = entries('ca')
  if (cas.length === 0) fail('"ca" lists no certificate')
  return createTrustList({
    cas,
    ocspResponders: entries('ocsp'),
    tsas: entries('tsa'),
    qualified: entries('qualified'),
  })
}

function certificatesIn(bytes: Buffer, fail: (why: string) => never): Buffer[] {
  const text = bytes.toString('latin1')
  const blocks = [
    ...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g),
  ]
  const ders = blocks.length > 0 ? blocks.map((block) => Buffer.from(block[1], 'base64')) : [bytes]
  for (const der of ders) {
    try {
      new X509Certificate(der)
    } catch {
      fail('a file holds something other than certificates')
    }
  }
  return ders
}
