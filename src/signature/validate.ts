/**
 * Validating an ASiC-E container, in the order the issue and ETSI EN 319 102-1 give:
 *
 *   1. the container (`openContainer`: structure, safe paths, bounded sizes) — refused whole;
 *   2. the XML (`parseXml`: no DTD, no entities) and the XAdES structure (`parseSignatureFile`);
 *   3. per signature: the signing certificate bound by SigningCertificate(V2), every reference
 *      digest, the signature value over SignedInfo with *that* certificate's key (a signature
 *      by another key — key substitution — fails here, whatever KeyInfo carries), non-repudiation;
 *   4. time: the signature time-stamp (B-T) or, for a BDOC 2.1 time-mark, the OCSP answer whose
 *      nonce is the signature value's hash;
 *   5. the chain to a trusted CA at the best signature time, and the embedded OCSP answer (B-LT):
 *      good, from an authorised responder, produced after the time-stamp.
 *
 * A cryptographic or format failure (TOTAL-FAILED) outranks an untrusted or unknown chain or
 * missing revocation data (INDETERMINATE). Digests of a document are computed once per
 * algorithm however many signatures cover it.
 */
import type { X509Certificate } from 'node:crypto'
import { createHash } from 'node:crypto'
import {
  checkOcspAnswer,
  childrenOf,
  inspectOcspResponse,
  oidText,
  readTlv,
} from '../trust/index.ts'
import {
  BDOC_POLICY,
  DIGEST_OIDS,
  DIGEST_URIS,
  SIGNATURE_URIS,
  verifySignatureValue,
} from './algorithms.ts'
import { canonicalize } from './c14n.ts'
import {
  createCertificateCache,
  createChainBuilder,
  type CertificateCache,
  type CertificateFacts,
} from './certificates.ts'
import { openContainer, type ContainerDocument, type ContainerLimits } from './container.ts'
import { SignatureError } from './errors.ts'
import type {
  Indication,
  ReportMessage,
  SignatureReport,
  SubIndication,
  ValidationReport,
} from './report.ts'
import { TimestampError, verifyTimestamp } from './timestamp.ts'
import type { TrustList } from './trust-list.ts'
import { parseSignatureFile, type ParsedSignature } from './xades.ts'

const OCSP_LATE_WARNING_MS = 15 * 60 * 1000
const OCSP_LATE_LIMIT_MS = 24 * 60 * 60 * 1000

export interface SignatureValidator {
  /** The report for `container`; `at` validates as of that time (old containers). */
  validate(
    container: Uint8Array,
    options?: { readonly at?: Date; readonly trust?: TrustList },
  ): ValidationReport
}

export function createSignatureValidator(options: {
  readonly trust: TrustList
  readonly now: () => Date
  readonly limits?: ContainerLimits
}): SignatureValidator {
  const chains = createChainBuilder()
  const certificates = createCertificateCache()
  return {
    validate(bytes, request = {}) {
      const at = request.at ?? options.now()
      const trust = request.trust ?? options.trust
      const base = {
        validationTime: at.toISOString(),
        signatureForm: 'ASiC-E' as const,
        validationWarnings: [] as ReportMessage[],
      }
      // A container refused before any signature is read: a report with nothing in it but why.
      const refused = (code: string, content: string): ValidationReport => ({
        ...base,
        signaturesCount: 0,
        validSignaturesCount: 0,
        documents: [],
        signatures: [],
        refused: { code, content },
      })
      let opened
      try {
        opened = openContainer(bytes, options.limits)
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error
        return refused(error.code, error.message)
      }
      const digests = documentDigests(opened.documents)
      const signatures: SignatureReport[] = []
      if (opened.signatures.length > 50)
        return refused('CONTAINER_TOO_LARGE', 'more than 50 signature files')
      for (const file of opened.signatures) {
        let parsed: ParsedSignature[]
        try {
          parsed = parseSignatureFile(file.name, file.xml)
        } catch (error) {
          if (!(error instanceof SignatureError)) throw error
          signatures.push(unreadable(file.name, error, at))
          continue
        }
        for (const signature of parsed) {
          try {
            signatures.push(
              validateSignature(signature, {
                documents: opened.documents,
                digests,
                trust,
                at,
                chains,
                certificates,
              }),
            )
          } catch (error) {
            // A certificate or token that cannot even be parsed: the signature fails as malformed.
            signatures.push(
              unreadable(
                `${file.name}#${signature.id}`,
                new SignatureError(
                  'XADES_MALFORMED',
                  `${signature.id}: unreadable content (${(error as Error).message})`,
                ),
                at,
              ),
            )
          }
        }
      }
      if (signatures.length === 0)
        base.validationWarnings.push({ content: 'the container holds no signature' })
      return {
        ...base,
        signaturesCount: signatures.length,
        validSignaturesCount: signatures.filter((s) => s.indication === 'TOTAL-PASSED').length,
        documents: opened.documents.map((document) => ({
          name: document.name,
          mediaType: document.mediaType,
          size: document.bytes.length,
        })),
        signatures,
      }
    },
  }
}

interface Context {
  readonly documents: readonly ContainerDocument[]
  readonly digests: (name: string, digest: string) => Buffer | undefined
  readonly trust: TrustList
  readonly at: Date
  readonly chains: ReturnType<typeof createChainBuilder>
  readonly certificates: CertificateCache
}

/** Findings in the order found; the verdict is the first failure, else the first doubt. */
class Findings {
  readonly errors: ReportMessage[] = []
  readonly warnings: ReportMessage[] = []
  private failed: SubIndication | undefined
  private doubt: SubIndication | undefined

  fail(subIndication: SubIndication, code: string, content: string): void {
    this.failed ??= subIndication
    this.errors.push({ code, content })
  }

  indeterminate(subIndication: SubIndication, code: string, content: string): void {
    this.doubt ??= subIndication
    this.errors.push({ code, content })
  }

  warn(content: string, code?: string): void {
    this.warnings.push(code === undefined ? { content } : { code, content })
  }

  verdict(): { indication: Indication; subIndication?: SubIndication } {
    if (this.failed !== undefined) return { indication: 'TOTAL-FAILED', subIndication: this.failed }
    if (this.doubt !== undefined) return { indication: 'INDETERMINATE', subIndication: this.doubt }
    return { indication: 'TOTAL-PASSED' }
  }
}

function validateSignature(signature: ParsedSignature, context: Context): SignatureReport {
  const findings = new Findings()
  const certificate = signingCertificateOf(signature, context.certificates, findings)
  checkReferences(signature, context, findings)
  checkSignatureValue(signature, certificate, findings)
  const facts = certificate === undefined ? undefined : context.certificates.facts(certificate.der)
  if (facts !== undefined && !facts.nonRepudiation)
    findings.fail(
      'SIG_CONSTRAINTS_FAILURE',
      'SIGNING_CERTIFICATE_USAGE',
      'the signing certificate is not for non-repudiation (digital signatures)',
    )
  const time = signatureTime(signature, context, findings)
  const pool = [...signature.keyInfoCertificates, ...signature.certificateValues].map((der) =>
    context.certificates.x509(der),
  )
  // A time-mark's OCSP answer is the signing time: the chain is built then (its validity proven
  // by checkRevocation below), so a certificate expired since does not void an old signature.
  const bestTime =
    time.timestamp ??
    (time.timeMark ? timeMarkTime(signature, pool, context) : undefined) ??
    context.at
  let issuer: X509Certificate | undefined
  let anchorFingerprint: string | undefined
  if (certificate !== undefined) {
    const chain = context.chains.build(certificate.x509, pool, context.trust.cas, bestTime)
    if (!chain.ok) {
      const notYet = new Date(certificate.x509.validFrom) > bestTime
      if (notYet)
        findings.fail(
          'NOT_YET_VALID',
          'CERTIFICATE_NOT_YET_VALID',
          'the signing certificate was not yet valid at signing time',
        )
      else if (new Date(certificate.x509.validTo) < bestTime)
        findings.indeterminate(
          'OUT_OF_BOUNDS_NO_POE',
          'CERTIFICATE_EXPIRED',
          `the signing certificate expired on ${new Date(certificate.x509.validTo).toISOString()}, before the best signature time ${bestTime.toISOString()} (no proof it existed earlier)`,
        )
      else
        findings.indeterminate(
          'NO_CERTIFICATE_CHAIN_FOUND',
          'CERTIFICATE_UNTRUSTED',
          `the signing certificate's chain is not trusted: ${chain.why}`,
        )
    } else {
      issuer = chain.path[1] ?? chain.anchor.x509
      anchorFingerprint = chain.anchor.fingerprint
    }
  }
  // Without a verified time-stamp or a time-mark nothing ties the signature, or an OCSP answer
  // pasted beside it, to a time: whether the certificate was good when it was made is unproven.
  const timed = time.timestamp !== undefined || time.timeMark
  if (!timed && signature.timestamps.length === 0)
    findings.indeterminate(
      'TRY_LATER',
      'SIGNATURE_TIME_UNPROVEN',
      'the signature has no time-stamp or time-mark: when it was made, and its certificate status then, are not proven',
    )
  const ocsp =
    certificate === undefined || issuer === undefined || !timed
      ? undefined
      : checkRevocation(signature, certificate, issuer, time, context, findings)
  const best = time.timestamp ?? ocsp?.producedAt ?? context.at
  if (signature.signingTime !== null && signature.signingTime.getTime() > best.getTime() + 300_000)
    findings.warn('the claimed signing time is later than the time-stamp', 'CLAIMED_TIME_LATE')
  if (signature.archiveTimestamps > 0)
    findings.warn('archive time-stamps (B-LTA) are not checked; the signature is validated as B-LT')
  return reportOf(signature, {
    findings,
    certificate,
    facts,
    best,
    time,
    ocsp,
    qualifiedCa: anchorFingerprint !== undefined && context.trust.qualified.has(anchorFingerprint),
  })
}

interface Certified {
  readonly der: Buffer
  readonly x509: X509Certificate
}

/** The certificate SignedProperties names (its digest), looked up among those carried. */
function signingCertificateOf(
  signature: ParsedSignature,
  cache: CertificateCache,
  findings: Findings,
): Certified | undefined {
  const carried = [...signature.keyInfoCertificates, ...signature.certificateValues]
  const reference = signature.signingCertificates[0]
  if (reference === undefined) {
    findings.fail(
      'FORMAT_FAILURE',
      'SIGNING_CERTIFICATE_MISSING',
      'SignedProperties names no signing certificate',
    )
    const first = signature.keyInfoCertificates[0]
    return first === undefined ? undefined : { der: first, x509: cache.x509(first) }
  }
  const digest = digestOf(reference.digestMethod, findings)
  if (digest === undefined) return undefined
  const bound = carried.find((der) =>
    createHash(digest).update(der).digest().equals(reference.digestValue),
  )
  if (bound !== undefined) return { der: bound, x509: cache.x509(bound) }
  const first = signature.keyInfoCertificates[0]
  if (first === undefined) {
    findings.indeterminate(
      'NO_SIGNING_CERTIFICATE_FOUND',
      'SIGNING_CERTIFICATE_MISSING',
      'the signing certificate is not in the signature',
    )
    return undefined
  }
  findings.fail(
    'FORMAT_FAILURE',
    'SIGNING_CERTIFICATE_MISMATCH',
    'the certificate in KeyInfo is not the one SignedProperties names (SigningCertificate digest)',
  )
  return { der: first, x509: cache.x509(first) }
}

/** The digest a method names, or a format failure recorded for an unsupported one. */
function digestOf(method: string, findings: Findings): string | undefined {
  const digest = DIGEST_URIS[method]
  if (digest === undefined)
    findings.fail('FORMAT_FAILURE', 'DIGEST_UNSUPPORTED', `unsupported digest ${method}`)
  return digest
}

function checkReferences(signature: ParsedSignature, context: Context, findings: Findings): void {
  const referenced = new Set<string>()
  for (const reference of signature.documentReferences) {
    const digest = digestOf(reference.digestMethod, findings)
    if (digest === undefined) continue
    if (digest === 'sha1') findings.warn(`${reference.uri} is digested with SHA-1`, 'WEAK_DIGEST')
    if (referenced.has(reference.uri)) {
      findings.fail('FORMAT_FAILURE', 'REFERENCE_DUPLICATE', `${reference.uri} is referenced twice`)
      continue
    }
    referenced.add(reference.uri)
    const actual = context.digests(reference.uri, digest)
    if (actual === undefined)
      findings.fail(
        'FORMAT_FAILURE',
        'REFERENCE_MISSING',
        `the signed file ${reference.uri} is not in the container`,
      )
    else if (!actual.equals(reference.digestValue))
      findings.fail(
        'HASH_FAILURE',
        'REFERENCE_DIGEST',
        `${reference.uri} has changed since it was signed`,
      )
  }
  for (const document of context.documents) {
    if (!referenced.has(document.name))
      findings.fail(
        'FORMAT_FAILURE',
        'DOCUMENT_NOT_SIGNED',
        `${document.name} is in the container but this signature does not cover it`,
      )
  }
  const properties = signature.propertiesReference
  const digest = digestOf(properties.digestMethod, findings)
  if (digest === undefined) return
  const algorithm =
    properties.transforms.at(-1) ?? 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'
  const canonical = canonicalize(signature.signedProperties, algorithm, { omitComments: true })
  if (!createHash(digest).update(canonical).digest().equals(properties.digestValue))
    findings.fail(
      'HASH_FAILURE',
      'SIGNED_PROPERTIES_DIGEST',
      'the signed properties have changed since signing',
    )
}

function checkSignatureValue(
  signature: ParsedSignature,
  certificate: Certified | undefined,
  findings: Findings,
): void {
  const method = SIGNATURE_URIS[signature.signatureMethod]
  if (method === undefined) {
    findings.fail(
      'FORMAT_FAILURE',
      'SIGNATURE_METHOD_UNSUPPORTED',
      `unsupported signature method ${signature.signatureMethod}`,
    )
    return
  }
  if (method.digest === 'sha1') findings.warn('the signature uses SHA-1', 'WEAK_DIGEST')
  if (certificate === undefined) return
  const signedInfo = canonicalize(signature.signedInfo, signature.canonicalization)
  if (
    !verifySignatureValue(
      method,
      Buffer.from(signedInfo, 'utf8'),
      certificate.x509.publicKey,
      signature.signatureValue,
    )
  )
    findings.fail(
      'SIG_CRYPTO_FAILURE',
      'SIGNATURE_VALUE',
      "the signature value does not verify with the signing certificate's key",
    )
}

interface SignatureTime {
  readonly timestamp?: Date
  readonly imprint?: string
  readonly timeMark: boolean
}

function signatureTime(
  signature: ParsedSignature,
  context: Context,
  findings: Findings,
): SignatureTime {
  const timeMark = signature.timestamps.length === 0 && signature.policy === BDOC_POLICY
  const stamp = signature.timestamps[0]
  if (stamp === undefined) return { timeMark }
  if (signature.timestamps.length > 1) findings.warn('only the first signature time-stamp is used')
  const stamped = Buffer.from(
    canonicalize(signature.signatureValueElement, stamp.canonicalization),
    'utf8',
  )
  try {
    const verified = verifyTimestamp(stamp.token, stamped, context.trust, {
      x509: context.certificates.x509,
      issuedBy: context.chains.issuedBy,
    })
    return {
      timeMark,
      timestamp: verified.genTime,
      imprint: createHash('sha256').update(stamped).digest('base64'),
    }
  } catch (error) {
    if (!(error instanceof TimestampError)) throw error
    const code = `TIMESTAMP_${error.failure}`
    const content = `signature time-stamp: ${error.message}`
    if (error.failure === 'UNTRUSTED')
      findings.indeterminate('NO_CERTIFICATE_CHAIN_FOUND', code, content)
    else
      findings.fail(error.failure === 'MALFORMED' ? 'FORMAT_FAILURE' : error.failure, code, content)
    return { timeMark }
  }
}

interface Revocation {
  readonly producedAt: Date
}

/** When the time-mark's OCSP answer was produced (its signature checked; its content later). */
function timeMarkTime(
  signature: ParsedSignature,
  pool: readonly X509Certificate[],
  context: Context,
): Date | undefined {
  const responders = [
    ...context.trust.ocspResponders.map((entry) => entry.der),
    ...pool.map((certificate) => certificate.raw),
  ]
  for (const der of signature.ocspValues) {
    try {
      return inspectOcspResponse(der, responders).producedAt
    } catch {
      // not readable or not signed by any of them: checkRevocation reports it
    }
  }
  return undefined
}

/**
 * The embedded OCSP answer about the signing certificate: signed by an authorised responder,
 * "good", produced after the time-stamp (not long after), or — for a time-mark — carrying the
 * signature value's hash as its nonce, which makes its production time the signing time.
 */
function checkRevocation(
  signature: ParsedSignature,
  certificate: Certified,
  issuer: X509Certificate,
  time: SignatureTime,
  context: Context,
  findings: Findings,
): Revocation | undefined {
  if (signature.ocspValues.length === 0) {
    findings.indeterminate(
      'TRY_LATER',
      'REVOCATION_MISSING',
      "the signature carries no OCSP answer (B-B or B-T): its certificate's status at signing time is not shown",
    )
    return undefined
  }
  const pinned = context.trust.ocspResponders.map((entry) => entry.der)
  let failure = 'no OCSP answer is about the signing certificate'
  for (const der of signature.ocspValues) {
    try {
      const inspected = inspectOcspResponse(der, [...pinned, issuer.raw])
      const answer = checkOcspAnswer(inspected, {
        certificate: certificate.der,
        issuer: issuer.raw,
        pinnedResponders: pinned,
        now: inspected.producedAt,
        maxAgeSeconds: 24 * 3600,
      })
      if (time.timeMark && !nonceIsSignatureHash(inspected.nonce, signature.signatureValue)) {
        findings.fail(
          'HASH_FAILURE',
          'TIME_MARK_NONCE',
          "the time-mark's OCSP nonce is not the hash of this signature value",
        )
        return { producedAt: answer.producedAt }
      }
      const stamped = time.timestamp
      if (stamped !== undefined) {
        const late = answer.producedAt.getTime() - stamped.getTime()
        if (late < -1000)
          findings.indeterminate(
            'TRY_LATER',
            'OCSP_BEFORE_TIMESTAMP',
            'the OCSP answer was produced before the time-stamp',
          )
        else if (late > OCSP_LATE_LIMIT_MS)
          findings.indeterminate(
            'TRY_LATER',
            'OCSP_TOO_LATE',
            'the OCSP answer was produced more than 24 hours after the time-stamp',
          )
        else if (late > OCSP_LATE_WARNING_MS)
          findings.warn('the OCSP answer was produced more than 15 minutes after the time-stamp')
      }
      if (answer.status === 'revoked') {
        const best = stamped ?? answer.producedAt
        if ((answer.revokedAt?.getTime() ?? 0) <= best.getTime())
          findings.fail(
            'REVOKED',
            'CERTIFICATE_REVOKED',
            'the signing certificate was revoked or suspended at signing time',
          )
        else
          findings.indeterminate(
            'REVOKED_NO_POE',
            'CERTIFICATE_REVOKED',
            'the signing certificate has been revoked',
          )
      } else if (answer.status === 'unknown')
        findings.indeterminate(
          'TRY_LATER',
          'CERTIFICATE_STATUS_UNKNOWN',
          'the OCSP responder does not know the signing certificate',
        )
      return { producedAt: answer.producedAt }
    } catch (error) {
      failure = (error as Error).message
    }
  }
  findings.indeterminate('TRY_LATER', 'OCSP_INVALID', failure)
  return undefined
}

/**
 * BDOC 2.1 §6.1 time-mark: the nonce is a DigestInfo (hash algorithm, hash of the signature
 * value), sent as the nonce extension's OCTET STRING — or, by some clients, bare.
 */
function nonceIsSignatureHash(nonce: Buffer | undefined, signatureValue: Buffer): boolean {
  if (nonce === undefined) return false
  try {
    let bytes = nonce
    let outer = readTlv(bytes, 0)
    if (outer.tag === 0x04) {
      bytes = bytes.subarray(outer.contentStart, outer.end)
      outer = readTlv(bytes, 0)
    }
    const [algorithm, hash] = childrenOf(bytes, outer)
    const oidTlv = childrenOf(bytes, algorithm)[0]
    const oid = oidText(bytes.subarray(oidTlv.contentStart, oidTlv.end))
    const digest = DIGEST_OIDS[oid]
    return (
      digest !== undefined &&
      hash.tag === 0x04 &&
      createHash(digest)
        .update(signatureValue)
        .digest()
        .equals(bytes.subarray(hash.contentStart, hash.end))
    )
  } catch {
    return false
  }
}

function reportOf(
  signature: ParsedSignature,
  outcome: {
    findings: Findings
    certificate: Certified | undefined
    facts: CertificateFacts | undefined
    best: Date
    time: SignatureTime
    ocsp: Revocation | undefined
    qualifiedCa: boolean
  },
): SignatureReport {
  const { findings, facts, time, ocsp } = outcome
  const subject = facts?.subject ?? {}
  const lt = ocsp !== undefined || signature.ocspValues.length > 0
  const format = time.timeMark
    ? 'XAdES_BASELINE_LT_TM'
    : signature.archiveTimestamps > 0
      ? 'XAdES_BASELINE_LTA'
      : signature.timestamps.length > 0
        ? lt
          ? 'XAdES_BASELINE_LT'
          : 'XAdES_BASELINE_T'
        : 'XAdES_BASELINE_B'
  const verdict = findings.verdict()
  return {
    id: signature.id,
    signatureFormat: format,
    signatureMethod: signature.signatureMethod,
    signatureLevel: levelOf(facts, outcome.qualifiedCa, verdict.indication),
    signedBy: subject.commonName ?? '',
    subjectDistinguishedName: {
      ...(subject.serialNumber === undefined ? {} : { serialNumber: subject.serialNumber }),
      ...(subject.commonName === undefined ? {} : { commonName: subject.commonName }),
      ...(subject.givenName === undefined ? {} : { givenName: subject.givenName }),
      ...(subject.surname === undefined ? {} : { surname: subject.surname }),
      ...(subject.organizationIdentifier === undefined
        ? {}
        : { organizationIdentifier: subject.organizationIdentifier }),
    },
    ...verdict,
    errors: findings.errors,
    warnings: findings.warnings,
    claimedSigningTime: signature.signingTime?.toISOString() ?? '',
    signatureScopes: signature.documentReferences.map((reference) => ({
      name: reference.uri,
      scope: 'FullSignatureScope' as const,
      content: 'Full document' as const,
      hashAlgo: (DIGEST_URIS[reference.digestMethod] ?? reference.digestMethod).toUpperCase(),
      hash: reference.digestValue.toString('base64'),
    })),
    info: {
      bestSignatureTime: outcome.best.toISOString(),
      ...(time.timestamp === undefined
        ? {}
        : {
            timestampCreationTime: time.timestamp.toISOString(),
            timeAssertionMessageImprint: time.imprint,
          }),
      ...(ocsp === undefined ? {} : { ocspResponseCreationTime: ocsp.producedAt.toISOString() }),
      ...(signature.claimedRoles.length === 0
        ? {}
        : { signerRole: signature.claimedRoles.map((claimedRole) => ({ claimedRole })) }),
      ...(signature.productionPlace === null
        ? {}
        : { signatureProductionPlace: signature.productionPlace }),
    },
  }
}

/** SiVa's signature levels: qualified only with a QC, a secure device and a CA listed as qualified. */
function levelOf(
  facts: CertificateFacts | undefined,
  qualifiedCa: boolean,
  indication: Indication,
): string {
  if (facts === undefined || indication === 'TOTAL-FAILED') return 'NOT_ADES'
  const kind = facts.seal ? 'SEAL' : 'SIG'
  if (qualifiedCa && facts.qualified && facts.secureDevice) return `QE${kind}`
  if (qualifiedCa && facts.qualified) return `ADE${kind}_QC`
  return `ADE${kind}`
}

/** A signatures file whose XML or XAdES structure cannot be used: one failed entry for it. */
function unreadable(name: string, error: SignatureError, at: Date): SignatureReport {
  return {
    id: name,
    signatureFormat: 'XAdES',
    signatureMethod: '',
    signatureLevel: 'NOT_ADES',
    signedBy: '',
    subjectDistinguishedName: {},
    indication: 'TOTAL-FAILED',
    subIndication: 'FORMAT_FAILURE',
    errors: [{ code: error.code, content: error.message }],
    warnings: [],
    claimedSigningTime: '',
    signatureScopes: [],
    info: { bestSignatureTime: at.toISOString() },
  }
}

/** Each document's digest by algorithm, computed on first use (two signatures hash it once). */
function documentDigests(documents: readonly ContainerDocument[]) {
  const byName = new Map(documents.map((document) => [document.name, document]))
  const cache = new Map<string, Buffer>()
  return (name: string, digest: string): Buffer | undefined => {
    const document = byName.get(name)
    if (document === undefined) return undefined
    const key = `${digest}\n${name}`
    let value = cache.get(key)
    if (value === undefined) {
      value = createHash(digest).update(document.bytes).digest()
      cache.set(key, value)
    }
    return value
  }
}
