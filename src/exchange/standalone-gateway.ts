/**
 * A gateway as its own process, on an agency's own machine (`e-state gateway`): what an
 * X-Road security server is to a member. It serves
 *
 *   - its members' information systems on a local port (the client side), each system
 *     authenticated by an API key whose SHA-256 the configuration lists;
 *   - other gateways on a mutual-TLS port (the provider side): the peer must present a
 *     certificate from the state PKI, and its SHA-256 must be the pin the global configuration
 *     gives for the gateway of the client's member;
 *
 * and reaches other gateways with its own TLS certificate, checking theirs against the pin in
 * the configuration (not a host name). The global configuration is downloaded from the
 * configured sources in turn, verified against the installed anchor, kept on disk as the last
 * good copy, refreshed every minute, warned about when a quarter of its validity is left, and
 * refused once expired. Services are forwarded to their backends over HTTP(S), redirects not
 * followed, within a timeout. The message log is written through `runtime.log`.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import {
  Agent as HttpAgent,
  request as httpRequest,
  createServer as createHttpServer,
  type Server,
} from 'node:http'
import { Agent, request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { equalSecrets } from '../crypto/index.ts'
import type { Clock, Logger } from '../shared/index.ts'
import { keySigner } from '../trust/index.ts'
import type { AccessRight } from './access-rights.ts'
import { sendBody } from './body.ts'
import { ExchangeError } from './errors.ts'
import {
  backendHeaders,
  createGateway,
  refusalResponse,
  type Gateway,
  type HttpRequest,
  type HttpResponse,
  type MessageRecord,
} from './gateway.ts'
import {
  createPeerAgents,
  createProviderServer,
  DEFAULT_MAX_BODY,
  handle,
  MEMORY_BODY_BYTES,
  readBody,
  sendToGateway,
} from './gateway-transport.ts'
import { verifyGlobalConfiguration, type GlobalConfiguration } from './global-conf.ts'
import { listClients, type ProvidedService } from './metaservices.ts'

export interface StandaloneGatewayConfig {
  readonly gatewayId: string
  readonly instance: string
  /** The members this gateway hosts, each with its signing key and e-seal certificate (PEM). */
  readonly members: readonly {
    readonly id: string
    readonly key: string
    readonly certificate: string
  }[]
  /** The central signing certificate(s) the configuration must be signed with (PEM). */
  readonly anchors: readonly string[]
  /** Where to download the global configuration, tried in turn. */
  readonly sources: readonly string[]
  /** This gateway's TLS key and certificate (PEM), and the CAs peers' certificates chain to. */
  readonly tls: {
    readonly key: string
    readonly certificate: string
    readonly ca: readonly string[]
  }
  readonly providerPort: number
  readonly clientPort: number
  readonly host: string
  /** Local information systems: their subsystem and the SHA-256 (hex) of their API key. */
  readonly clients: readonly { readonly subsystem: string; readonly apiKeySha256: string }[]
  /** Services provided here: `SUBSYSTEM/SERVICE` below a hosted member, backend URL, rights. */
  readonly services: readonly {
    readonly id: string
    readonly backend: string
    readonly timeoutMs?: number
    readonly openapi?: string
    readonly bodyLogging?: 'body' | 'metadata' | 'off'
    readonly rights: readonly Omit<AccessRight, 'service'>[]
  }[]
  /** Where the last good configuration is kept. */
  readonly dataDir: string
  readonly maxBodyBytes?: number
}

export interface RunningGateway {
  readonly clientUrl: string
  readonly providerUrl: string
  /** The configuration version in force. */
  version(): number
  refresh(): Promise<void>
  close(): Promise<void>
}

const REFRESH_MS = 60_000

export async function startStandaloneGateway(
  config: StandaloneGatewayConfig,
  runtime: {
    readonly clock: Clock
    readonly logger: Logger
    /** Writes one message-log record durably (see `message-log-thread.ts`). */
    readonly log: (record: MessageRecord) => Promise<void>
  },
): Promise<RunningGateway> {
  const anchors = config.anchors.map((pem) => Buffer.from(new X509Certificate(pem).raw))
  const cachePath = join(config.dataDir, 'globalconf.json')
  let configuration: GlobalConfiguration | undefined
  const accept = (signed: unknown) => {
    const verified = verifyGlobalConfiguration(signed, {
      anchors,
      instance: config.instance,
      now: runtime.clock.now(),
      ...(configuration === undefined ? {} : { held: configuration.version }),
    })
    configuration = verified
    writeFileSync(`${cachePath}.tmp`, JSON.stringify(signed))
    renameSync(`${cachePath}.tmp`, cachePath)
  }
  const refresh = async () => {
    const failures: string[] = []
    for (const source of config.sources) {
      try {
        const response = await fetch(source, {
          signal: AbortSignal.timeout(5_000),
          redirect: 'error',
        })
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
        accept(await response.json())
        return
      } catch (error) {
        failures.push(`${source}: ${(error as Error).message}`)
      }
    }
    runtime.logger.warn(
      { failures },
      'global configuration not refreshed; keeping the last good copy',
    )
  }
  if (existsSync(cachePath)) {
    try {
      accept(JSON.parse(readFileSync(cachePath, 'utf8')))
    } catch (error) {
      runtime.logger.warn({ err: error }, 'the stored global configuration is unusable')
    }
  }
  await refresh()
  const timer = setInterval(() => {
    void refresh().then(() => {
      const current = configuration
      if (current === undefined) return
      const left = Date.parse(current.expiresAt) - runtime.clock.now().getTime()
      const validity = Date.parse(current.expiresAt) - Date.parse(current.generatedAt)
      if (left < validity / 4)
        runtime.logger.warn(
          { expiresAt: current.expiresAt },
          'the global configuration expires soon',
        )
    })
  }, REFRESH_MS)
  timer.unref()

  const keys = new Map(
    config.members.map((member) => [
      member.id,
      {
        signer: keySigner(createPrivateKey(member.key)),
        certificate: Buffer.from(new X509Certificate(member.certificate).raw),
      },
    ]),
  )
  const services = new Map(
    config.services.map((service) => {
      const parts = service.id.split('/')
      if (parts.length !== 5 || !keys.has(parts.slice(0, 3).join('/')))
        throw new TypeError(
          `service ${service.id} is not INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE of a hosted member`,
        )
      return [
        service.id,
        {
          record: {
            serviceId: service.id,
            backend: service.backend,
            timeoutMs: service.timeoutMs ?? 30_000,
            bodyLogging: service.bodyLogging ?? 'body',
          },
          subsystem: parts.slice(0, 4).join('/'),
          code: parts[4],
          openapi: service.openapi ?? null,
          rights: service.rights.map((right) => ({ ...right, service: service.id })),
        },
      ]
    }),
  )
  const backendAgents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
    https: new Agent({ keepAlive: true, maxSockets: 256 }),
  }
  const peers = createPeerAgents(config.tls)
  const maxBody = config.maxBodyBytes ?? DEFAULT_MAX_BODY

  const gateway: Gateway = createGateway({
    gatewayId: config.gatewayId,
    now: () => runtime.clock.now(),
    configuration() {
      if (configuration === undefined)
        throw new ExchangeError('OutdatedGlobalConf', 'no global configuration could be loaded')
      if (Date.parse(configuration.expiresAt) <= runtime.clock.now().getTime())
        throw new ExchangeError(
          'OutdatedGlobalConf',
          `the global configuration expired at ${configuration.expiresAt}`,
        )
      return configuration
    },
    async signerOf(member) {
      const key = keys.get(member)
      if (key === undefined) throw new ExchangeError('InternalError', `no signing key of ${member}`)
      return key
    },
    service: async (serviceId) => services.get(serviceId)?.record,
    rights: async (serviceId) => services.get(serviceId)?.rights ?? [],
    servicesOf: async (subsystem): Promise<ProvidedService[]> =>
      [...services.values()]
        .filter((service) => service.subsystem === subsystem)
        .map((service) => ({
          serviceCode: service.code,
          openapi: service.openapi,
          rights: service.rights,
        })),
    log: runtime.log,
    send: (target, request) => sendToGateway(peers.agentFor(target), target, request, maxBody),
    callBackend: (service, request) => callHttpBackend(backendAgents, service, request, maxBody),
  })

  const clientServer = createHttpServer((incoming, outgoing) => {
    void handle(incoming, outgoing, maxBody, async (request) => {
      const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1]
      const digest =
        presented === undefined ? undefined : createHash('sha256').update(presented).digest()
      const client = config.clients.find(
        (candidate) =>
          digest !== undefined && equalSecrets(digest, Buffer.from(candidate.apiKeySha256, 'hex')),
      )
      if (client === undefined)
        return refusalResponse(
          401,
          'Client.SslAuthenticationFailed',
          'a valid API key of a local information system is required',
        )
      if (request.method === 'GET' && request.url === '/listClients' && configuration !== undefined)
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify(listClients(configuration))),
        }
      return gateway.consume(request, client.subsystem.split('/').slice(0, 3).join('/'))
    })
  })
  const providerServer = createProviderServer(
    config.tls,
    maxBody,
    MEMORY_BODY_BYTES,
    (request, pin) => gateway.provide(request, pin),
  )
  for (const server of [clientServer, providerServer]) {
    server.headersTimeout = 10_000
    server.requestTimeout = 60_000
    server.keepAliveTimeout = 65_000
  }
  await Promise.all([
    listen(clientServer, config.clientPort, config.host),
    listen(providerServer, config.providerPort, config.host),
  ])
  const port = (server: Server) => (server.address() as { port: number }).port
  return {
    clientUrl: `http://${config.host}:${port(clientServer)}`,
    providerUrl: `https://${config.host}:${port(providerServer)}`,
    version: () => configuration?.version ?? 0,
    refresh,
    async close() {
      clearInterval(timer)
      peers.destroy()
      for (const agent of [backendAgents.http, backendAgents.https]) agent.destroy()
      await Promise.all(
        [clientServer, providerServer].map(
          (server) => new Promise((resolve) => server.close(resolve)),
        ),
      )
    },
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
}

/**
 * A backend call over HTTP(S) with a keep-alive pool: no redirects followed (a 3xx is the
 * provider's answer), the answer read up to `maxBody`, the whole call within the timeout.
 */
function callHttpBackend(
  agents: { readonly http: HttpAgent; readonly https: Agent },
  service: { readonly backend: string; readonly timeoutMs: number },
  request: HttpRequest & {
    client: string
    messageId: string
    userId?: string
    issue?: string
    representedParty?: string
  },
  maxBody: number,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL
    try {
      url = new URL(`${service.backend.replace(/\/$/, '')}${request.url}`)
    } catch {
      reject(
        new ExchangeError('ServiceFailed', `the backend address ${service.backend} is invalid`),
      )
      return
    }
    const secure = url.protocol === 'https:'
    const send = secure ? httpsRequest : httpRequest
    let settled = false
    const fail = (error: ExchangeError) => {
      if (settled) return
      settled = true
      outgoing.destroy()
      reject(error)
    }
    const timer = setTimeout(
      () =>
        fail(
          new ExchangeError(
            'NetworkError',
            `the service did not answer within ${service.timeoutMs} ms`,
          ),
        ),
      service.timeoutMs,
    )
    const outgoing = send(
      url,
      {
        method: request.method,
        agent: secure ? agents.https : agents.http,
        headers: {
          ...backendHeaders(request),
          'content-length': String(request.body.length),
        },
      },
      (incoming) => {
        readBody(incoming, maxBody)
          .then((body) => {
            clearTimeout(timer)
            if (settled) return
            settled = true
            const headers: Record<string, string> = {}
            for (const [name, value] of Object.entries(incoming.headers))
              if (typeof value === 'string') headers[name] = value
              else if (Array.isArray(value)) headers[name] = value.join(', ')
            resolve({ status: incoming.statusCode ?? 502, headers, body })
          })
          .catch(() => {
            clearTimeout(timer)
            fail(new ExchangeError('ServiceFailed', 'the service answered too much or broke off'))
          })
      },
    )
    outgoing.on('error', (error) => {
      clearTimeout(timer)
      fail(new ExchangeError('ServiceFailed', `the service cannot be reached: ${error.message}`))
    })
    sendBody(request.body, outgoing).catch((error: Error) => outgoing.destroy(error))
  })
}
