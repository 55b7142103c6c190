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
 * Services whose backend is `internal:<module>/<name>` are provided in this process by the
 * module that declares them (`exchange.provides` with `inProcess`): the provider gateway calls
 * that module's routes, proving itself with the node's gateway token (`injectProvider`), so
 * the provider sees the verified client, user and purpose.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { buildReceipt, LedgerError, type Ledger } from '../ledger/index.ts'
import { ProblemSchema } from '../shared/index.ts'
import type { Clock } from '../shared/index.ts'
import type { Store } from '../storage/index.ts'
import {
  ANCHOR_BATCH_MAX,
  ANCHOR_FORMAT,
  anchorLedgerIndex,
  recordAnchor,
  verifyAnchor,
  type AnchorBatch,
} from './anchoring.ts'
import { refusalResponse } from './gateway.ts'
import { bytesInMemory, type SpooledBody } from './body.ts'
import { bearerToken } from './caller.ts'
import { EXCHANGE_BODY_LIMIT, type ExchangeClient } from './client.ts'
import type { ExchangeNode } from './exchange-node.ts'
import type { HttpRequest, HttpResponse } from './gateway.ts'
import { verifyMemberCredential } from './member-credentials.ts'
import { listClients } from './metaservices.ts'

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const

/** What the exchange's routes ask of the platform. */
export interface ExchangeNeeds {
  readonly store: Store
  readonly clock: Clock
  readonly ledger: Ledger
  readonly instance: string
  readonly readOnly: boolean
  readonly readsRecordedAtPrimary: boolean
  readonly exchange: ExchangeNode
  readonly exchangeClient: ExchangeClient
}

export function registerExchangeRoutes(app: FastifyInstance, platform: () => ExchangeNeeds): void {
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
        const response = await current.exchangeClient.gateway.consume(
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
        throw new LedgerError(
          'LEDGER_UNKNOWN_ENTRY',
          `no batch ${sequence} of ${gateway} in the ledger yet`,
        )
      try {
        return await buildReceipt(current.store.db, current.ledger.tree, index)
      } catch {
        throw new LedgerError(
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
