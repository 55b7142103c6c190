/**
 * The `ExchangeClient`: how this node's own code — a service module run by one agency — calls
 * another agency's service, through the node's in-process gateway (signed by the client
 * member's e-seal, checked against the provider's access rights, logged on both sides), and
 * how the node's in-process providers are reached, by the backend their service is
 * registered with (`internal:<module>/<name>`) rather than by a hard-coded list.
 *
 * The client also owns the node's gateway listener for other gateways (mutual TLS).
 */
import type { Kysely } from 'kysely'
import { REGISTRIES, type Caller, type RegistryName } from '../registries/index.ts'
import { EStateError, type Clock } from '../shared/index.ts'
import type { Schema } from '../storage/index.ts'
import { bytesInMemory } from './body.ts'
import { ExchangeError } from './errors.ts'
import type { ExchangeNode } from './exchange-node.ts'
import { IN_PROCESS } from './exchange-store.ts'
import {
  createGateway,
  type BackendRequest,
  type Gateway,
  type HttpResponse,
  type MessageRecord,
} from './gateway.ts'
import { createPeerAgents, createProviderServer, sendToGateway } from './gateway-transport.ts'

export const EXCHANGE_BODY_LIMIT = 10 * 1024 * 1024

/** A provider in this process: answers the provider gateway's checked request. */
export type InProcessProvider = (request: BackendRequest) => Promise<HttpResponse>

export interface ExchangeCall {
  /** The calling subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`: one of this node's agencies. */
  readonly client: string
  readonly method: string
  /** `/r1/{service id}/{path}`. */
  readonly url: string
  readonly headers: Record<string, string>
  readonly body?: Buffer
}

export interface ExchangeClient {
  /** The node's gateway: its consumer half answers `/r1/…`, its provider half other gateways. */
  readonly gateway: Gateway
  /** A call by one of this node's agencies to any service, answered as the provider answered. */
  call(request: ExchangeCall): Promise<HttpResponse>
  /**
   * A base register's action (`POST /{version}/{action}` with a JSON body) as `caller` (its
   * subsystem, acting user and purpose). Answers the parsed JSON; a refusal is thrown with the
   * register's own problem code (or the gateway's X-Road error type).
   */
  callRegister(
    caller: Caller,
    registry: RegistryName,
    action: string,
    body: unknown,
  ): Promise<Record<string, unknown>>
  /**
   * A base register's list (`GET /{version}?query.<field>=…`) as `caller`: the records whose
   * fields equal the given values, the first `pageSize` of them.
   */
  listRegister(
    caller: Caller,
    registry: RegistryName,
    equals: Readonly<Record<string, string>>,
    pageSize?: number,
  ): Promise<{ readonly count: number; readonly results: readonly Record<string, unknown>[] }>
  /** Listens for other gateways (mutual TLS with the node's gateway certificate). */
  listen(address: {
    readonly host: string
    readonly port: number
  }): Promise<{ close(): Promise<void> }>
}

export interface ExchangeClientOptions {
  readonly node: ExchangeNode
  readonly db: Kysely<Schema>
  readonly clock: Clock
  /** In-process providers by the backend their service is registered with. */
  readonly providers: ReadonlyMap<string, InProcessProvider>
  /** Observes each message logged (Prometheus). */
  readonly observe?: (record: MessageRecord) => void
}

export function createExchangeClient(options: ExchangeClientOptions): ExchangeClient {
  const { node } = options
  let peers: ReturnType<typeof createPeerAgents> | undefined
  const gateway: Gateway = createGateway({
    gatewayId: node.gatewayId,
    configuration: () => node.configuration(),
    signerOf: (member) => node.signerOf(member),
    service: (serviceId) => node.service(serviceId),
    rights: (serviceId) => node.rights(serviceId),
    servicesOf: (subsystem) => node.servicesOf(subsystem),
    log: (record) => {
      options.observe?.(record)
      return node.log(record)
    },
    now: () => options.clock.now(),
    async send(target, request) {
      if (target.address === IN_PROCESS || target.id === node.gatewayId)
        return gateway.provide(request, undefined)
      if (peers === undefined)
        throw new ExchangeError(
          'NetworkError',
          `this node's gateway has no TLS identity to reach ${target.id}: set E_STATE_GATEWAY_PORT`,
        )
      return sendToGateway(peers.agentFor(target), target, request, EXCHANGE_BODY_LIMIT)
    },
    async callBackend(service, request) {
      const provider = options.providers.get(service.backend)
      if (provider === undefined)
        throw new ExchangeError('ServiceFailed', `backend ${service.backend} is not reachable`)
      return provider(request)
    },
  })

  const call = (request: ExchangeCall): Promise<HttpResponse> =>
    gateway.consume(
      {
        method: request.method,
        url: request.url,
        headers: { ...request.headers, 'x-road-client': request.client },
        body: request.body ?? Buffer.alloc(0),
      },
      request.client.split('/').slice(0, 3).join('/'),
    )

  const keeperOf = async (registry: RegistryName): Promise<string> => {
    const keeper = await options.db
      .selectFrom('exchange_services')
      .select('service_id')
      .where('service_code', '=', registry)
      .executeTakeFirst()
    if (keeper === undefined)
      throw new ExchangeError('UnknownService', `no agency provides the ${registry} register`)
    return keeper.service_id
  }
  // The acting person and the purpose, as X-Road headers (the purpose may be any UTF-8).
  const actingHeaders = (caller: Caller): Record<string, string> => ({
    ...(caller.userCode === undefined ? {} : { 'x-road-userid': `EE${caller.userCode}` }),
    ...(caller.issue === undefined
      ? {}
      : { 'x-road-issue': Buffer.from(caller.issue, 'utf8').toString('latin1') }),
  })

  return {
    gateway,
    call,
    async callRegister(caller, registry, action, body) {
      const response = await call({
        client: caller.clientId,
        method: 'POST',
        url: `/r1/${await keeperOf(registry)}/${REGISTRIES[registry].version}/${action}`,
        headers: { 'content-type': 'application/json', ...actingHeaders(caller) },
        body: Buffer.from(JSON.stringify(body)),
      })
      return answerOf(registry, response)
    },
    async listRegister(caller, registry, equals, pageSize = 50) {
      const query = new URLSearchParams({ pageSize: String(pageSize) })
      for (const [field, value] of Object.entries(equals)) query.set(`query.${field}`, value)
      const response = await call({
        client: caller.clientId,
        method: 'GET',
        url: `/r1/${await keeperOf(registry)}/${REGISTRIES[registry].version}?${query}`,
        headers: actingHeaders(caller),
      })
      const answer = answerOf(registry, response)
      return {
        count: Number(answer.count ?? 0),
        results: (Array.isArray(answer.results) ? answer.results : []) as Record<string, unknown>[],
      }
    },
    async listen(address) {
      const tls = node.tls
      if (tls === undefined) throw new TypeError('the exchange node has no gateway TLS identity')
      peers = createPeerAgents(tls)
      const server = createProviderServer(
        tls,
        EXCHANGE_BODY_LIMIT,
        EXCHANGE_BODY_LIMIT,
        (request, pin) => gateway.provide(request, pin),
      )
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(address.port, address.host, () => resolve())
      })
      return {
        async close() {
          peers?.destroy()
          peers = undefined
          server.closeAllConnections()
          await new Promise((resolve) => server.close(resolve))
        },
      }
    },
  }
}

/** A register's JSON answer, or its refusal as a coded error it can be told by. */
function answerOf(registry: string, response: HttpResponse): Record<string, unknown> {
  let answer: Record<string, unknown> = {}
  try {
    answer = JSON.parse(bytesInMemory(response.body)?.toString('utf8') ?? '') as Record<
      string,
      unknown
    >
  } catch {
    // not JSON: reported below by status
  }
  if (response.status === 200) return answer
  const text = (key: string) => (typeof answer[key] === 'string' ? answer[key] : undefined)
  const errorType = response.headers['x-road-error']
  throw new RemoteRefusal(
    text('code') ??
      (errorType === undefined
        ? 'ACCESS_DENIED'
        : `EXCHANGE_${errorType.split('.').at(-1) ?? 'ServiceFailed'}`),
    text('detail') ?? text('message') ?? `the ${registry} register answered ${response.status}`,
  )
}

/**
 * A provider's refusal passed on to this node's caller with the provider's own code (its
 * status is the code's in the combined catalogue: the same codes, the same statuses).
 */
export class RemoteRefusal extends EStateError {}
