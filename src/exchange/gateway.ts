/**
 * A gateway: X-Road's security server for e-state. It has two halves, and every call between
 * agencies passes through both — the consumer's and the provider's — whether the two live in
 * one process (an in-process transport that still signs, checks and logs) or on two machines
 * (mutual TLS):
 *
 * consume  (the client information system calls its own gateway)
 *   parse the service path and the X-Road headers → the client must be a subsystem of a member
 *   this gateway hosts, and the caller that member → find the provider's gateway in the global
 *   configuration → sign the request with the client member's key → send → check the response:
 *   signed by the provider member, bound to this request's hash → log → answer with the X-Road
 *   response headers.
 *
 * provide  (another gateway forwards a signed request)
 *   the sending gateway must be the one the configuration names for the client's member → the
 *   client member's signature → the service exists here → access rights (deny by default) →
 *   the backend (its own 4xx/5xx passed through untouched; a failure to answer is
 *   ServiceFailed) → sign the response over the request hash → log.
 *
 * Errors raised by a gateway carry `X-Road-Error` and a `{type, message, detail}` body; a
 * provider's own answer never does.
 */
import { randomUUID, X509Certificate } from 'node:crypto'
import type { Signer } from '../trust/index.ts'
import { isAllowed, type AccessRight } from './access-rights.ts'
import { ExchangeError, errorTypeFor } from './errors.ts'
import { certificatePin, type GlobalConfiguration } from './global-conf.ts'
import { digestOfBody, disposeBody, SpooledBody, type Body } from './body.ts'
import {
  requestBytes,
  requestHash,
  responseBytes,
  signMessage,
  verifyMessage,
  verifyingKeyOf,
  type VerifyingKey,
  type MessageSignature,
  type RequestParts,
} from './message.ts'
import {
  formatServiceId,
  parseClientHeader,
  parseRequestPath,
  providerMemberOf,
  providerSubsystemOf,
} from './request-path.ts'
import {
  answerMetaservice,
  METASERVICES,
  SHAPE_HEADER,
  type ProvidedService,
} from './metaservices.ts'

/**
 * An HTTP message as the gateway sees it: lower-case header names, and the body in memory or,
 * when large, spooled to a file (`body.ts`).
 */
export interface HttpMessage {
  readonly headers: Readonly<Record<string, string>>
  readonly body: Body
}

export interface HttpRequest extends HttpMessage {
  readonly method: string
  /** Path and query as received. */
  readonly url: string
}

export interface HttpResponse extends HttpMessage {
  readonly status: number
}

export interface ServiceRecord {
  readonly serviceId: string
  readonly backend: string
  readonly timeoutMs: number
  readonly bodyLogging: 'body' | 'metadata' | 'off'
}

/** What the gateway needs from the rest of the node. */
export interface GatewayPorts {
  /** The configuration in force (throws OutdatedGlobalConf when it has expired). */
  configuration(): GlobalConfiguration
  /** This gateway's id in the configuration. */
  readonly gatewayId: string
  /** The signing key of a member this gateway hosts. */
  signerOf(member: string): Promise<{ signer: Pick<Signer, 'sign'>; certificate: Buffer }>
  service(serviceId: string): Promise<ServiceRecord | undefined>
  rights(serviceId: string): Promise<readonly AccessRight[]>
  /** A provider subsystem's services with their descriptions and rights (metaservices). */
  servicesOf(subsystem: string): Promise<readonly ProvidedService[]>
  /** Calls a service's backend. Throws ExchangeError('ServiceFailed' | 'NetworkError') if it cannot. */
  callBackend(service: ServiceRecord, request: BackendRequest): Promise<HttpResponse>
  /** Sends a signed request to another gateway (or this one, in process). */
  send(
    gateway: GlobalConfiguration['gateways'][number],
    request: HttpRequest,
  ): Promise<HttpResponse>
  log(record: MessageRecord): Promise<void>
  now(): Date
}

export interface BackendRequest extends HttpRequest {
  readonly client: string
  readonly messageId: string
  readonly requestId?: string
  readonly userId?: string
  readonly issue?: string
  readonly representedParty?: string
}

export interface MessageRecord {
  readonly side: 'consumer' | 'provider'
  readonly messageId: string
  readonly client: string
  readonly service: string
  readonly method: string
  readonly path: string
  readonly userId?: string
  readonly requestHash?: string
  readonly requestSignature?: MessageSignature
  readonly responseSignature?: MessageSignature
  /** The exact bytes each signature covers (for evidence). */
  readonly requestSigned?: Buffer
  readonly responseSigned?: Buffer
  readonly status: number
  readonly errorType?: string
  /** The bodies when they were in memory; a spooled body is logged by its digest and size. */
  readonly requestBody: Buffer
  readonly responseBody: Buffer
  readonly spooled?: {
    readonly request?: { readonly digest: Buffer; readonly length: number }
    readonly response?: { readonly digest: Buffer; readonly length: number }
  }
  readonly bodyLogging: 'body' | 'metadata' | 'off'
  readonly startedAt: Date
  readonly durationMs: number
}

/** What every log record of a message says first: who called what, for whom. */
function recordHead(
  side: MessageRecord['side'],
  id: string,
  request: HttpRequest,
  context: { readonly client: string; readonly service: string; readonly path: string },
  userId: string | undefined,
): Pick<MessageRecord, 'side' | 'messageId' | 'client' | 'service' | 'method' | 'path' | 'userId'> {
  return {
    side,
    messageId: id,
    client: context.client,
    service: context.service,
    method: request.method,
    path: context.path,
    ...(userId === undefined ? {} : { userId }),
  }
}

/** A record's bodies: in memory as they are, spooled ones by digest and size. */
function loggedBodies(
  request: Body,
  response: Body,
): Pick<MessageRecord, 'requestBody' | 'responseBody' | 'spooled'> {
  const spooledOf = (body: Body) =>
    body instanceof SpooledBody ? { digest: body.digest, length: body.length } : undefined
  const spooled = { request: spooledOf(request), response: spooledOf(response) }
  return {
    requestBody: request instanceof SpooledBody ? Buffer.alloc(0) : request,
    responseBody: response instanceof SpooledBody ? Buffer.alloc(0) : response,
    ...(spooled.request === undefined && spooled.response === undefined
      ? {}
      : {
          spooled: {
            ...(spooled.request === undefined ? {} : { request: spooled.request }),
            ...(spooled.response === undefined ? {} : { response: spooled.response }),
          },
        }),
  }
}

export const SIGNATURE_HEADER = 'x-estate-signature'
const CLIENT_HEADERS = ['x-road-client', 'x-govstack-client', 'information-mediator-client']
/** Never passed on: hop-by-hop (RFC 9110 §7.6.1), framing, and what is the gateway's own. */
const NOT_PASSED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'authorization',
  'cookie',
  'set-cookie',
  'expect',
  'http2-settings',
  'date',
  SIGNATURE_HEADER,
  ...CLIENT_HEADERS,
])
const X_ROAD_ID = /^[\x21-\x7e]{1,200}$/

export interface Gateway {
  /** A client information system's call, authenticated as `callerMember`. */
  consume(request: HttpRequest, callerMember: string): Promise<HttpResponse>
  /** A signed request from the gateway whose TLS certificate has `peerPin` (in process: none). */
  provide(request: HttpRequest, peerPin: string | undefined): Promise<HttpResponse>
}

export function createGateway(ports: GatewayPorts): Gateway {
  return {
    async consume(request, callerMember) {
      const startedAt = ports.now()
      const id = messageIdOf(request.headers, ports.gatewayId)
      let context: { client: string; service: string; path: string } = {
        client: '',
        service: '',
        path: '',
      }
      try {
        const parsed = parseRequestPath(request.url)
        const client = clientOf(request.headers)
        context = { client, service: formatServiceId(parsed.service), path: parsed.path }
        const configuration = ports.configuration()
        const member = client.split('/').slice(0, 3).join('/')
        if (member !== callerMember)
          throw new ExchangeError(
            'SslAuthenticationFailed',
            `the caller is authenticated as ${callerMember}, not as ${member}`,
            undefined,
            { status: 401 },
          )
        const hosting = configuration.gateways.find((gateway) => gateway.id === ports.gatewayId)
        if (hosting === undefined || !hosting.serves.includes(member))
          throw new ExchangeError('UnknownMember', `${member} is not a client of this gateway`)
        if (!configuration.subsystems.some((subsystem) => subsystem.id === client))
          throw new ExchangeError('UnknownMember', `${client} is not a registered subsystem`)
        const providerMember = providerMemberOf(parsed.service)
        if (!configuration.members.some((entry) => entry.id === providerMember))
          throw new ExchangeError('UnknownMember', `no member ${providerMember}`)
        const provider = configuration.gateways.find((gateway) =>
          gateway.serves.includes(providerMember),
        )
        if (provider === undefined)
          throw new ExchangeError('UnknownService', `no gateway provides ${providerMember}`)

        const passed = passedHeaders(request.headers)
        // A GovStack client gets GovStack-shaped metaservice answers (the flag is signed).
        if (
          request.headers['x-road-client'] === undefined &&
          request.headers['x-govstack-client'] !== undefined
        )
          passed[SHAPE_HEADER] = 'govstack'
        const requestId = randomUUID()
        const parts = requestPartsOf(request, parsed, id, client, passed, requestId)
        const signedAt = ports.now().toISOString()
        const key = await ports.signerOf(member)
        const bytes = requestBytes(parts, signedAt)
        const signature = await signMessage(
          bytes,
          key.signer,
          certificatePin(key.certificate),
          signedAt,
        )
        const hash = requestHash(bytes, signature)
        const forwarded = await ports.send(provider, {
          method: request.method,
          url: `/r1/${context.service.split('/').map(encodeURIComponent).join('/')}${parsed.encodedPath}${parsed.query === '' ? '' : `?${parsed.query}`}`,
          headers: {
            ...passed,
            'x-road-client': client,
            'x-road-id': id,
            'x-road-request-id': requestId,
            ...optionalHeaders(parts),
            [SIGNATURE_HEADER]: JSON.stringify(signature),
          },
          body: request.body,
        })
        let responseSignature: MessageSignature | undefined
        try {
          responseSignature = checkResponse(forwarded, configuration, providerMember, hash, id)
        } catch (error) {
          disposeBody(forwarded.body) // an unchecked answer is never passed on
          throw error
        }
        await ports.log({
          ...recordHead('consumer', id, request, context, parts.userId),
          requestHash: hash,
          requestSignature: signature,
          requestSigned: bytes,
          ...(responseSignature === undefined
            ? {}
            : {
                responseSignature,
                responseSigned: signedResponseBytes(forwarded, id, hash, responseSignature),
              }),
          status: forwarded.status,
          ...(forwarded.headers['x-road-error'] === undefined
            ? {}
            : { errorType: forwarded.headers['x-road-error'] }),
          ...loggedBodies(request.body, forwarded.body),
          bodyLogging: 'body',
          startedAt,
          durationMs: ports.now().getTime() - startedAt.getTime(),
        })
        return {
          status: forwarded.status,
          headers: {
            ...signedHeaders(forwarded.headers),
            'x-road-client': client,
            'x-road-service': context.service,
            'x-road-id': id,
            'x-road-request-id': requestId,
            'x-road-request-hash': hash,
          },
          body: forwarded.body,
        }
      } catch (error) {
        const failure = asExchangeError(error)
        const response = errorResponse(failure, 'consumer', id, context)
        await logRefusal('consumer', failure, response, request, id, context, startedAt, {})
        return response
      }
    },

    async provide(request, peerPin) {
      const startedAt = ports.now()
      const id = messageIdOf(request.headers, ports.gatewayId)
      let context = { client: '', service: '', path: '' }
      let hash: string | undefined
      let requestSignature: MessageSignature | undefined
      try {
        const configuration = ports.configuration()
        const parsed = parseRequestPath(request.url)
        const client = clientOf(request.headers)
        context = { client, service: formatServiceId(parsed.service), path: parsed.path }
        const clientMember = client.split('/').slice(0, 3).join('/')
        if (peerPin !== undefined) {
          const sender = configuration.gateways.find(
            (gateway) => gateway.tlsCertificateSha256 === peerPin,
          )
          if (sender === undefined || !sender.serves.includes(clientMember))
            throw new ExchangeError(
              'SslAuthenticationFailed',
              "the sending gateway is not the one registered for the client's member",
            )
        }
        requestSignature = signatureOf(request.headers)
        const certificate = memberCertificate(configuration, clientMember, requestSignature)
        const parts = requestPartsOf(
          request,
          parsed,
          id,
          client,
          passedHeaders(request.headers),
          request.headers['x-road-request-id'],
        )
        const bytes = requestBytes(parts, requestSignature.signedAt)
        verifyMessage(bytes, requestSignature, certificate, 'InvalidSignatureValue')
        hash = requestHash(bytes, requestSignature)

        const providerMember = providerMemberOf(parsed.service)
        const hosting = configuration.gateways.find((gateway) => gateway.id === ports.gatewayId)
        if (hosting === undefined || !hosting.serves.includes(providerMember))
          throw new ExchangeError('UnknownMember', `${providerMember} is not served here`)
        const groups = configuration.groups
          .filter((group) => group.members.includes(client))
          .map((group) => group.code)
        // Signs the answer over the request hash, logs both signatures, returns it.
        const answerSigned = async (
          answer: HttpResponse,
          bodyLogging: MessageRecord['bodyLogging'],
        ): Promise<HttpResponse> => {
          const response = await signResponse(answer, providerMember, id, hash as string)
          const responseSignature = signatureOf(response.headers)
          await ports.log({
            ...recordHead('provider', id, request, context, parts.userId),
            requestHash: hash,
            requestSignature,
            requestSigned: bytes,
            responseSignature,
            responseSigned: signedResponseBytes(response, id, hash as string, responseSignature),
            status: answer.status,
            ...loggedBodies(request.body, answer.body),
            bodyLogging,
            startedAt,
            durationMs: ports.now().getTime() - startedAt.getTime(),
          })
          return response
        }
        if (METASERVICES.has(parsed.service.serviceCode)) {
          const answer = answerMetaservice(
            parsed.service,
            parsed.query,
            await ports.servicesOf(providerSubsystemOf(parsed.service)),
            { id: client, groups },
            request.headers[SHAPE_HEADER] === 'govstack' ? 'govstack' : 'x-road',
          )
          return answerSigned(
            {
              status: 200,
              headers: { 'content-type': answer.contentType },
              body: Buffer.from(answer.body, 'utf8'),
            },
            'metadata',
          )
        }
        const service = await ports.service(context.service)
        if (service === undefined)
          throw new ExchangeError('UnknownService', `no service ${context.service}`)
        if (
          !isAllowed(await ports.rights(context.service), {
            service: context.service,
            client,
            groups,
            method: request.method,
            path: parsed.path,
          })
        )
          throw new ExchangeError(
            'AccessDenied',
            `${client} may not call ${request.method} ${parsed.path} of ${context.service}`,
          )
        const answer = await ports.callBackend(service, {
          method: request.method,
          url: `${parsed.encodedPath}${parsed.query === '' ? '' : `?${parsed.query}`}`,
          headers: parts.headers,
          body: request.body,
          client,
          messageId: id,
          ...(parts.requestId === undefined ? {} : { requestId: parts.requestId }),
          ...(parts.userId === undefined ? {} : { userId: parts.userId }),
          ...(parts.issue === undefined ? {} : { issue: parts.issue }),
          ...(parts.representedParty === undefined
            ? {}
            : { representedParty: parts.representedParty }),
        })
        try {
          return await answerSigned(
            { status: answer.status, headers: passedHeaders(answer.headers), body: answer.body },
            service.bodyLogging,
          )
        } catch (error) {
          disposeBody(answer.body)
          throw error
        }
      } catch (error) {
        const failure = asExchangeError(error)
        const unsigned = errorResponse(failure, 'provider', id, context)
        await logRefusal('provider', failure, unsigned, request, id, context, startedAt, {
          ...(hash === undefined ? {} : { requestHash: hash }),
          ...(requestSignature === undefined ? {} : { requestSignature }),
        })
        // Refusals of a verified request are signed too, so the consumer can trust them.
        const member = context.service.split('/').slice(0, 3).join('/')
        if (hash === undefined) return unsigned
        try {
          return await signResponse(unsigned, member, id, hash)
        } catch {
          return unsigned
        }
      }
    },
  }

  /** Logs a refused message (metadata only); a failing log never hides the refusal. */
  async function logRefusal(
    side: 'consumer' | 'provider',
    failure: ExchangeError,
    response: HttpResponse,
    request: HttpRequest,
    id: string,
    context: { client: string; service: string; path: string },
    startedAt: Date,
    signatures: Pick<MessageRecord, 'requestHash' | 'requestSignature'>,
  ): Promise<void> {
    await ports
      .log({
        ...recordHead(side, id, request, context, undefined),
        ...signatures,
        status: response.status,
        errorType: errorTypeFor(failure, side),
        ...loggedBodies(request.body, Buffer.alloc(0)),
        bodyLogging: 'metadata',
        startedAt,
        durationMs: ports.now().getTime() - startedAt.getTime(),
      })
      .catch(() => undefined)
  }

  async function signResponse(
    response: HttpResponse,
    member: string,
    id: string,
    hash: string,
  ): Promise<HttpResponse> {
    const key = await ports.signerOf(member)
    const signedAt = ports.now().toISOString()
    const bytes = responseBytes(
      {
        id,
        requestHash: hash,
        status: response.status,
        headers: signedHeaders(response.headers),
        bodyDigest: digestOfBody(response.body),
      },
      signedAt,
    )
    const signature = await signMessage(
      bytes,
      key.signer,
      certificatePin(key.certificate),
      signedAt,
    )
    return {
      status: response.status,
      headers: {
        ...response.headers,
        'x-road-request-hash': hash,
        [SIGNATURE_HEADER]: JSON.stringify(signature),
      },
      body: response.body,
    }
  }
}

/** The bytes a response signature covers, rebuilt from the response as sent or received. */
function signedResponseBytes(
  response: HttpResponse,
  id: string,
  hash: string,
  signature: MessageSignature,
): Buffer {
  return responseBytes(
    {
      id,
      requestHash: hash,
      status: response.status,
      headers: signedHeaders(response.headers),
      bodyDigest: digestOfBody(response.body),
    },
    signature.signedAt,
  )
}

/** The provider's signature over this very request's hash; returns it, or throws. */
function checkResponse(
  response: HttpResponse,
  configuration: GlobalConfiguration,
  providerMember: string,
  hash: string,
  id: string,
): MessageSignature | undefined {
  const header = response.headers[SIGNATURE_HEADER]
  // An unsigned answer is only acceptable as the provider gateway's refusal of an unverified
  // request (it had nothing to bind the answer to): passed on as that gateway's error.
  if (header === undefined) {
    if (response.headers['x-road-error'] !== undefined) return undefined
    throw new ExchangeError('MissingSignature', 'the provider gateway answered without a signature')
  }
  const signature = signatureOf(response.headers)
  if (response.headers['x-road-request-hash'] !== hash)
    throw new ExchangeError('InconsistentResponse', 'the response answers another request')
  const certificate = memberCertificate(configuration, providerMember, signature)
  verifyMessage(
    responseBytes(
      {
        id,
        requestHash: hash,
        status: response.status,
        headers: signedHeaders(response.headers),
        bodyDigest: digestOfBody(response.body),
      },
      signature.signedAt,
    ),
    signature,
    certificate,
    'InvalidSignatureValue',
  )
  return signature
}

/** Members' keys by configuration, member and certificate pin: parsed once per configuration. */
const memberKeys = new WeakMap<GlobalConfiguration, Map<string, Map<string, VerifyingKey>>>()

function memberCertificate(
  configuration: GlobalConfiguration,
  member: string,
  signature: MessageSignature,
): VerifyingKey {
  let members = memberKeys.get(configuration)
  if (members === undefined) memberKeys.set(configuration, (members = new Map()))
  let keys = members.get(member)
  if (keys === undefined) {
    keys = new Map()
    const entry = configuration.members.find((candidate) => candidate.id === member)
    for (const text of entry?.signingCertificates ?? []) {
      const der = Buffer.from(text, 'base64')
      try {
        keys.set(certificatePin(der), verifyingKeyOf(new X509Certificate(der)))
      } catch {
        // an unreadable certificate in the configuration verifies nothing
      }
    }
    members.set(member, keys)
  }
  const key = keys.get(signature.certificate)
  if (key === undefined)
    throw new ExchangeError(
      'InvalidSignatureValue',
      `the message is not signed with a key of ${member} in the global configuration`,
    )
  return key
}

function signatureOf(headers: Readonly<Record<string, string>>): MessageSignature {
  const header = headers[SIGNATURE_HEADER]
  if (header === undefined) throw new ExchangeError('MissingSignature', 'the message is not signed')
  try {
    const parsed = JSON.parse(header) as MessageSignature
    if (
      typeof parsed.value === 'string' &&
      typeof parsed.signedAt === 'string' &&
      typeof parsed.certificate === 'string'
    )
      return parsed
  } catch {
    // fall through
  }
  throw new ExchangeError('InvalidSignatureValue', 'the signature header is malformed')
}

function clientOf(headers: Readonly<Record<string, string>>): string {
  const value = CLIENT_HEADERS.map((name) => headers[name]).find((found) => found !== undefined)
  if (value === undefined)
    throw new ExchangeError('MissingHeader', 'name the client subsystem in X-Road-Client')
  return parseClientHeader(value)
}

/** The client's `X-Road-Id`, or one made as X-Road makes it: `{instance}-{UUID}`. */
function messageIdOf(headers: Readonly<Record<string, string>>, gatewayId: string): string {
  const given = headers['x-road-id']
  if (given !== undefined && X_ROAD_ID.test(given)) return given
  return `${gatewayId.split('/')[0]}-${randomUUID()}`
}

function xRoadHeaders(headers: Readonly<Record<string, string>>) {
  const userId = headers['x-road-userid']
  const issue = headers['x-road-issue']
  const representedParty = headers['x-road-represented-party']
  for (const [name, value] of [
    ['X-Road-UserId', userId],
    ['X-Road-Issue', issue],
    ['X-Road-Represented-Party', representedParty],
  ] as const)
    if (value !== undefined && (value.length > 1000 || hasControlCharacters(value)))
      throw new ExchangeError('InvalidRequest', `${name} is too long or has control characters`)
  return {
    ...(userId === undefined ? {} : { userId }),
    ...(issue === undefined ? {} : { issue }),
    ...(representedParty === undefined ? {} : { representedParty }),
  }
}

/** What a request signature covers, read the same way by both gateway halves. */
function requestPartsOf(
  request: HttpRequest,
  parsed: ReturnType<typeof parseRequestPath>,
  id: string,
  client: string,
  headers: Record<string, string>,
  requestId: string | undefined,
): RequestParts {
  return {
    id,
    client,
    service: formatServiceId(parsed.service),
    method: request.method,
    path: parsed.path,
    query: parsed.query,
    ...xRoadHeaders(request.headers),
    headers,
    bodyDigest: digestOfBody(request.body),
    ...(requestId === undefined ? {} : { requestId }),
  }
}

function optionalHeaders(parts: RequestParts): Record<string, string> {
  return {
    ...(parts.userId === undefined ? {} : { 'x-road-userid': parts.userId }),
    ...(parts.issue === undefined ? {} : { 'x-road-issue': parts.issue }),
    ...(parts.representedParty === undefined
      ? {}
      : { 'x-road-represented-party': parts.representedParty }),
  }
}

/** The headers that travel end to end: not hop-by-hop, not X-Road's own, not credentials. */
export function passedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const passed: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (NOT_PASSED.has(name) || name.startsWith('x-road-')) continue
    passed[name] = value
  }
  return passed
}

/** The response headers a provider signs: those passed end to end, and its X-Road-Error. */
function signedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const signed = passedHeaders(headers)
  if (headers['x-road-error'] !== undefined) signed['x-road-error'] = headers['x-road-error']
  return signed
}

function asExchangeError(error: unknown): ExchangeError {
  if (error instanceof ExchangeError) return error
  return new ExchangeError('InternalError', 'the gateway failed', (error as Error)?.message)
}

function errorResponse(
  error: ExchangeError,
  side: 'consumer' | 'provider',
  id: string,
  context: { client: string; service: string },
): HttpResponse {
  const type = errorTypeFor(error, side)
  return {
    status: error.status,
    headers: {
      'content-type': 'application/json',
      'x-road-error': type,
      'x-road-id': id,
      ...(context.client === '' ? {} : { 'x-road-client': context.client }),
      ...(context.service === '' ? {} : { 'x-road-service': context.service }),
    },
    body: Buffer.from(
      JSON.stringify({ type, message: error.message, detail: error.detail ?? id }),
      'utf8',
    ),
  }
}

function hasControlCharacters(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

/** A refusal in X-Road's form, for the edges that answer before a gateway is involved. */
export function refusalResponse(status: number, type: string, message: string): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-road-error': type },
    body: Buffer.from(JSON.stringify({ type, message, detail: '' }), 'utf8'),
  }
}

/** The headers a backend receives: the passed ones and the verified X-Road ones. */
export function backendHeaders(request: BackendRequest): Record<string, string> {
  return {
    ...request.headers,
    'x-road-client': request.client,
    'x-road-id': request.messageId,
    ...(request.requestId === undefined ? {} : { 'x-road-request-id': request.requestId }),
    ...(request.userId === undefined ? {} : { 'x-road-userid': request.userId }),
    ...(request.issue === undefined ? {} : { 'x-road-issue': request.issue }),
    ...(request.representedParty === undefined
      ? {}
      : { 'x-road-represented-party': request.representedParty }),
  }
}
