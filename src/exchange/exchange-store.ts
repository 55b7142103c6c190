/**
 * The exchange's records: the central registry (subsystems, gateways, groups, the signed global
 * configurations) and a gateway's own (its members' signing keys, the services it provides and
 * their access rights, the message log). One store serves both roles in one node; a standalone
 * gateway keeps only its own part.
 *
 * `bootstrapExchange` brings a node's exchange in line with its agencies on every start:
 * each agency's subsystem, an e-seal signing key per member (issued by the state PKI, the key
 * sealed at rest), the registries each agency keeps published as its services, the reads the
 * country profile grants turned into access rights, and the central server's signing key.
 */
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Envelope } from '../crypto/index.ts'
import { ledgerRecorder } from '../ledger/index.ts'
import type { Clock } from '../shared/index.ts'
import type { Schema } from '../storage/index.ts'
import { keySigner, OID, TRUST_AGENCY, type Signer, type StatePki } from '../trust/index.ts'
import type { AccessRight } from './access-rights.ts'
import type { ServiceRecord } from './gateway.ts'
import type { ProvidedService } from './metaservices.ts'
import {
  certificatePin,
  signGlobalConfiguration,
  type GlobalConfiguration,
  type SignedGlobalConfiguration,
} from './global-conf.ts'

/** The member id the central server's configuration-signing key is kept under. */
export const CENTRAL_KEY = '#central'
export const IN_PROCESS = 'in-process:'
const CONFIGURATION_HOURS = 24

export interface ExchangeBootstrap {
  readonly db: Kysely<Schema>
  readonly envelope: Envelope
  readonly pki: StatePki
  readonly clock: Clock
  readonly instance: string
  /** This node's gateway id (the in-process gateway serving every local member). */
  readonly gatewayId: string
  /** Where other gateways download the configuration (this node's public URL, mirrors). */
  readonly sources: readonly string[]
  /**
   * Where other gateways reach this node's gateway over mutual TLS (`https://host:port`), when
   * it listens for them; otherwise it is reachable in process only.
   */
  readonly gatewayAddress?: string
}

/** The key id this node's gateway TLS key is kept under, beside the members' signing keys. */
export const gatewayTlsKeyId = (gatewayId: string): string => `#tls:${gatewayId}`

export interface MemberKey {
  readonly signer: Pick<Signer, 'sign'>
  readonly certificate: Buffer
}

export async function bootstrapExchange(options: ExchangeBootstrap): Promise<void> {
  const { db, clock } = options
  const now = clock.now().toISOString()
  const agencies = await db.selectFrom('agencies').selectAll().orderBy('member_id').execute()
  for (const agency of agencies) {
    const subsystem = `${agency.member_id}/${agency.subsystem}`
    await db
      .insertInto('exchange_subsystems')
      .values({
        subsystem_id: subsystem,
        member_id: agency.member_id,
        body_logging: 'body',
        created_at: now,
      })
      .onConflict((conflict) => conflict.column('subsystem_id').doNothing())
      .execute()
    await ensureMemberKey(options, agency.member_id, agency.name, agency.registry_code)
    for (const registry of list(agency.registries)) {
      await db
        .insertInto('exchange_services')
        .values({
          service_id: `${subsystem}/${registry}`,
          subsystem_id: subsystem,
          service_code: registry,
          backend: `internal:registries/${registry}`,
          openapi: null,
          timeout_ms: 30_000,
          created_at: now,
        })
        .onConflict((conflict) => conflict.column('service_id').doNothing())
        .execute()
    }
  }
  // The profile's reads become access rights on the keeper's service, and a keeper may call its
  // own (each once: the first start; later changes are the providers' own).
  const granted = await db.selectFrom('exchange_access_rights').select('id').limit(1).execute()
  if (granted.length === 0) {
    const grant = (keeper: (typeof agencies)[number], registry: string, client: string) =>
      db
        .insertInto('exchange_access_rights')
        .values({
          service_id: `${keeper.member_id}/${keeper.subsystem}/${registry}`,
          client,
          method: '*',
          path: '/**',
          granted_at: now,
          granted_by: 'country profile',
        })
        .onConflict((conflict) =>
          conflict.columns(['service_id', 'client', 'method', 'path']).doNothing(),
        )
        .execute()
    for (const agency of agencies) {
      const client = `${agency.member_id}/${agency.subsystem}`
      for (const registry of list(agency.registries)) await grant(agency, registry, client)
      for (const registry of list(agency.reads)) {
        const keeper = agencies.find((other) => list(other.registries).includes(registry))
        if (keeper !== undefined) await grant(keeper, registry, client)
      }
    }
  }
  await ensureMemberKey(options, CENTRAL_KEY, 'Global configuration signing', 'central')
  const address = options.gatewayAddress ?? IN_PROCESS
  const tlsCertificate =
    options.gatewayAddress === undefined
      ? null
      : await ensureGatewayTls(options, new URL(options.gatewayAddress).hostname)
  const serves = agencies.map((agency) => agency.member_id).join(',')
  await db
    .insertInto('exchange_gateways')
    .values({
      gateway_id: options.gatewayId,
      member_id: agencies[0]?.member_id ?? CENTRAL_KEY,
      address,
      tls_certificate: tlsCertificate,
      serves,
      created_at: now,
    })
    .onConflict((conflict) =>
      conflict
        .column('gateway_id')
        .doUpdateSet({ serves, address, tls_certificate: tlsCertificate }),
    )
    .execute()
}

/**
 * This node's gateway TLS key and certificate from the state's TLS CA, made on first need (and
 * again when the host name changes), sealed at rest beside the members' signing keys.
 */
async function ensureGatewayTls(options: ExchangeBootstrap, host: string): Promise<Buffer> {
  const id = gatewayTlsKeyId(options.gatewayId)
  const existing = await options.db
    .selectFrom('exchange_member_keys')
    .select('certificate')
    .where('member_id', '=', id)
    .executeTakeFirst()
  if (existing !== undefined) {
    const certificate = new X509Certificate(Buffer.from(existing.certificate))
    const fresh = Date.parse(certificate.validTo) - options.clock.now().getTime() > 30 * 86_400_000
    if (fresh && certificate.checkHost(host) !== undefined) return Buffer.from(existing.certificate)
  }
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const issued = await options.pki.issue({
    kind: 'tls',
    holder: options.gatewayId,
    publicKey: pair.publicKey,
    subject: [
      [OID.countryName, options.instance],
      [OID.commonName, host],
    ],
    dnsNames: [host],
  })
  const sealed = options.envelope.encrypt(
    TRUST_AGENCY,
    pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
    `exchange-key:${id}`,
  )
  await options.db
    .insertInto('exchange_member_keys')
    .values({
      member_id: id,
      certificate: issued.der,
      private_key: sealed,
      created_at: options.clock.now().toISOString(),
    })
    .onConflict((conflict) =>
      conflict.column('member_id').doUpdateSet({ certificate: issued.der, private_key: sealed }),
    )
    .execute()
  return issued.der
}

/** A member's signing key, made and certified on first need, sealed at rest. */
async function ensureMemberKey(
  options: ExchangeBootstrap,
  member: string,
  name: string,
  code: string,
): Promise<void> {
  const existing = await options.db
    .selectFrom('exchange_member_keys')
    .select('member_id')
    .where('member_id', '=', member)
    .executeTakeFirst()
  if (existing !== undefined) return
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const issued = await options.pki.issue({
    kind: 'eseal',
    holder: member,
    publicKey: pair.publicKey,
    subject: [
      [OID.countryName, options.instance],
      [OID.organizationName, name],
      [OID.organizationIdentifier, `NTR${options.instance}-${code}`],
      [OID.commonName, `${name} (exchange signing)`],
    ],
  })
  await options.db
    .insertInto('exchange_member_keys')
    .values({
      member_id: member,
      certificate: issued.der,
      private_key: options.envelope.encrypt(
        TRUST_AGENCY,
        pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
        `exchange-key:${member}`,
      ),
      created_at: options.clock.now().toISOString(),
    })
    .onConflict((conflict) => conflict.column('member_id').doNothing())
    .execute()
}

/** The members' keys, unsealed once (a gateway signs every message with them). */
export async function loadMemberKeys(
  db: Kysely<Schema>,
  envelope: Envelope,
): Promise<Map<string, MemberKey & { key: KeyObject }>> {
  const rows = await db.selectFrom('exchange_member_keys').selectAll().execute()
  return new Map(
    rows.map((row) => {
      const key = createPrivateKey({
        key: envelope.decrypt(row.private_key, `exchange-key:${row.member_id}`),
        format: 'der',
        type: 'pkcs8',
      })
      return [
        row.member_id,
        { key, signer: keySigner(key), certificate: Buffer.from(row.certificate) },
      ]
    }),
  )
}

/**
 * Builds the configuration from the registry and signs it as a new version when anything
 * changed or the newest is past half its validity; returns the newest signed version.
 */
export async function publishGlobalConfiguration(
  options: Pick<ExchangeBootstrap, 'db' | 'clock' | 'instance' | 'sources' | 'gatewayId'>,
  central: MemberKey & { key: KeyObject },
): Promise<SignedGlobalConfiguration> {
  const { db, clock } = options
  const now = clock.now()
  const [agencies, subsystems, gateways, groups, keys, certificates, newest] = await Promise.all([
    db.selectFrom('agencies').select(['member_id', 'name']).orderBy('member_id').execute(),
    db.selectFrom('exchange_subsystems').selectAll().orderBy('subsystem_id').execute(),
    db.selectFrom('exchange_gateways').selectAll().orderBy('gateway_id').execute(),
    db
      .selectFrom('exchange_groups')
      .selectAll()
      .orderBy('group_code')
      .orderBy('subsystem_id')
      .execute(),
    db.selectFrom('exchange_member_keys').select(['member_id', 'certificate']).execute(),
    db.selectFrom('exchange_member_certificates').select(['member_id', 'certificate']).execute(),
    db
      .selectFrom('exchange_global_conf')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst(),
  ])
  const content = {
    instance: options.instance,
    sources: [...options.sources],
    members: agencies.map((agency) => ({
      id: agency.member_id,
      name: agency.name,
      signingCertificates: [...keys, ...certificates]
        .filter((key) => key.member_id === agency.member_id)
        .map((key) => Buffer.from(key.certificate).toString('base64')),
    })),
    subsystems: subsystems.map((row) => ({ id: row.subsystem_id, member: row.member_id })),
    gateways: gateways.map((row) => {
      // A member moved to a gateway of its own is served there, not by this node's.
      const elsewhere = new Set(
        gateways
          .filter((other) => other.gateway_id !== options.gatewayId)
          .flatMap((other) => other.serves.split(',')),
      )
      return {
        id: row.gateway_id,
        member: row.member_id,
        address: row.address,
        tlsCertificateSha256:
          row.tls_certificate === null ? '' : certificatePin(Buffer.from(row.tls_certificate)),
        serves: row.serves
          .split(',')
          .filter(
            (member) =>
              member !== '' && (row.gateway_id !== options.gatewayId || !elsewhere.has(member)),
          ),
      }
    }),
    groups: [...new Set(groups.map((row) => row.group_code))].map((code) => ({
      code,
      members: groups.filter((row) => row.group_code === code).map((row) => row.subsystem_id),
    })),
    trustAnchors: [] as string[],
  }
  if (newest !== undefined) {
    const held = JSON.parse(
      Buffer.from(
        (JSON.parse(newest.signed) as SignedGlobalConfiguration).configuration,
        'base64',
      ).toString('utf8'),
    ) as GlobalConfiguration
    const heldContent = {
      instance: held.instance,
      sources: held.sources,
      members: held.members,
      subsystems: held.subsystems,
      gateways: held.gateways,
      groups: held.groups,
      trustAnchors: held.trustAnchors,
    }
    const fresh =
      Date.parse(newest.expires_at) - now.getTime() > (CONFIGURATION_HOURS / 2) * 3_600_000
    if (fresh && JSON.stringify(heldContent) === JSON.stringify(content))
      return JSON.parse(newest.signed) as SignedGlobalConfiguration
  }
  const version = Number(newest?.version ?? 0) + 1
  const configuration: GlobalConfiguration = {
    ...content,
    version,
    generatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + CONFIGURATION_HOURS * 3_600_000).toISOString(),
  }
  const signed = signGlobalConfiguration(configuration, central.key, central.certificate)
  await db
    .insertInto('exchange_global_conf')
    .values({
      version,
      signed: JSON.stringify(signed),
      generated_at: configuration.generatedAt,
      expires_at: configuration.expiresAt,
    })
    .onConflict((conflict) => conflict.column('version').doNothing())
    .execute()
  return signed
}

export async function serviceRecord(
  db: Kysely<Schema>,
  serviceId: string,
): Promise<ServiceRecord | undefined> {
  const row = await db
    .selectFrom('exchange_services')
    .innerJoin(
      'exchange_subsystems',
      'exchange_subsystems.subsystem_id',
      'exchange_services.subsystem_id',
    )
    .select(['service_id', 'backend', 'timeout_ms', 'body_logging'])
    .where('service_id', '=', serviceId)
    .executeTakeFirst()
  if (row === undefined) return undefined
  return {
    serviceId: row.service_id,
    backend: row.backend,
    timeoutMs: row.timeout_ms,
    bodyLogging: row.body_logging as ServiceRecord['bodyLogging'],
  }
}

export async function accessRightsOf(
  db: Kysely<Schema>,
  serviceId: string,
): Promise<AccessRight[]> {
  const rows = await db
    .selectFrom('exchange_access_rights')
    .select(['service_id', 'client', 'method', 'path'])
    .where('service_id', '=', serviceId)
    .execute()
  return rows.map((row) => ({
    service: row.service_id,
    client: row.client,
    method: row.method,
    path: row.path,
  }))
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

export async function providedServices(
  db: Kysely<Schema>,
  subsystem: string,
): Promise<ProvidedService[]> {
  const services = await db
    .selectFrom('exchange_services')
    .select(['service_id', 'service_code', 'openapi'])
    .where('subsystem_id', '=', subsystem)
    .orderBy('service_code')
    .execute()
  return Promise.all(
    services.map(async (service) => ({
      serviceCode: service.service_code,
      openapi: service.openapi,
      rights: await accessRightsOf(db, service.service_id),
    })),
  )
}

/**
 * An act on the exchange's registry or rights made where no ledger writer runs (the operator's
 * command line): queued in the ledger outbox, which the node's writer drains into the log.
 */
export async function recordExchangeAct(
  db: Kysely<Schema>,
  kind: 'exchange-right' | 'exchange-registry',
  act: Record<string, unknown>,
  at: Date,
): Promise<void> {
  await ledgerRecorder.record(db, [
    {
      kind,
      refId: 0,
      recordedAt: at.toISOString(),
      entry: Buffer.from(JSON.stringify({ ...act, at: at.toISOString() })),
    },
  ])
}

/** The newest signed configuration in the store (an embassy reads what the primary published). */
export async function newestGlobalConfiguration(
  db: Kysely<Schema>,
): Promise<SignedGlobalConfiguration | undefined> {
  const newest = await db
    .selectFrom('exchange_global_conf')
    .select('signed')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
  return newest === undefined ? undefined : (JSON.parse(newest.signed) as SignedGlobalConfiguration)
}
