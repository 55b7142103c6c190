/**
 * The state PKI's tables, as Kysely types: its authorities, every certificate issued, and the
 * letters queued for holders. Declaration merging adds them to storage's `Schema`.
 */
import type { Generated } from 'kysely'

export interface TrustAuthorityTable {
  name: string
  role: 'root' | 'issuing' | 'ocsp' | 'tsa'
  issuer: string | null
  certificate: Uint8Array
  /** PKCS#8, sealed with the envelope's `trust` data key. */
  private_key: Uint8Array
  /** 1 when generated at a development start: production refuses to run with it. */
  development: number
  crl_number: Generated<number>
  created_at: string
}

export interface CertificateTable {
  /** Lowercase hex, no leading zeros. */
  serial: string
  authority: string
  kind: 'auth' | 'sign' | 'eseal' | 'tls'
  /** The holder's personal code or registry code. */
  holder: string | null
  subject: string
  key_algorithm: string
  /** The production batch (e.g. the card series), for mass suspension. */
  batch: string | null
  not_before: string
  not_after: string
  status: 'good' | 'suspended' | 'revoked'
  status_changed_at: string | null
  /** RFC 5280 CRLReason of the last status change. */
  reason: number | null
  der: Uint8Array
  issued_at: string
}

/** Letters to residents (paper or the state mailbox), queued by acts that must tell them. */
export interface LetterTable {
  id: Generated<number>
  recipient: string
  subject: string
  body: string
  queued_at: string
  sent_at: string | null
}

export interface TrustTables {
  trust_authorities: TrustAuthorityTable
  certificates: CertificateTable
  letters: LetterTable
}

declare module '../storage/index.ts' {
  // Declaration merging: the whole database's `Schema` gains these tables.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Schema extends TrustTables {}
}
