/**
 * The exchange's tables, as Kysely types: agencies and their credentials, the central registry
 * (subsystems, gateways, groups, global configurations), members' keys, services, access rights
 * and the message log. Declaration merging adds them to storage's `Schema`.
 */
import type { Generated } from 'kysely'

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

export interface ExchangeTables {
  agencies: AgencyTable
  member_credentials: MemberCredentialTable
  exchange_subsystems: ExchangeSubsystemTable
  exchange_gateways: ExchangeGatewayTable
  exchange_groups: ExchangeGroupTable
  exchange_member_keys: ExchangeMemberKeyTable
  exchange_member_certificates: ExchangeMemberCertificateTable
  exchange_global_conf: ExchangeGlobalConfTable
  exchange_services: ExchangeServiceTable
  exchange_access_rights: ExchangeAccessRightTable
  exchange_message_log: ExchangeMessageLogTable
}

declare module '../storage/index.ts' {
  // Declaration merging: the whole database's `Schema` gains these tables.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Schema extends ExchangeTables {}
}
