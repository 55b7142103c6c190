// Requests for one operation of the OpenAPI document, generated with fast-check: a request a
// well-behaved client would send, with a few of its parts — path, query, credentials, other
// headers, body — swapped for hostile ones. Mostly one or two parts at a time, so a request
// gets past the checks that would refuse it anyway and into the code behind them; sometimes
// every part at once.
import fc from 'fast-check'
import {
  anyBody,
  containerBytes,
  derBody,
  plausibleBody,
  witnessBody,
  ASICE,
  type BodySeeds,
  type FuzzBody,
} from './fuzz-bodies.ts'
import { credentialsFor, duplicated, extraHeaders, sanitiseHeaders } from './fuzz-headers.ts'
import { pathFor, queryFor } from './fuzz-targets.ts'
import type { Hints, JsonSchema } from './fuzz-values.ts'

export { CLERK_SESSION, HOLDER_SESSION } from './fuzz-headers.ts'

/** One method of one path in the OpenAPI document. */
export interface Operation {
  readonly method: string
  readonly template: string
  readonly parameters: readonly Parameter[]
  readonly body?: JsonSchema
}

interface Parameter {
  readonly name: string
  readonly in: string
  readonly required?: boolean
  readonly schema?: JsonSchema
}

interface OpenApiDocument {
  readonly paths: Record<
    string,
    Record<
      string,
      {
        readonly parameters?: readonly Parameter[]
        readonly requestBody?: {
          readonly content?: Record<string, { readonly schema?: JsonSchema }>
        }
      }
    >
  >
}

export interface Member {
  readonly agency: string
  readonly client: string
  readonly apiKey: string
}

/** What the fuzz knows about the running platform, so requests reach past the checks. */
export interface FuzzContext {
  readonly members: readonly Member[]
  /** Service ids by registry (`population` → `EE/GOV/70000013/population-register/population`). */
  readonly services: ReadonlyMap<string, string>
  readonly subsystems: readonly string[]
  readonly personalCodes: readonly string[]
  readonly hints: Hints
  readonly seeds: BodySeeds
  readonly bodyLimit: number
}

/** A request as generated: plain data, so a failure prints it and it can be sent again. */
export interface FuzzRequest {
  readonly method: string
  /** The request target exactly as sent (path and query). */
  readonly url: string
  readonly headers: Readonly<Record<string, string | readonly string[]>>
  readonly body: FuzzBody
  /** `inject` (light-my-request) or `socket` (a real HTTP/1.1 connection, the path unnormalised). */
  readonly transport: 'inject' | 'socket'
  /** Ask the app for a login challenge first and send its cookie along. */
  readonly preflight?: 'challenge' | 'passkey-login' | 'passkey-register'
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = []
  for (const [template, methods] of Object.entries(document.paths))
    for (const [method, operation] of Object.entries(methods)) {
      const body = operation.requestBody?.content?.['application/json']?.schema
      operations.push({
        method: method.toUpperCase(),
        template,
        parameters: operation.parameters ?? [],
        ...(body === undefined ? {} : { body }),
      })
    }
  return operations
}

/** The body limit the route sets (or the app's default). */
export function bodyLimitOf(template: string, defaultLimit: number): number {
  if (template.startsWith('/r1/')) return 10 * 1024 * 1024
  if (template === '/signatures/validate') return 64 * 1024 * 1024
  if (template === '/signatures/prepare') return Math.ceil((64 * 1024 * 1024 * 4) / 3) + 64 * 1024
  if (template === '/witness/add-checkpoint') return 65_536
  if (template.startsWith('/trust/')) return 16_384
  if (template.startsWith('/api/v1/openapi/')) return 2 * 1024 * 1024
  return defaultLimit
}

const PARTS = ['path', 'query', 'credentials', 'headers', 'body'] as const
type Part = (typeof PARTS)[number]

/** Which parts are hostile: none, one (most often), two, or all of them. */
function hostileParts(): fc.Arbitrary<ReadonlySet<Part>> {
  return fc
    .oneof(
      { weight: 2, arbitrary: fc.constant<Part[]>([]) },
      { weight: 5, arbitrary: fc.constantFrom(...PARTS).map((part) => [part]) },
      { weight: 2, arbitrary: fc.shuffledSubarray([...PARTS], { minLength: 2, maxLength: 2 }) },
      { weight: 1, arbitrary: fc.constant<Part[]>([...PARTS]) },
    )
    .map((parts) => new Set(parts))
}

export function requestFor(operation: Operation, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const registry = /^\/data\/([a-z-]+)\//.exec(operation.template)?.[1]
  const service = registry === undefined ? undefined : context.services.get(registry)
  return hostileParts().chain((hostile) =>
    fc
      .record({
        path: pathFor(operation, context, hostile.has('path')),
        query: queryFor(operation, context, hostile.has('query')),
        credentials: credentialsFor(operation, context, hostile.has('credentials')),
        extra: extraHeaders(hostile.has('headers')),
        duplicate: hostile.has('headers') ? duplicated() : fc.constant(null),
        body: bodyFor(operation, context, hostile.has('body')),
        transport: fc.constantFrom<FuzzRequest['transport']>(
          'inject',
          'inject',
          'inject',
          'socket',
        ),
        // The registries answer only the provider gateway: most calls go through /r1.
        throughGateway:
          service === undefined
            ? fc.constant(false)
            : fc.constantFrom(true, true, true, true, false),
        preflight: preflightFor(operation),
      })
      .map(
        ({
          path,
          query,
          credentials,
          extra,
          duplicate,
          body,
          transport,
          throughGateway,
          preflight,
        }) => {
          const target =
            throughGateway && service !== undefined && registry !== undefined
              ? `/r1/${service}${path.slice(`/data/${registry}`.length)}`
              : path
          const url = `${target}${query === '' ? '' : `?${query}`}`
          const headers: Record<string, string | string[]> = { ...extra, ...credentials }
          if (body.contentType !== undefined) headers['content-type'] = body.contentType
          if (duplicate !== null && headers[duplicate] !== undefined)
            headers[duplicate] = [String(headers[duplicate]), `${String(headers[duplicate])}x`]
          // Over a socket only what Node's parser lets through (16 KiB of request line and
          // headers; its 431 to a HEAD carries a body no client can read); big bodies by inject.
          const headerBytes = Object.entries(headers).reduce(
            (sum, [name, value]) => sum + name.length + String(value).length + 4,
            url.length,
          )
          const viaSocket =
            transport === 'socket' && headerBytes < 12_000 && (body.payload?.length ?? 0) <= 65_536
          if (viaSocket) {
            delete headers['content-length']
            delete headers['transfer-encoding']
            delete headers.expect
          }
          const request: FuzzRequest = {
            method: operation.method,
            url,
            headers: sanitiseHeaders(headers),
            body,
            transport: viaSocket ? 'socket' : 'inject',
            ...(preflight === null ? {} : { preflight }),
          }
          return request
        },
      ),
  )
}

function preflightFor(operation: Operation): fc.Arbitrary<FuzzRequest['preflight'] | null> {
  const kind =
    operation.template === '/auth/web-eid'
      ? 'challenge'
      : operation.template === '/auth/passkeys/login'
        ? 'passkey-login'
        : operation.template === '/auth/passkeys/register'
          ? 'passkey-register'
          : undefined
  return kind === undefined
    ? fc.constant(null)
    : fc.option(fc.constant(kind), { freq: 4, nil: null })
}

/** The route's body: what its protocol or schema wants, or anything at all. */
function bodyFor(
  operation: Operation,
  context: FuzzContext,
  hostile: boolean,
): fc.Arbitrary<FuzzBody> {
  const limit = bodyLimitOf(operation.template, context.bodyLimit)
  const base = {
    hints: context.hints,
    limit,
    ...(operation.body === undefined ? {} : { schema: operation.body }),
  }
  const protocol = protocolBodies(operation, context)
  if (!hostile) {
    if (protocol !== undefined) return protocol.valid
    if (operation.body === undefined) return fc.constant<FuzzBody>({ kind: 'none' })
    return plausibleBody(base)
  }
  // Bodies on GET and friends are unusual; still, send one now and then.
  if (
    operation.body === undefined &&
    ['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(operation.method)
  )
    return fc.oneof(
      { weight: 2, arbitrary: fc.constant<FuzzBody>({ kind: 'none' }) },
      { weight: 1, arbitrary: anyBody(base) },
    )
  return anyBody({ ...base, ...(protocol === undefined ? {} : { special: protocol.hostile }) })
}

/** The routes that take a protocol's own body (DER, a container, a witness request, a whole). */
function protocolBodies(
  operation: Operation,
  context: FuzzContext,
): { valid: fc.Arbitrary<FuzzBody>; hostile: fc.Arbitrary<FuzzBody> } | undefined {
  const { seeds } = context
  const der = (messages: readonly Buffer[], contentType: string) => ({
    valid: fc.constantFrom(...messages).map((payload) => ({ kind: 'der', contentType, payload })),
    hostile: derBody(messages, contentType),
  })
  switch (operation.template) {
    case '/signatures/validate':
      return {
        valid: fc
          .constantFrom(...seeds.containers)
          .map((payload) => ({ kind: 'container', contentType: ASICE, payload })),
        hostile: fc
          .tuple(
            containerBytes(seeds.containers),
            fc.constantFrom(
              ASICE,
              ASICE,
              'application/zip',
              'application/octet-stream',
              'application/json',
            ),
          )
          .map(([payload, contentType]) => ({ kind: 'container', contentType, payload })),
      }
    case '/trust/ocsp':
      return der(seeds.ocspRequests, 'application/ocsp-request')
    case '/trust/tsa':
      return der(seeds.timestampRequests, 'application/timestamp-query')
    case '/witness/add-checkpoint':
      return {
        valid: witnessBody(seeds.checkpoint, false),
        hostile: witnessBody(seeds.checkpoint, true),
      }
  }
  const whole = context.hints[operation.template]
  if (whole === undefined) return undefined
  const json = whole.map((value) => ({
    kind: 'coherent',
    contentType: 'application/json',
    payload: JSON.stringify(value),
  }))
  return { valid: json, hostile: json }
}
