// Sending a fuzzed request — through light-my-request, or over a real socket so the path
// arrives exactly as typed — and judging the answer against e-state's error contract.
import { Agent, request as httpRequest } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { safeEncode } from './fuzz-bodies.ts'
import type { FuzzRequest } from './fuzz-requests.ts'

export interface FuzzResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>
  readonly body: Buffer
}

/** A request with its placeholders filled, ready to go. */
export interface ConcreteRequest {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string | string[]>
  readonly payload?: string | Buffer
  readonly transport: FuzzRequest['transport']
}

const ANSWER_WITHIN_MS = 20_000

export function createSender(server: FastifyInstance, port: number) {
  const agent = new Agent({ keepAlive: false })
  return {
    async send(request: ConcreteRequest): Promise<FuzzResponse> {
      const pending = request.transport === 'socket' ? overSocket(request) : injected(request)
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)),
          ANSWER_WITHIN_MS,
        )
      })
      try {
        return await Promise.race([pending, late])
      } finally {
        clearTimeout(timer)
      }
    },
    close(): void {
      agent.destroy()
    },
  }

  async function injected(request: ConcreteRequest): Promise<FuzzResponse> {
    const reply = await server.inject({
      method: request.method as 'GET',
      url: request.url,
      headers: request.headers,
      ...(request.payload === undefined || request.payload.length === 0
        ? {}
        : { payload: request.payload }),
    })
    return { status: reply.statusCode, headers: reply.headers, body: reply.rawPayload }
  }

  function overSocket(request: ConcreteRequest): Promise<FuzzResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: '127.0.0.1',
          port,
          agent,
          method: request.method,
          // Node sends the path as given; only what it would refuse to send is escaped.
          path: [...request.url]
            .map((char) => (/^[!-~]$/.test(char) ? char : safeEncode(char)))
            .join(''),
          // Framed by its length: Node would send a GET's body unframed, as a second request.
          headers: {
            ...request.headers,
            ...(request.payload === undefined || request.payload.length === 0
              ? {}
              : { 'content-length': String(Buffer.byteLength(request.payload)) }),
          },
          setHost: request.headers.host === undefined,
        },
        (incoming) => {
          const chunks: Buffer[] = []
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
          incoming.on('end', () =>
            resolve({
              status: incoming.statusCode ?? 0,
              headers: incoming.headers,
              body: Buffer.concat(chunks),
            }),
          )
          incoming.on('error', reject)
        },
      )
      outgoing.on('error', reject)
      outgoing.end(
        request.payload === undefined || request.payload.length === 0 ? undefined : request.payload,
      )
    })
  }
}

/**
 * What e-state promises every client, however hostile: never a 5xx — save the exchange
 * gateway's own X-Road failures (`Server.ClientProxy.…`, `Server.ServerProxy.…`, a provider or
 * a gateway that failed, reported as X-Road reports it; but not `InternalError`, which is the
 * gateway catching an exception it did not expect) — and every 4xx a problem document
 * (RFC 9457, with `code` and the same `status`), except where a protocol has its own
 * refusals: the gateway's X-Road error body (`{type, message}` with `X-Road-Error`) and the
 * tlog-witness's plain text. Returns what was wrong, if anything.
 */
export function breachOf(request: ConcreteRequest, response: FuzzResponse): string | undefined {
  const path = request.url.split('?')[0]
  const xRoadError = headerOf(response, 'x-road-error')
  const contentType = headerOf(response, 'content-type') ?? ''
  const gatewayError = path.startsWith('/r1/') && xRoadError !== undefined
  if (response.status >= 500) {
    const providerFailure =
      gatewayError &&
      /^Server\.(ClientProxy|ServerProxy)\./.test(xRoadError) &&
      !xRoadError.endsWith('.InternalError') &&
      xRoadBodyOf(response, xRoadError) === undefined
    if (providerFailure) return undefined
    return `answered ${response.status}${xRoadError === undefined ? '' : ` (X-Road-Error: ${xRoadError})`}`
  }
  if (response.status < 400 || request.method === 'HEAD') return undefined
  // Node's own refusal of a header block too large, before any of e-state runs (test/http-edge).
  if (request.transport === 'socket' && response.status === 431) return undefined
  if (path === '/witness/add-checkpoint') return undefined
  if (gatewayError) return xRoadBodyOf(response, xRoadError)
  if (!contentType.startsWith('application/problem+json'))
    return `a ${response.status} that is not a problem document (content-type ${JSON.stringify(contentType)})`
  const problem = jsonOf(response.body) as { code?: unknown; status?: unknown } | undefined
  if (typeof problem?.code !== 'string' || problem.status !== response.status)
    return `a ${response.status} problem document without a code or with another status`
  return undefined
}

/** X-Road's error body: JSON `{type, message, detail}`, its type the X-Road-Error header's. */
function xRoadBodyOf(response: FuzzResponse, xRoadError: string): string | undefined {
  const contentType = headerOf(response, 'content-type') ?? ''
  const body = jsonOf(response.body) as { type?: unknown; message?: unknown } | undefined
  if (
    !contentType.startsWith('application/json') ||
    body?.type !== xRoadError ||
    typeof body.message !== 'string'
  )
    return `a ${response.status} with X-Road-Error ${xRoadError} but not X-Road's JSON error body (${contentType}: ${response.body.toString('utf8').slice(0, 200)})`
  return undefined
}

function headerOf(response: FuzzResponse, name: string): string | undefined {
  const value = response.headers[name]
  return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value)
}

function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

/** A request for a report: long values cut, bytes summarised. */
export function describeRequest(request: ConcreteRequest | FuzzRequest): string {
  const cut = (text: string) =>
    text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text
  const headers = Object.entries(request.headers).map(
    ([name, value]) => `  ${name}: ${cut(JSON.stringify(value))}`,
  )
  const payload =
    'payload' in request ? request.payload : 'body' in request ? request.body.payload : undefined
  const kind = 'body' in request ? ` [${request.body.kind}]` : ''
  const shown =
    payload === undefined
      ? '(no body)'
      : typeof payload === 'string'
        ? cut(JSON.stringify(payload))
        : `${payload.length} bytes, base64 ${cut(payload.toString('base64'))}`
  return [
    `${request.method} ${cut(request.url)} via ${request.transport}`,
    ...headers,
    `  body${kind}: ${shown}`,
  ].join('\n')
}
