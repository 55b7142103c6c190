/**
 * The exchange over HTTP.
 *
 * `/r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}/{path}` — X-Road's REST message
 * protocol at this node's gateway: a client information system authenticates with its member
 * API key and names its subsystem in `X-Road-Client`; the gateway signs, checks and logs the
 * call on both sides and answers as X-Road does (its own errors with `X-Road-Error`; a
 * provider's answer untouched).
 *
 * `GET /exchange/globalconf` — the newest signed global configuration, for other gateways.
 *
 * Services whose backend is `internal:registries/<name>` are this node's base registries: the
 * provider gateway calls the Digital Registries routes in process, proving itself with the
 * node's gateway token, so the registry sees the verified client, user and purpose.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  ANCHOR_BATCH_MAX,
  ANCHOR_FORMAT,
  anchorLedgerIndex,
  backendHeaders,
  bytesInMemory,
  createGateway,
  createPeerAgents,
  createProviderServer,
  sendToGateway,
  ExchangeError,
  IN_PROCESS,
  listClients,
  refusalResponse,
  verifyMemberCredential,
  recordAnchor,
  verifyAnchor,
  type AnchorBatch,
  type Gateway,
  type HttpRequest,
  type HttpResponse,
  type SpooledBody,
} from '../../exchange/index.ts'
import { REGISTRIES, type Caller, type RegistryName } from '../../registries/index.ts'
import { EStateError } from '../../shared/index.ts'
import { buildReceipt } from '../../ledger/index.ts'
import type { Metrics } from '../metrics.ts'
import type { Platform } from '../platform.ts'
import { GATEWAY_TOKEN_HEADER, bearerToken } from './caller.ts'
import { ProblemSchema } from './schemas.ts'

export const EXCHANGE_BODY_LIMIT = 10 * 1024 * 1024
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const

// The node's gateway, made on first use for each platform (one per running app).
const gateways = new WeakMap<Platform, Gateway>()
const metricsOf = new WeakMap<FastifyInstance, Metrics>()

function gatewayFor(app: FastifyInstance, current: Platform): Gateway {
  let gateway = gateways.get(current)
  if (gateway === undefined) {
    gateway = createNodeGateway(app, current, metricsOf.get(app))
    gateways.set(current, gateway)
  }
  return gateway
}

/**
 * A call by this node's own code for one of its agencies (`client`, a subsystem) to another
 * agency's service, through the in-process gateway: signed, checked and logged like any call.
 */
export function callThroughExchange(
  app: FastifyInstance,
  current: Platform,
  request: {
    readonly client: string
    readonly method: string
    readonly url: string
    readonly headers: Record<string, string>
    readonly body?: Buffer
  },
): Promise<HttpResponse> {
  return gatewayFor(app, current).consume(
    {
      method: request.method,
      url: request.url,
      headers: { ...request.headers, 'x-road-client': request.client },
      body: request.body ?? Buffer.alloc(0),
    },
    request.client.split('/').slice(0, 3).join('/'),
  )
}

/**
 * A call by one of this node's agencies (the `caller`'s subsystem, acting for its user) to a
 * base register's service, through the in-process gateway: `POST /{version}/{action}` of the
 * register's keeper with a JSON body. Answers the parsed JSON; a refusal keeps the register's
 * own problem code (or the gateway's X-Road error type).
 */
export async function callRegister(
  app: FastifyInstance,
  platform: Platform,
  caller: Caller,
  registry: RegistryName,
  action: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const keeper = await platform.store.db
    .selectFrom('exchange_services')
    .select('service_id')
    .where('service_code', '=', registry)
    .executeTakeFirst()
  if (keeper === undefined)
    throw new EStateError('EXCHANGE_UnknownService', `no agency provides the ${registry} register`)
  const response = await callThroughExchange(app, platform, {
    client: caller.clientId,
    method: 'POST',
    url: `/r1/${keeper.service_id}/${REGISTRIES[registry].version}/${action}`,
    headers: {
      'content-type': 'application/json',
      ...(caller.userCode === undefined ? {} : { 'x-road-userid': `EE${caller.userCode}` }),
      ...(caller.issue === undefined
        ? {}
        : { 'x-road-issue': Buffer.from(caller.issue, 'utf8').toString('latin1') }),
    },
    body: Buffer.from(JSON.stringify(body)),
  })
  let answer: Record<string, unknown> = {}
  try {
    answer = JSON.parse(bytesInMemory(response.body)?.toString('utf8') ?? '') as Record<
      string,
      unknown
    >
  } catch {
    // not JSON: reported below by status
  }
  if (response.status !== 200) {
    const text = (key: string) => (typeof answer[key] === 'string' ? answer[key] : undefined)
    const errorType = response.headers['x-road-error']
    throw new EStateError(
      text('code') ??
        (errorType === undefined
          ? 'ACCESS_DENIED'
          : `EXCHANGE_${errorType.split('.').at(-1) ?? 'ServiceFailed'}`),
      text('detail') ?? text('message') ?? `the ${registry} register answered ${response.status}`,
    )
  }
  return answer
}

export function registerExchange(
  app: FastifyInstance,
  platform: () => Platform,
  metrics: Metrics,
): void {
  metricsOf.set(app, metrics)
  const gatewayOf = (current: Platform): Gateway => gatewayFor(app, current)

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: EXCHANGE_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    )
    scope.route({
      method: [...METHODS],
      url: '/r1/*',
      bodyLimit: EXCHANGE_BODY_LIMIT,
      schema: {
        tags: ['Exchange'],
        summary: "Call another agency's service through the gateway (X-Road REST protocol r1)",
      },
      handler: async (request, reply) => {
        const current = platform()
        // An embassy before promotion keeps its message log at the primary, or takes no calls.
        if (current.readOnly && !current.readsRecordedAtPrimary)
          return sendHttp(
            reply,
            refusalResponse(
              503,
              'Server.ClientProxy.ServiceFailed',
              'this site serves reads until it is promoted: call the primary site',
            ),
          )
        let member: string
        try {
          member = await verifyMemberCredential(
            current.store.db,
            bearerToken(request.headers.authorization),
          )
        } catch {
          return sendHttp(
            reply,
            refusalResponse(
              401,
              'Client.SslAuthenticationFailed',
              'a valid member API key is required (Authorization: Bearer esm_…)',
            ),
          )
        }
        // X-Road headers once each (Node would join repeats into one value).
        const seen = new Set<string>()
        let repeated: [string] | undefined
        for (let index = 0; index < request.raw.rawHeaders.length; index += 2) {
          const name = request.raw.rawHeaders[index].toLowerCase()
          const watched =
            name.startsWith('x-road-') ||
            name === 'x-govstack-client' ||
            name === 'information-mediator-client'
          if (watched && seen.has(name)) repeated = [name]
          seen.add(name)
        }
        if (repeated !== undefined)
          return sendHttp(
            reply,
            refusalResponse(
              400,
              'Client.DuplicateHeaderField',
              `${repeated[0]} is given more than once`,
            ),
          )
        // The message id is the client's X-Road-Id (also this request's id in the logs), or
        // one made as X-Road makes it, `{instance}-{UUID}`, around this request's id.
        const incoming = httpRequestOf(request)
        const id =
          incoming.headers['x-road-id'] === request.id
            ? request.id
            : `${current.instance}-${request.id}`
        const response = await gatewayOf(current).consume(
          { ...incoming, headers: { ...incoming.headers, 'x-road-id': id } },
          member,
        )
        return sendHttp(reply, response)
      },
    })
  })

  app.get(
    '/listClients',
    {
      schema: {
        tags: ['Exchange'],
        summary:
          'Members and subsystems of the instance (X-Road listClients; GovStack Directory Services with instanceId)',
        querystring: Type.Object({ instanceId: Type.Optional(Type.String({ maxLength: 255 })) }),
      },
    },
    async (request) => {
      const { instanceId } = request.query as { instanceId?: string }
      const configuration = platform().exchange.configuration()
      // GovStack's Directory Services API asks with instanceId (or X-GovStack-Client).
      const govstack =
        instanceId !== undefined || request.headers['x-govstack-client'] !== undefined
      if (instanceId !== undefined && instanceId !== configuration.instance) return { member: [] }
      return listClients(configuration, govstack ? 'govstack' : 'x-road')
    },
  )

  app.post(
    '/exchange/anchors',
    {
      bodyLimit: 16 * 1024,
      schema: {
        tags: ['Exchange'],
        summary:
          "A standalone gateway anchors a batch of its message log in the ledger: the Merkle root of the records' commitments, signed by its member",
        body: Type.Object(
          {
            format: Type.Literal(ANCHOR_FORMAT),
            instance: Type.String({ maxLength: 40 }),
            gateway: Type.String({ maxLength: 300 }),
            member: Type.String({ maxLength: 300 }),
            sequence: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
            firstId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
            lastId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
            count: Type.Integer({ minimum: 1, maximum: ANCHOR_BATCH_MAX }),
            root: Type.String({ maxLength: 44 }),
            signedAt: Type.String({ maxLength: 40 }),
            signature: Type.String({ maxLength: 400 }),
            certificate: Type.String({ maxLength: 100 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ status: Type.Literal('already') }),
          201: Type.Object({ status: Type.Literal('anchored') }),
          400: ProblemSchema,
          403: ProblemSchema,
          409: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const current = platform()
      const batch = request.body as AnchorBatch
      verifyAnchor(current.exchange.configuration(), current.exchange.gatewayId, batch)
      const status = await recordAnchor(current.store.db, batch, current.clock.now().toISOString())
      return reply.code(status === 'anchored' ? 201 : 200).send({ status })
    },
  )

  app.get(
    '/exchange/anchors/receipt',
    {
      schema: {
        tags: ['Exchange'],
        summary:
          "The ledger receipt of a standalone gateway's anchored batch (for its evidence files)",
        querystring: Type.Object(
          {
            gateway: Type.String({ maxLength: 300 }),
            sequence: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
          },
          { additionalProperties: false },
        ),
        response: { 404: ProblemSchema },
      },
    },
    async (request) => {
      const current = platform()
      const { gateway, sequence } = request.query as { gateway: string; sequence: number }
      const index = await anchorLedgerIndex(current.store.db, gateway, sequence)
      if (index === undefined)
        throw new EStateError(
          'LEDGER_UNKNOWN_ENTRY',
          `no batch ${sequence} of ${gateway} in the ledger yet`,
        )
      try {
        return await buildReceipt(current.store.db, current.ledger.tree, index)
      } catch {
        throw new EStateError(
          'LEDGER_UNKNOWN_ENTRY',
          `batch ${sequence} of ${gateway} is not in a published checkpoint yet`,
        )
      }
    },
  )

  app.get(
    '/exchange/globalconf',
    {
      schema: {
        tags: ['Exchange'],
        summary: 'The signed global configuration (members, subsystems, gateways, groups)',
      },
    },
    async (_request, reply) =>
      reply.header('cache-control', 'no-cache').send(platform().exchange.signedConfiguration()),
  )
}

// Pools to other gateways, per platform, while its gateway listener runs.
const peerPools = new WeakMap<Platform, ReturnType<typeof createPeerAgents>>()
const peersOf = (current: Platform) => peerPools.get(current)

/**
 * The node's gateway listener for other gateways: mutual TLS with the node's gateway
 * certificate from the state TLS CA, the address the global configuration registers for it
 * (`E_STATE_GATEWAY_PORT`, `E_STATE_GATEWAY_URL`). Requests go to the provider half; bodies up
 * to the exchange limit, in memory (the registries are called in process).
 */
export async function startGatewayListener(
  app: FastifyInstance,
  current: Platform,
  listen: { readonly host: string; readonly port: number },
): Promise<{ close(): Promise<void> }> {
  const tls = current.exchange.tls
  if (tls === undefined) throw new TypeError('the exchange node has no gateway TLS identity')
  const peers = createPeerAgents(tls)
  peerPools.set(current, peers)
  const gateway = gatewayFor(app, current)
  const server = createProviderServer(
    tls,
    EXCHANGE_BODY_LIMIT,
    EXCHANGE_BODY_LIMIT,
    (request, pin) => gateway.provide(request, pin),
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => resolve())
  })
  return {
    async close() {
      peerPools.delete(current)
      peers.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** The node's gateway: its ports over the exchange node, the registries and the transports. */
function createNodeGateway(
  app: FastifyInstance,
  current: Platform,
  metrics: Metrics | undefined,
): Gateway {
  const exchange = current.exchange
  const gateway: Gateway = createGateway({
    gatewayId: exchange.gatewayId,
    configuration: () => exchange.configuration(),
    signerOf: (member) => exchange.signerOf(member),
    service: (serviceId) => exchange.service(serviceId),
    rights: (serviceId) => exchange.rights(serviceId),
    servicesOf: (subsystem) => exchange.servicesOf(subsystem),
    log: (record) => {
      metrics?.exchange.observe(
        {
          side: record.side,
          outcome:
            record.errorType ??
            (record.status >= 500
              ? 'provider-error'
              : record.status >= 400
                ? 'provider-refusal'
                : 'ok'),
        },
        record.durationMs / 1000,
      )
      return exchange.log(record)
    },
    now: () => current.clock.now(),
    async send(target, request) {
      if (target.address === IN_PROCESS || target.id === exchange.gatewayId)
        return gateway.provide(request, undefined)
      const peers = peersOf(current)
      if (peers === undefined)
        throw new ExchangeError(
          'NetworkError',
          `this node's gateway has no TLS identity to reach ${target.id}: set E_STATE_GATEWAY_PORT`,
        )
      return sendToGateway(peers.agentFor(target), target, request, EXCHANGE_BODY_LIMIT)
    },
    async callBackend(service, request) {
      const internal = /^internal:registries\/([a-z-]+)$/.exec(service.backend)
      if (internal === null || !Object.hasOwn(REGISTRIES, internal[1]))
        throw new ExchangeError('ServiceFailed', `backend ${service.backend} is not reachable`)
      const answer = await app.inject({
        method: request.method as 'GET',
        url: `/data/${internal[1]}${request.url}`,
        headers: {
          ...backendHeaders(request),
          [GATEWAY_TOKEN_HEADER]: current.gatewayToken.toString('base64url'),
        },
        // In process, bodies come from Fastify's parser: always in memory, never spooled.
        ...(request.body.length === 0 ? {} : { payload: bytesInMemory(request.body) }),
      })
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(answer.headers))
        if (typeof value === 'string') headers[name] = value
        else if (typeof value === 'number') headers[name] = String(value)
      return { status: answer.statusCode, headers, body: answer.rawPayload }
    },
  })
  return gateway
}

function httpRequestOf(request: FastifyRequest): HttpRequest {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === 'string') headers[name] = value
    else if (Array.isArray(value)) headers[name] = value.join(', ')
  return {
    method: request.method,
    url: request.raw.url ?? request.url,
    headers,
    body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
  }
}

function sendHttp(reply: FastifyReply, response: HttpResponse): FastifyReply {
  reply.code(response.status)
  // A value HTTP cannot carry (a provider's, say) is dropped rather than failing the answer.
  for (const [name, value] of Object.entries(response.headers))
    if (!/[^\t\x20-\x7e\x80-\xff]/.test(value)) reply.header(name, value)
  const bytes = bytesInMemory(response.body)
  if (bytes !== undefined) return reply.send(bytes)
  const spooled = response.body as SpooledBody
  reply.raw.once('close', () => spooled.dispose())
  return reply.send(spooled.stream())
}
