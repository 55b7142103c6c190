/**
 * The validation report, in the shape of the validation conclusion of Estonia's signature
 * validation service (SiVa: `validationReport.validationConclusion`), so that whoever reads SiVa
 * reports reads ours. Indications and sub-indications are ETSI EN 319 102-1's. Each error also
 * carries a stable `code` of ours beside SiVa's `content` text.
 */

export type Indication = 'TOTAL-PASSED' | 'TOTAL-FAILED' | 'INDETERMINATE'

export type SubIndication =
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'SIG_CONSTRAINTS_FAILURE'
  | 'REVOKED'
  | 'NOT_YET_VALID'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'REVOKED_NO_POE'
  | 'TRY_LATER'
  | 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE'

export interface ReportMessage {
  readonly content: string
  readonly code?: string
}

export interface SignatureScope {
  readonly name: string
  readonly scope: 'FullSignatureScope'
  readonly content: 'Full document'
  readonly hashAlgo: string
  readonly hash: string
}

export interface SignatureReport {
  readonly id: string
  readonly signatureFormat: string
  readonly signatureMethod: string
  readonly signatureLevel: string
  readonly signedBy: string
  readonly subjectDistinguishedName: {
    readonly serialNumber?: string
    readonly commonName?: string
    readonly givenName?: string
    readonly surname?: string
    readonly organizationIdentifier?: string
  }
  readonly indication: Indication
  readonly subIndication?: SubIndication
  readonly errors: ReportMessage[]
  readonly warnings: ReportMessage[]
  readonly claimedSigningTime: string
  readonly signatureScopes: SignatureScope[]
  readonly info: {
    readonly bestSignatureTime: string
    readonly timestampCreationTime?: string
    readonly ocspResponseCreationTime?: string
    readonly timeAssertionMessageImprint?: string
    readonly signerRole?: { readonly claimedRole: string }[]
    readonly signatureProductionPlace?: Readonly<Record<string, string>>
  }
}

export interface ValidationReport {
  readonly validationTime: string
  readonly signatureForm: 'ASiC-E'
  readonly signaturesCount: number
  readonly validSignaturesCount: number
  readonly documents: { readonly name: string; readonly mediaType: string; readonly size: number }[]
  readonly signatures: SignatureReport[]
  readonly validationWarnings: ReportMessage[]
  /** Set when the container itself was refused (unsafe or malformed): nothing was validated. */
  readonly refused?: ReportMessage
}

/** The CLI's exit code: 0 all passed (and at least one), 1 otherwise, 2 refused. */
export function exitCodeOf(report: ValidationReport): 0 | 1 | 2 {
  if (report.refused !== undefined) return 2
  return report.signaturesCount > 0 && report.validSignaturesCount === report.signaturesCount
    ? 0
    : 1
}
