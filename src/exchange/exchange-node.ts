/**
 * The exchange as one node runs it: the central registry (it publishes the signed global
 * configuration) and the in-process gateway that hosts every local member. The gateway uses
 * the configuration it verified, like any other gateway would — the anchor is the central
 * signing certificate — and refreshes it periodically and after every registry change.
 */
import { X509Certificate, type KeyObject } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Envelope } from '../crypto/index.ts'
import type { Clock } from '../shared/index.ts'
import type { Schema } from '../storage/index.ts'
import type { StatePki } from '../trust/index.ts'
import type { AccessRight } from './access-rights.ts'
import { ExchangeError } from './errors.ts'
import {
  accessRightsOf,
  bootstrapExchange,
  CENTRAL_KEY,
  gatewayTlsKeyId,
  loadMemberKeys,
  newestGlobalConfiguration,
  providedServices,
  publishGlobalConfiguration,
  serviceRecord,
  type MemberKey,
} from './exchange-store.ts'
import type { MessageRecord, ServiceRecord } from './gateway.ts'
import type { GatewayTls } from './gateway-transport.ts'
import type { ProvidedService } from './metaservices.ts'
import {
  verifyGlobalConfiguration,
  type GlobalConfiguration,
  type SignedGlobalConfiguration,
} from './global-conf.ts'
import { createMessageLog } from './message-log.ts'

const REFRESH_MS = 10 * 60 * 1000

export interface ExchangeNode {
  readonly gatewayId: string
  /** The verified configuration in force. */
  configuration(): GlobalConfiguration
  /** The newest signed configuration, as published to other gateways. */
  signedConfiguration(): SignedGlobalConfiguration
  /** The central signing certificate: the anchor a gateway is installed with. */
  readonly anchor: Buffer
  /**
   * This node's gateway TLS identity and the CAs its peers chain to, when it listens for other
   * gateways (`gatewayAddress`); undefined when it is reachable in process only.
   */
  readonly tls: GatewayTls | undefined
  /** Re-publishes (when anything changed) and reloads the configuration. */
  refresh(): Promise<void>
  signerOf(member: string): Promise<MemberKey & { key: KeyObject }>
  service(serviceId: string): Promise<ServiceRecord | undefined>
  rights(serviceId: string): Promise<readonly AccessRight[]>
  servicesOf(subsystem: string): Promise<readonly ProvidedService[]>
  log(record: MessageRecord): Promise<void>
  close(): void
}

export async function openExchangeNode(options: {
  readonly db: Kysely<Schema>
  readonly envelope: Envelope
  readonly pki: StatePki
  readonly clock: Clock
  readonly instance: string
  readonly publicUrl: string
  /** Where other gateways reach this node's gateway over mutual TLS, when it listens. */
  readonly gatewayAddress?: string
  /**
   * An embassy on its standby: nothing bootstrapped or published here; the configuration the
   * primary published is read from the store (and re-read on refresh).
   */
  readonly readOnly?: boolean
  /** Where the message log is written, when not `db` (an embassy's node: at the primary). */
  readonly logDb?: Kysely<Schema>
}): Promise<ExchangeNode> {
  const gatewayId = `${options.instance}/GATEWAY/node-1`
  const base = {
    db: options.db,
    clock: options.clock,
    instance: options.instance,
    sources: [`${options.publicUrl}/exchange/globalconf`],
    gatewayId,
  }
  if (options.readOnly !== true)
    await bootstrapExchange({
      ...base,
      envelope: options.envelope,
      pki: options.pki,
      ...(options.gatewayAddress === undefined ? {} : { gatewayAddress: options.gatewayAddress }),
    })
  const keys = await loadMemberKeys(options.db, options.envelope)
  const tlsKey = keys.get(gatewayTlsKeyId(gatewayId))
  const tls: GatewayTls | undefined =
    options.gatewayAddress === undefined || tlsKey === undefined
      ? undefined
      : {
          key: tlsKey.key.export({ format: 'pem', type: 'pkcs8' }).toString(),
          certificate: new X509Certificate(tlsKey.certificate).toString(),
          ca: [...options.pki.authorities.values()]
            .filter((authority) => authority.role === 'root' || authority.name === 'tls')
            .map((authority) => new X509Certificate(authority.certificate).toString()),
        }
  const central = keys.get(CENTRAL_KEY)
  if (central === undefined) throw new TypeError('the central signing key is missing')
  const publish = async (): Promise<SignedGlobalConfiguration> => {
    if (options.readOnly !== true) return publishGlobalConfiguration(base, central)
    const newest = await newestGlobalConfiguration(options.db)
    if (newest === undefined)
      throw new ExchangeError('OutdatedGlobalConf', 'the primary has published no configuration')
    return newest
  }
  let signed = await publish()
  let configuration = verifyGlobalConfiguration(signed, {
    anchors: [central.certificate],
    instance: options.instance,
    now: options.clock.now(),
  })
  const refresh = async () => {
    signed = await publish()
    configuration = verifyGlobalConfiguration(signed, {
      anchors: [central.certificate],
      instance: options.instance,
      now: options.clock.now(),
      held: configuration.version,
    })
  }
  const timer = setInterval(() => void refresh().catch(() => undefined), REFRESH_MS)
  timer.unref()
  return {
    gatewayId,
    anchor: central.certificate,
    tls,
    configuration() {
      if (Date.parse(configuration.expiresAt) <= options.clock.now().getTime())
        throw new ExchangeError(
          'OutdatedGlobalConf',
          `the global configuration expired at ${configuration.expiresAt}`,
        )
      return configuration
    },
    signedConfiguration: () => signed,
    refresh,
    async signerOf(member) {
      const key = keys.get(member)
      if (key === undefined)
        throw new ExchangeError('InternalError', `this gateway holds no signing key of ${member}`)
      return key
    },
    service: (serviceId) => serviceRecord(options.db, serviceId),
    rights: (serviceId) => accessRightsOf(options.db, serviceId),
    servicesOf: (subsystem) => providedServices(options.db, subsystem),
    log: createMessageLog({ ...options, db: options.logDb ?? options.db }),
    close: () => clearInterval(timer),
  }
}
