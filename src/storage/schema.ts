/**
 * The one SQL schema, as Kysely types. Dates are ISO text (`YYYY-MM-DD`), instants ISO text in
 * UTC, booleans integers 0/1, binary `Uint8Array` (BLOB on SQLite, bytea on PostgreSQL): the same
 * values on both engines.
 *
 * Personal tables (listed in `PERSONAL_TABLES`) are read only through the registries' access
 * gate; on PostgreSQL the application role has no privilege on them at all.
 */
import type { Generated } from 'kysely'

export interface CountryTable {
  id: number
  name: string
  instance: string
  profile: string
  seed: string
  population: number
  status: 'seeding' | 'complete'
  snapshot_hash: string | null
  started_at: string
  completed_at: string | null
}

export interface DataKeyTable {
  id: Generated<number>
  agency: string
  version: number
  master_key_id: string
  wrapped: Uint8Array
  created_at: string
}

export interface AgencyTable {
  registry_code: string
  member_id: string
  name: string
  short_name: string
  subsystem: string
  /** Comma-separated registry names this agency keeps. */
  registries: string
  /** Comma-separated registry names kept by others that this agency may read. */
  reads: string
}

export interface MemberCredentialTable {
  id: Generated<number>
  member_id: string
  key_id: string
  secret_hash: string
  created_at: string
  revoked_at: string | null
}

export interface OfficialTable {
  personal_code: string
  agency_code: string
  role: string
  since: string
}

export interface CountyTable {
  code: string
  name: string
}

export interface MunicipalityTable {
  code: string
  county_code: string
  name: string
  kind: 'city' | 'rural'
}

export interface SettlementTable {
  code: string
  municipality_code: string
  name: string
  kind: 'city' | 'town' | 'small town' | 'village'
}

export interface StreetTable {
  code: string
  settlement_code: string
  name: string
}

export interface BuildingTable {
  code: string
  settlement_code: string
  street_code: string | null
  house_number: string
  postal_code: string
  dwellings: number
}

export interface PersonTable {
  personal_code: string
  first_name: string
  last_name: string
  sex: 'male' | 'female'
  birth_date: string
  citizenship: string
  native_language: string
  status: 'alive' | 'deceased'
  death_date: string | null
  residence_building: string | null
  residence_apartment: number | null
  contact_email: string | null
  contact_phone: string | null
  spouse_code: string | null
  mother_code: string | null
  father_code: string | null
  household_id: number
}

export interface VitalEventTable {
  id: Generated<number>
  kind: 'birth' | 'marriage' | 'divorce' | 'death'
  event_date: string
  personal_code: string
  other_code: string | null
  municipality_code: string | null
}

export interface CompanyTable {
  registry_code: string
  name: string
  legal_form: string
  status: 'registered' | 'in liquidation' | 'deleted'
  founded_on: string
  building_code: string | null
  activity_code: string
  email: string | null
}

export interface CompanyPersonTable {
  registry_code: string
  personal_code: string
  role: 'founder' | 'board member' | 'shareholder'
  share_percent: number | null
  since: string
}

export interface VehicleTable {
  plate: string
  vin: string
  make: string
  model: string
  category: string
  first_registered: string
  owner_code: string
  owner_kind: 'person' | 'company'
  user_code: string | null
  inspection_valid_until: string | null
  insurance_valid_until: string | null
  status: 'registered' | 'deregistered'
}

export interface DrivingLicenceTable {
  licence_number: string
  personal_code: string
  categories: string
  issued_on: string
  valid_until: string
  status: 'valid' | 'expired' | 'revoked'
}

export interface EmploymentTable {
  id: Generated<number>
  personal_code: string
  employer_code: string
  position: string
  started_on: string
  ended_on: string | null
}

export interface IncomeTable {
  personal_code: string
  employer_code: string
  year: number
  /** Envelope-encrypted JSON: twelve `{ gross, incomeTax }` in cents, `null` for no pay. */
  months: Uint8Array
}

export interface HealthInsuranceTable {
  personal_code: string
  /** Envelope-encrypted JSON: `{ insured, basis, validFrom, validUntil }`. */
  coverage: Uint8Array
}

export interface AccessRecordTable {
  id: Generated<number>
  recorded_at: string
  subject_code: string
  actor_code: string
  actor_name: string
  client_id: string
  agency_code: string
  registry: string
  data: string
  purpose: string
  covert_until: string | null
  salt: Uint8Array
}

export interface RegistryChangeTable {
  id: Generated<number>
  recorded_at: string
  registry: string
  record_id: string
  agency_code: string
  actor_code: string
  client_id: string
  purpose: string
  /** JSON of the fields as they were set. */
  change: string
  salt: Uint8Array
}

export interface LedgerOutboxTable {
  id: Generated<number>
  /** A kind declared by the module that records it (`ledgerKinds`). */
  kind: string
  ref_id: number
  recorded_at: string
  /** The entry as it will go into the public log: a commitment, never readable personal data. */
  entry: Uint8Array
}

export interface LedgerEntryTable {
  idx: number
  kind: string
  entry: Uint8Array
  leaf_hash: Uint8Array
  appended_at: string
  /** The row this entry commits to (access record, registry change), when there is one. */
  ref_id: number | null
}

/** The hash of leaves [idx·256^level, (idx+1)·256^level), for level ≥ 1. */
export interface LedgerTileHashTable {
  level: number
  idx: number
  hash: Uint8Array
}

export interface LedgerCheckpointTable {
  size: number
  root_hash: Uint8Array
  /** The note signed by the log alone. */
  note: string
  signed_at: string
  /** The note with the witnesses' cosignatures: what /ledger/checkpoint serves once set. */
  cosigned_note: string | null
  published_at: string | null
}

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

export interface AuthChallengeTable {
  nonce: string
  expires_at: string
}

export interface SessionTable {
  /** SHA-256 of the session id; the id itself lives only in the browser's cookie. */
  id_hash: string
  personal_code: string
  given_name: string
  surname: string
  /** How the person proved who they are: `web-eid`, `passkey`. */
  method: string
  created_at: string
  last_seen_at: string
  expires_at: string
  ended_at: string | null
}

export interface OidcPayloadTable {
  model: string
  id: string
  /** JSON of the provider's object. */
  payload: string
  expires_at: string | null
  grant_id: string | null
  uid: string | null
  user_code: string | null
  consumed_at: string | null
}

export interface PasskeyTable {
  /** The credential id, base64url. */
  id: string
  personal_code: string
  given_name: string
  surname: string
  /** COSE public key. */
  public_key: Uint8Array
  counter: number
  transports: string
  created_at: string
  last_used_at: string | null
}

export interface ExchangeSubsystemTable {
  subsystem_id: string
  member_id: string
  /** 'body' | 'metadata' | 'off': what the message log keeps of this subsystem's messages. */
  body_logging: string
  created_at: string
}

export interface ExchangeGatewayTable {
  gateway_id: string
  member_id: string
  address: string
  /** The TLS certificate other gateways pin; none for the in-process gateway. */
  tls_certificate: Uint8Array | null
  /** Comma-separated member ids whose services this gateway provides. */
  serves: string
  created_at: string
}

export interface ExchangeGroupTable {
  group_code: string
  subsystem_id: string
}

export interface ExchangeMemberKeyTable {
  member_id: string
  certificate: Uint8Array
  /** The private key, sealed by the envelope (the trust agency's data key). */
  private_key: Uint8Array
  created_at: string
}

export interface ExchangeMemberCertificateTable {
  member_id: string
  certificate: Uint8Array
  added_at: string
}

export interface ExchangeGlobalConfTable {
  version: number
  signed: string
  generated_at: string
  expires_at: string
}

export interface ExchangeServiceTable {
  service_id: string
  subsystem_id: string
  service_code: string
  /** `internal:<name>` (served in this process) or an http(s) URL. */
  backend: string
  openapi: string | null
  timeout_ms: number
  created_at: string
}

export interface ExchangeAccessRightTable {
  id: Generated<number>
  service_id: string
  client: string
  method: string
  path: string
  granted_at: string
  granted_by: string
}

export interface ExchangeMessageLogTable {
  id: Generated<number>
  side: string
  message_id: string
  client: string
  service: string
  method: string
  path: string
  user_id: string | null
  request_hash: string | null
  request_signature: string | null
  response_signature: string | null
  /** The bytes each signature covers, sealed (they name the path, query and headers). */
  request_signed: Uint8Array | null
  response_signed: Uint8Array | null
  status: number
  error_type: string | null
  request_size: number
  response_size: number
  request_body: Uint8Array | null
  response_body: Uint8Array | null
  started_at: string
  duration_ms: number
  /** SHA-256 (hex) of the record's metadata and signatures: what the ledger anchors. */
  commitment: string
}

/** The site's one row: the fencing generation and the replication mode (`cloud/`). */
export interface CloudSiteTable {
  id: number
  generation: number
  replication_mode: 'synchronous' | 'degraded'
  mode_changed_at: string
  fenced_at: string | null
}

export interface CloudSiteEventTable {
  at: string
  generation: number
  event: string
  detail: string
}

/** One row per act, by idempotency key: a retried act finds it and is not applied twice. */
export interface CloudActTable {
  act_key: string
  generation: number
  created_at: string
}

/** An HTTP act's idempotency key and, once it finished, the answer to replay. */
export interface IdempotentRequestTable {
  identity: string
  idempotency_key: string
  fingerprint: string
  state: 'started' | 'done'
  status: number | null
  content_type: string | null
  body: Uint8Array | null
  created_at: string
}

export interface Schema {
  country: CountryTable
  data_keys: DataKeyTable
  agencies: AgencyTable
  member_credentials: MemberCredentialTable
  officials: OfficialTable
  counties: CountyTable
  municipalities: MunicipalityTable
  settlements: SettlementTable
  streets: StreetTable
  buildings: BuildingTable
  persons: PersonTable
  vital_events: VitalEventTable
  companies: CompanyTable
  company_people: CompanyPersonTable
  vehicles: VehicleTable
  driving_licences: DrivingLicenceTable
  employments: EmploymentTable
  incomes: IncomeTable
  health_insurance: HealthInsuranceTable
  access_records: AccessRecordTable
  registry_changes: RegistryChangeTable
  ledger_outbox: LedgerOutboxTable
  ledger_entries: LedgerEntryTable
  ledger_checkpoints: LedgerCheckpointTable
  ledger_tile_hashes: LedgerTileHashTable
  trust_authorities: TrustAuthorityTable
  exchange_subsystems: ExchangeSubsystemTable
  exchange_gateways: ExchangeGatewayTable
  exchange_groups: ExchangeGroupTable
  exchange_member_keys: ExchangeMemberKeyTable
  exchange_member_certificates: ExchangeMemberCertificateTable
  exchange_global_conf: ExchangeGlobalConfTable
  exchange_services: ExchangeServiceTable
  exchange_access_rights: ExchangeAccessRightTable
  exchange_message_log: ExchangeMessageLogTable
  certificates: CertificateTable
  letters: LetterTable
  auth_challenges: AuthChallengeTable
  sessions: SessionTable
  oidc_payloads: OidcPayloadTable
  passkeys: PasskeyTable
  cloud_site: CloudSiteTable
  cloud_site_events: CloudSiteEventTable
  cloud_acts: CloudActTable
  idempotent_requests: IdempotentRequestTable
}

/** Tables holding personal data: readable only through the access gate. */
export const PERSONAL_TABLES = [
  'persons',
  'vital_events',
  'company_people',
  'vehicles',
  'driving_licences',
  'employments',
  'incomes',
  'health_insurance',
  'access_records',
  'registry_changes',
] as const satisfies readonly (keyof Schema)[]
