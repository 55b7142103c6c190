/**
 * Two gateways — a consumer hosting member A, a provider hosting member B — with real keys and
 * a transport the test controls: a round trip, then each thing that must fail and how it
 * reports itself (tampered request or response, a replayed response, a missing signature, an
 * unknown key, a wrong sending gateway, an expired configuration, a failing provider), and a
 * provider's own error passed through untouched.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { issueCertificate, keySigner, OID } from '../trust/index.ts'
import { ExchangeError } from './errors.ts'
import {
  createGateway,
  type Gateway,
  type HttpRequest,
  type HttpResponse,
  type MessageRecord,
} from './gateway.ts'
import type { GlobalConfiguration } from './global-conf.ts'

const A = 'EE/GOV/100'
const B = 'EE/GOV/200'
const SERVICE = `${B}/registry/people`
let keys: Map<string, { key: KeyObject; certificate: Buffer }>
let configuration: GlobalConfiguration
let now = new Date('2026-11-25T12:00:00Z')

async function member(name: string) {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const certificate = await issueCertificate({
    subject: [[OID.commonName, name]],
    publicKey: pair.publicKey,
    serial: Buffer.from([1, 2, 3]),
    notBefore: new Date('2026-01-01'),
    notAfter: new Date('2030-01-01'),
    profile: { keyUsage: ['digitalSignature'] },
    signer: keySigner(pair.privateKey),
  })
  return { key: pair.privateKey, certificate }
}

interface Setup {
  transport?: (
    request: HttpRequest,
    forward: (request: HttpRequest) => Promise<HttpResponse>,
  ) => Promise<HttpResponse>
  backend?: (request: HttpRequest) => Promise<HttpResponse>
  peerPin?: string
}

function pair(setup: Setup = {}) {
  const log: MessageRecord[] = []
  const ports = (gatewayId: string) => ({
    gatewayId,
    configuration: () => {
      if (Date.parse(configuration.expiresAt) <= now.getTime())
        throw new ExchangeError('OutdatedGlobalConf', 'expired')
      return configuration
    },
    signerOf: async (name: string) => {
      const found = keys.get(name)
      if (found === undefined) throw new ExchangeError('InternalError', 'no key')
      return { signer: keySigner(found.key), certificate: found.certificate }
    },
    service: async (id: string) =>
      id === SERVICE
        ? { serviceId: SERVICE, backend: 'test', timeoutMs: 1000, bodyLogging: 'body' as const }
        : undefined,
    rights: async () => [
      { service: SERVICE, client: `${A}/app`, method: 'GET', path: '/persons/*' },
    ],
    servicesOf: async () => [
      {
        serviceCode: 'people',
        openapi: JSON.stringify({
          openapi: '3.1.0',
          paths: { '/persons/{code}': { get: {} }, '/persons': { post: {} } },
        }),
        rights: [{ service: SERVICE, client: `${A}/app`, method: 'GET', path: '/persons/*' }],
      },
    ],
    log: async (record: MessageRecord) => {
      log.push(record)
    },
    now: () => now,
  })
  const provider: Gateway = createGateway({
    ...ports('gw-b'),
    send: async () => {
      throw new Error('the provider sends nothing')
    },
    callBackend: async (_service, request) =>
      setup.backend === undefined
        ? {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: Buffer.from(
              JSON.stringify({ path: request.url, client: request.client, user: request.userId }),
            ),
          }
        : setup.backend(request),
  })
  const consumer: Gateway = createGateway({
    ...ports('gw-a'),
    callBackend: async () => {
      throw new Error('the consumer calls no backend')
    },
    send: async (_target, request) => {
      const forward = (forwarded: HttpRequest) =>
        provider.provide(forwarded, setup.peerPin ?? 'pin-a')
      return setup.transport === undefined ? forward(request) : setup.transport(request, forward)
    },
  })
  const call = (path = '/persons/38001085718', headers: Record<string, string> = {}) =>
    consumer.consume(
      {
        method: 'GET',
        url: path.startsWith('/__raw__') ? path.slice(8) : `/r1/${SERVICE}${path}`,
        headers: {
          'x-road-client': `${A}/app`,
          'x-road-userid': 'EE39001010000',
          accept: 'application/json',
          ...headers,
        },
        body: Buffer.alloc(0),
      },
      A,
    )
  return { call, log, provider }
}

const errorOf = (response: HttpResponse) => response.headers['x-road-error']

beforeAll(async () => {
  keys = new Map([
    [A, await member('A')],
    [B, await member('B')],
  ])
  configuration = {
    instance: 'EE',
    version: 1,
    generatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    sources: [],
    members: [A, B].map((id) => ({
      id,
      name: id,
      signingCertificates: [
        (keys.get(id) as { certificate: Buffer }).certificate.toString('base64'),
      ],
    })),
    subsystems: [
      { id: `${A}/app`, member: A },
      { id: `${B}/registry`, member: B },
    ],
    gateways: [
      { id: 'gw-a', member: A, address: 'https://a', tlsCertificateSha256: 'pin-a', serves: [A] },
      { id: 'gw-b', member: B, address: 'https://b', tlsCertificateSha256: 'pin-b', serves: [B] },
    ],
    groups: [],
    trustAnchors: [],
  }
})

describe('gateways', () => {
  it('carry a call both ways, signed, bound and logged on both sides', async () => {
    const { call, log } = pair()
    const response = await call('/persons/38001085718', {
      'x-road-id': 'm-1',
      authorization: 'Bearer secret',
    })
    expect(response.status).toBe(200)
    const body = JSON.parse(response.body.toString())
    expect(body).toEqual({
      path: '/persons/38001085718',
      client: `${A}/app`,
      user: 'EE39001010000',
    })
    expect(response.headers['x-road-service']).toBe(SERVICE)
    expect(response.headers['x-road-request-hash']).toHaveLength(88)
    expect(log.map((record) => record.side).sort()).toEqual(['consumer', 'provider'])
    expect(
      log.every((record) => record.requestHash === response.headers['x-road-request-hash']),
    ).toBe(true)
    expect(log.every((record) => record.responseSignature !== undefined)).toBe(true)
  })

  it('never passes the client’s credentials or hop-by-hop headers to the provider', async () => {
    let seen: Record<string, string> = {}
    const { call } = pair({
      backend: async (request) => {
        seen = { ...request.headers }
        return { status: 204, headers: {}, body: Buffer.alloc(0) }
      },
    })
    await call('/persons/1', {
      authorization: 'Bearer esm_x',
      connection: 'close',
      'x-custom': 'kept',
    })
    expect(seen['authorization']).toBeUndefined()
    expect(seen['connection']).toBeUndefined()
    expect(seen['x-custom']).toBe('kept')
  })

  it('refuses a request changed on the way (provider) and a response changed on the way (consumer)', async () => {
    const request = pair({
      transport: (forwarded, forward) =>
        forward({ ...forwarded, url: forwarded.url.replace('38001085718', '49403136526') }),
    })
    const refused = await request.call()
    expect(refused.status).toBe(500)
    expect(errorOf(refused)).toBe('Server.ServerProxy.InvalidSignatureValue')
    const response = pair({
      transport: async (forwarded, forward) => {
        const answer = await forward(forwarded)
        return { ...answer, body: Buffer.from(answer.body.toString().replace('3800', '4900')) }
      },
    })
    expect(errorOf(await response.call())).toBe('Server.ClientProxy.InvalidSignatureValue')
  })

  it('refuses a response replayed from another request, and an unsigned one', async () => {
    let first: HttpResponse | undefined
    const replay = pair({
      transport: async (forwarded, forward) => {
        const answer = await forward(forwarded)
        first ??= answer
        return first
      },
    })
    expect((await replay.call('/persons/1')).status).toBe(200)
    expect(errorOf(await replay.call('/persons/2'))).toBe('Server.ClientProxy.InconsistentResponse')
    const unsigned = pair({
      transport: async (forwarded, forward) => {
        const answer = await forward(forwarded)
        return { ...answer, headers: { 'content-type': 'application/json' } }
      },
    })
    expect(errorOf(await unsigned.call())).toBe('Server.ClientProxy.MissingSignature')
  })

  it('refuses a request from a gateway not registered for the client’s member', async () => {
    const { call } = pair({ peerPin: 'pin-b' })
    expect(errorOf(await call())).toBe('Server.ServerProxy.SslAuthenticationFailed')
  })

  it('denies by default: another endpoint, another method', async () => {
    const { call } = pair()
    expect(errorOf(await call('/persons/1/children'))).toBe('Server.ServerProxy.AccessDenied')
    expect(errorOf(await call('/addresses/1'))).toBe('Server.ServerProxy.AccessDenied')
  })

  it('stops at an expired configuration', async () => {
    const { call } = pair()
    const saved = now
    now = new Date(Date.parse(configuration.expiresAt) + 1000)
    try {
      const response = await call()
      expect(response.status).toBe(500)
      expect(errorOf(response)).toBe('Server.ClientProxy.OutdatedGlobalConf')
    } finally {
      now = saved
    }
  })

  it('reports a provider that cannot answer, and passes a provider’s own 500 through', async () => {
    const failing = pair({
      backend: async () => {
        throw new ExchangeError('ServiceFailed', 'connection refused')
      },
    })
    const failed = await failing.call()
    expect(failed.status).toBe(500)
    expect(errorOf(failed)).toBe('Server.ServerProxy.ServiceFailed')
    expect(JSON.parse(failed.body.toString())).toMatchObject({
      type: 'Server.ServerProxy.ServiceFailed',
      message: 'connection refused',
    })
    const own = pair({
      backend: async () => ({
        status: 500,
        headers: { 'content-type': 'text/plain' },
        body: Buffer.from('database down'),
      }),
    })
    const passed = await own.call()
    expect(passed.status).toBe(500)
    expect(errorOf(passed)).toBeUndefined()
    expect(passed.body.toString()).toBe('database down')
  })

  it('answer listMethods, allowedMethods and getOpenAPI at the provider, signed', async () => {
    const { call } = pair()
    const meta = (code: string, query = '') =>
      consumerCall(call, `/r1/${B}/registry/${code}${query}`)
    const listed = await meta('listMethods')
    const methods = JSON.parse(listed.body.toString())
    expect(methods.service).toEqual([
      expect.objectContaining({
        service_code: 'people',
        subsystem_code: 'registry',
        member_code: '200',
        object_type: 'SERVICE',
        service_type: 'OPENAPI',
        endpoint_list: [
          { method: 'GET', path: '/persons/*' },
          { method: 'POST', path: '/persons' },
        ],
      }),
    ])
    const allowed = JSON.parse((await meta('allowedMethods')).body.toString())
    expect(allowed.service[0].endpoint_list).toEqual([{ method: 'GET', path: '/persons/*' }])
    const openapi = await meta('getOpenAPI', '?serviceCode=people')
    expect(JSON.parse(openapi.body.toString()).openapi).toBe('3.1.0')
    expect(openapi.headers['x-road-request-hash']).toBeDefined()
    expect(errorOf(await meta('getOpenAPI', '?serviceCode=nothing'))).toBe(
      'Server.ServerProxy.UnknownService',
    )
  })
})

/** A consumer call to any URL (the pair's `call` prefixes the test service). */
function consumerCall(
  call: (path?: string, headers?: Record<string, string>) => Promise<HttpResponse>,
  url: string,
): Promise<HttpResponse> {
  return call(`/__raw__${url}`)
}
