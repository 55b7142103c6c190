/**
 * How gateways reach each other: mutual TLS 1.3 with certificates from the state PKI, each peer
 * pinned by the SHA-256 of the certificate the global configuration registers for it (not by
 * host name). Used by the standalone gateway and by a node's gateway alike: the provider side's
 * listener, the consumer side's connection pools, and reading and answering one message.
 */
import { createServer as createHttpsServer, request as httpsRequest, Agent } from 'node:https'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { BodyTooLarge, disposeBody, receiveBody, sendBody, type Body } from './body.ts'
import { ExchangeError } from './errors.ts'
import { refusalResponse, type HttpRequest, type HttpResponse } from './gateway.ts'
import { certificatePin, type GlobalConfiguration } from './global-conf.ts'

/** A gateway's TLS identity (PEM or DER) and the CAs its peers' certificates chain to. */
export interface GatewayTls {
  readonly key: string | Buffer
  readonly certificate: string | Buffer
  readonly ca: readonly (string | Buffer)[]
}

/**
 * One keep-alive pool per peer gateway, its pin checked once per TLS connection. (A
 * checkServerIdentity passed per request would defeat keep-alive: a new pool every time.)
 */
export function createPeerAgents(tls: GatewayTls): {
  agentFor(target: GlobalConfiguration['gateways'][number]): Agent
  destroy(): void
} {
  const agents = new Map<string, Agent>()
  return {
    agentFor(target) {
      const key = `${target.address}|${target.tlsCertificateSha256}`
      let agent = agents.get(key)
      if (agent === undefined) {
        agent = new Agent({
          keepAlive: true,
          maxSockets: 256,
          key: tls.key,
          cert: tls.certificate,
          ca: [...tls.ca],
          minVersion: 'TLSv1.3',
          // The pin replaces the host name check: a gateway is who the configuration says.
          checkServerIdentity: (_host, certificate) =>
            certificatePin(certificate.raw) === target.tlsCertificateSha256
              ? undefined
              : new Error('the gateway certificate is not the pinned one'),
        })
        agents.set(key, agent)
      }
      return agent
    },
    destroy() {
      for (const agent of agents.values()) agent.destroy()
      agents.clear()
    },
  }
}

/**
 * The provider side's listener: mutual TLS 1.3 (no renegotiation, so a connection's peer never
 * changes), a client certificate from the state PKI required, its pin handed to `provide`.
 */
export function createProviderServer(
  tls: GatewayTls,
  maxBody: number,
  memoryBytes: number,
  provide: (request: HttpRequest, peerPin: string) => Promise<HttpResponse>,
): Server {
  const server = createHttpsServer(
    {
      key: tls.key,
      cert: tls.certificate,
      ca: [...tls.ca],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (incoming, outgoing) => {
      const pin = peerPinOf(incoming.socket as TLSSocket)
      void handle(
        incoming,
        outgoing,
        maxBody,
        (request) =>
          pin === undefined
            ? Promise.resolve(
                refusalResponse(
                  401,
                  'Server.ServerProxy.SslAuthenticationFailed',
                  'no client certificate',
                ),
              )
            : provide(request, pin),
        memoryBytes,
      )
    },
  )
  server.headersTimeout = 10_000
  server.requestTimeout = 60_000
  server.keepAliveTimeout = 65_000
  return server
}

/** The SHA-256 pin of a connection's client certificate: read once per TLS connection. */
const peerPins = new WeakMap<TLSSocket, string | undefined>()
function peerPinOf(socket: TLSSocket): string | undefined {
  if (peerPins.has(socket)) return peerPins.get(socket)
  const peer = socket.getPeerCertificate()
  const pin = peer?.raw === undefined ? undefined : certificatePin(peer.raw)
  peerPins.set(socket, pin)
  return pin
}

/** Bodies up to this size stay in memory; larger ones are spooled (`body.ts`). */
export const MEMORY_BODY_BYTES = 1024 * 1024
export const DEFAULT_MAX_BODY = 256 * 1024 * 1024

/**
 * Reads a request (bounded; spooled beyond memory), runs `answer`, streams the response;
 * removes both spools when done; never throws.
 */
export async function handle(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  maxBody: number,
  answer: (request: HttpRequest) => Promise<HttpResponse>,
  memoryBytes = MEMORY_BODY_BYTES,
): Promise<void> {
  let response: HttpResponse
  let body: Body | undefined
  try {
    try {
      body = await readBody(incoming, maxBody, memoryBytes)
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(incoming.headers))
        if (typeof value === 'string') headers[name] = value
        else if (Array.isArray(value)) headers[name] = value.join(', ')
      response = await answer({
        method: incoming.method ?? 'GET',
        url: incoming.url ?? '/',
        headers,
        body,
      })
    } catch (error) {
      response =
        error instanceof BodyTooLarge
          ? tooLarge(error)
          : refusalResponse(500, 'Server.ClientProxy.InternalError', 'the gateway failed')
    }
    if (outgoing.headersSent || outgoing.destroyed) return
    outgoing.statusCode = response.status
    for (const [name, value] of Object.entries(response.headers)) outgoing.setHeader(name, value)
    outgoing.setHeader('content-length', String(response.body.length))
    await sendBody(response.body, outgoing).catch(() => outgoing.destroy())
    disposeBody(response.body)
  } finally {
    disposeBody(body)
  }
}

/** The rest of an oversized body is not read: answer, then close the connection. */
function tooLarge(error: BodyTooLarge): HttpResponse {
  const refusal = refusalResponse(413, 'Client.InvalidRequest', error.message)
  return { ...refusal, headers: { ...refusal.headers, connection: 'close' } }
}

/** A body of at most `limit` bytes, kept in memory up to 1 MB and spooled to a file beyond. */
export function readBody(
  incoming: IncomingMessage,
  limit: number,
  memoryBytes = MEMORY_BODY_BYTES,
): Promise<Body> {
  return receiveBody(incoming, { limit, memoryBytes })
}

/** To another gateway over mutual TLS; its certificate must be the configuration's pin. */
export function sendToGateway(
  agent: Agent,
  target: GlobalConfiguration['gateways'][number],
  request: HttpRequest,
  maxBody: number,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL
    try {
      url = new URL(request.url, target.address)
    } catch {
      reject(new ExchangeError('NetworkError', `${target.address} is not an address`))
      return
    }
    if (url.protocol !== 'https:') {
      reject(new ExchangeError('NetworkError', `${target.address} is not an https address`))
      return
    }
    const outgoing = httpsRequest(
      url,
      {
        method: request.method,
        agent,
        headers: { ...request.headers, 'content-length': String(request.body.length) },
        timeout: 60_000,
      },
      (incoming) => {
        readBody(incoming, maxBody)
          .then((body) => {
            const headers: Record<string, string> = {}
            for (const [name, value] of Object.entries(incoming.headers))
              if (typeof value === 'string') headers[name] = value
            resolve({ status: incoming.statusCode ?? 502, headers, body })
          })
          .catch(() => {
            outgoing.destroy()
            reject(
              new ExchangeError(
                'NetworkError',
                'the provider gateway answered too much or broke off',
              ),
            )
          })
      },
    )
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')))
    outgoing.on('error', (error) =>
      reject(
        new ExchangeError(
          /pinned|certificate|SSL|TLS/i.test(error.message)
            ? 'SslAuthenticationFailed'
            : 'NetworkError',
          `cannot reach ${target.id}: ${error.message}`,
        ),
      ),
    )
    sendBody(request.body, outgoing).catch((error: Error) => outgoing.destroy(error))
  })
}
