/**
 * The composition root's HTTP half: `createApp(config)` builds the Fastify application without
 * listening (tests inject requests; `main.ts` listens). The platform behind it opens in
 * `start()`, so the server can answer `/health/live` (and `/health/ready` with 503) while a
 * first start is still seeding the country.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify'
import { EStateError, createLogger, systemClock, type Clock, type Logger } from '../shared/index.ts'
import type { Config } from './config.ts'
import { createAdmission, presentedIdentity } from './admission.ts'
import { registerIdempotency } from './idempotency.ts'
import { scheduleBackups } from '../cloud/index.ts'
import { createMetrics } from './metrics.ts'
import { openPlatform, type Platform } from './platform.ts'
import { installProblemHandlers, problemOf, sendProblem } from './problem.ts'
import { lazySchemas } from './lazy-schemas.ts'
import { injectProvider, type InProcessProvider } from '../exchange/index.ts'
import type { ModuleInstance } from '../platform/index.ts'
import { registerPortal } from '../portal/index.ts'
import { MODULES } from './modules.ts'
import { portalOptions } from './portal-options.ts'
import { registerOperations } from './routes/operations.ts'

export interface EStateApp {
  readonly server: FastifyInstance
  /** Opens the store (seeding on first start) and marks the app ready. */
  start(): Promise<void>
  readonly isReady: () => boolean
  /** The platform, once started (tests and the CLI reach the domain through it). */
  platform(): Platform
  /**
   * Compiles the route schemas not compiled yet (each compiles on its route's first request);
   * returns how many. `start()` does it before the app is ready when `warm` is set.
   */
  warmSchemas(): number
  close(): Promise<void>
}

export interface AppOptions {
  readonly clock?: Clock
  readonly logger?: Logger
  /** Interval of the ledger outbox drain; 0 leaves it to the caller (fail-closed tests). */
  readonly drainIntervalMs?: number
  /**
   * Compile every route's schemas and build the OpenID Connect provider in `start()`, before the
   * app is ready (a serving node); otherwise each is built on first use (tests, commands).
   */
  readonly warm?: boolean
}

const X_ROAD_ID = /^[A-Za-z0-9._:-]{1,128}$/

export async function createApp(config: Config, options: AppOptions = {}): Promise<EStateApp> {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? createLogger(config.logLevel)
  const metrics = createMetrics()
  let platform: Platform | undefined
  let gatewayListener: { close(): Promise<void> } | undefined
  let backups: { close(): Promise<void> } | undefined
  let closing = false
  const schemas = lazySchemas()

  const server: FastifyInstance = Fastify({
    schemaController: { compilersFactory: schemas.compilersFactory },
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimitBytes,
    requestTimeout: config.http.requestTimeoutMs,
    trustProxy: config.http.trustedProxies.length === 0 ? false : [...config.http.trustedProxies],
    // An exchange call's path below /r1/ is one parameter: as long as the protocol allows.
    routerOptions: { maxParamLength: 4096 },
    // Slow clients are cut off: header and request deadlines, checked every second.
    serverFactory: (handler) =>
      createServer(
        {
          headersTimeout: config.http.headersTimeoutMs,
          requestTimeout: config.http.requestTimeoutMs,
          keepAliveTimeout: config.http.keepAliveTimeoutMs,
          connectionsCheckingInterval: 1000,
          maxHeaderSize: 16_384,
        },
        handler as (request: IncomingMessage, response: ServerResponse) => void,
      ),
    // An X-Road message id is the request id when the client sends one.
    genReqId: (request) => {
      const given = request.headers['x-road-id']
      return typeof given === 'string' && X_ROAD_ID.test(given) ? given : randomUUID()
    },
    // Requests are logged by the onResponse hook below, by route template: a URL's query string
    // can carry names and personal codes, which do not belong in logs.
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: true,
    }),
    // Malformed URLs (bad percent-encoding) get a problem document like every other bad input.
    frameworkErrors: (error, request, reply) => {
      void sendProblem(
        reply as FastifyReply,
        problemOf(
          'INVALID_INPUT',
          `the request could not be read: ${error.message}`,
          request.url.split('?')[0],
        ),
      )
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    return503OnClosing: true,
  })
  // Admission first: a flood is turned away before any body, credential or store is touched.
  const admission = createAdmission(config.admission)
  const turnedAway = new WeakSet<object>()
  server.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/health/')) return
    const verdict = admission.admit(request.ip, presentedIdentity(request.headers))
    if (verdict.admitted) {
      reply.raw.once('close', verdict.release)
      return
    }
    turnedAway.add(request)
    metrics.rejected.inc({ reason: verdict.reason })
    reply.header('retry-after', String(verdict.retryAfterSeconds))
    return sendProblem(
      reply,
      verdict.reason === 'busy' || verdict.reason === 'client-busy'
        ? problemOf(
            'BUSY',
            verdict.reason === 'busy'
              ? 'the node is at capacity: try again shortly'
              : 'this client has too many requests in flight: wait for answers first',
            request.url,
          )
        : problemOf(
            'RATE_LIMITED',
            verdict.reason === 'identity'
              ? 'too many requests with this credential: slow down'
              : 'too many requests from this address: slow down',
            request.url,
          ),
    )
  })
  // Schema coercion reads "Infinity" and "1e400" as numbers and skips their bounds: a number
  // in a query or path must be finite, whatever its route.
  server.addHook('preHandler', async (request) => {
    for (const values of [request.query, request.params])
      if (values !== null && typeof values === 'object')
        for (const [name, value] of Object.entries(values))
          for (const item of Array.isArray(value) ? value : [value])
            if (typeof item === 'number' && !Number.isFinite(item))
              throw new EStateError('INVALID_INPUT', `${name} must be a finite number`, {
                field: name,
              })
  })
  server.addHook('onSend', async (request, reply) => {
    // The gateway's answers carry their own message id (`{instance}-{UUID}` when made for one).
    if (!reply.hasHeader('x-road-id')) reply.header('x-road-id', request.id)
    reply.header('x-content-type-options', 'nosniff')
    // Nothing is cacheable unless its route says so (ledger tiles are immutable).
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
  })
  server.addHook('onResponse', async (request, reply) => {
    if (turnedAway.has(request)) return // counted in estate_admission_rejected_total, not logged
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    )
    metrics.http.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    )
  })
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  server.removeContentTypeParser('text/plain')
  installProblemHandlers(server)
  await server.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'e-state',
        version: '0.1.0',
        description:
          'The digital state: base registries (GovStack Digital Registries Data API 1.3.0), health and metrics. Errors are RFC 9457 problem documents with a stable `code`.',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'apiKey',
            name: 'Authorization',
            in: 'header',
            description: 'Bearer esm_… (a member API key)',
          },
        },
      },
    },
  })
  await server.register(swaggerUi, { routePrefix: '/docs' })

  const requirePlatform = (): Platform => {
    if (platform === undefined)
      throw new EStateError(
        'NOT_READY',
        'e-state is starting (seeding the country on first start); try again shortly',
      )
    return platform
  }
  registerIdempotency(server, requirePlatform)
  registerOperations(server, { metrics, isReady: () => platform !== undefined && !closing })
  // Every module's routes, behind the same admission, hooks and problem handler.
  const settings = {
    environment: config.environment,
    env: config.env,
    publicUrl: config.publicUrl,
  }
  const instances: ModuleInstance<Platform>[] = MODULES.map((module) =>
    module.instantiate(settings),
  )
  for (const instance of instances) await instance.attach(server, requirePlatform)
  await registerPortal(server, portalOptions(config, requirePlatform, instances))

  server.get('/openapi.json', { schema: { hide: true } }, async () => server.swagger())
  // The modules' in-process exchange providers: their own routes, reached by the provider
  // gateway with the node's gateway token.
  const providers = new Map<string, InProcessProvider>()
  for (const module of MODULES)
    for (const provided of module.exchange.provides ?? [])
      if (provided.inProcess !== undefined)
        providers.set(
          provided.inProcess.backend,
          injectProvider(server, provided.inProcess.prefix, () => requirePlatform().gatewayToken),
        )

  return {
    server,
    isReady: () => platform !== undefined && !closing,
    platform: requirePlatform,
    warmSchemas: () => schemas.warm(),
    async start() {
      await server.ready()
      const opened = await openPlatform({
        config,
        clock,
        logger,
        metrics,
        drainIntervalMs: options.drainIntervalMs,
        providers,
      })
      try {
        for (const instance of instances) await instance.start(opened)
        if (options.warm === true) {
          schemas.warm()
          await opened.oidc.ready()
        }
      } catch (error) {
        await opened.close()
        throw error
      }
      platform = opened
      if (config.backup !== undefined && !platform.readOnly)
        backups = scheduleBackups({
          databaseUrl: config.databaseUrl,
          masterKeys: config.masterKeys,
          folder: config.backup.folder,
          intervalMs: config.backup.intervalMinutes * 60_000,
          keep: config.backup.keep,
          logger,
        })
      if (config.gateway !== undefined && !platform.readOnly)
        gatewayListener = await platform.exchangeClient.listen({
          host: config.host,
          port: config.gateway.port,
        })
    },
    async close() {
      closing = true
      await backups?.close()
      await gatewayListener?.close()
      await server.close()
      for (const instance of instances) await instance.stop()
      await platform?.close()
    },
  }
}
