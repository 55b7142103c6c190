/**
 * Two gateways as separate processes (`e-state gateway`), on loopback: a consumer gateway for
 * the Tax Board and a provider gateway for the Population Register, mutual TLS between them
 * with certificates from the state PKI pinned in a signed global configuration served by a
 * central server, and a provider backend. Calls go through both; refusals carry X-Road's
 * error types; a gateway without a client certificate cannot even connect; the central server
 * going away does not stop the exchange.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  X509Certificate,
  type KeyObject,
} from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  certificatePin,
  signGlobalConfiguration,
  type GlobalConfiguration,
} from '../src/exchange/index.ts'
import { buildHierarchy, issueCertificate, OID, type HierarchyMember } from '../src/trust/index.ts'
import { freePort } from './support/net.ts'

const TAX = 'EE/GOV/70000059'
const POPULATION = 'EE/GOV/70000013'
const SERVICE = `${POPULATION}/population-register/people`
const API_KEY = `key-${randomBytes(16).toString('hex')}`

let work: string
let central: Server
let backend: Server
const processes: ChildProcess[] = []
let consumerUrl: string
let providerPort: number
let backendSeen: { method: string; url: string; client: string; user: string; body: string }[] = []

const pem = (der: Buffer) => new X509Certificate(der).toString()
const keyPem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString()

async function issue(ca: HierarchyMember, cn: string, usage: 'tls' | 'seal') {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const now = Date.now()
  const certificate = await issueCertificate({
    subject: [
      [OID.countryName, 'EE'],
      [OID.commonName, cn],
    ],
    publicKey: pair.publicKey,
    serial: randomBytes(12),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    profile:
      usage === 'tls'
        ? { keyUsage: ['digitalSignature'], extendedKeyUsage: [OID.serverAuth, OID.clientAuth] }
        : { keyUsage: ['digitalSignature', 'nonRepudiation'] },
    issuer: { certificate: ca.certificate },
    signer: ca.signer,
  })
  return { key: pair.privateKey, certificate }
}

function listenOn(server: Server, port = 0): Promise<number> {
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  )
}

async function waitFor(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(500) })
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  throw new Error(`${url} never came up`)
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'estate-gateways-'))
  const members = await buildHierarchy(
    {
      clock: { now: () => new Date() },
      publicUrl: 'http://127.0.0.1:9',
      organization: 'Test Republic',
    },
    true,
  )
  const ca = (name: string) => members.get(name) as HierarchyMember
  const tax = await issue(ca('eseal'), 'Tax and Customs Board', 'seal')
  const population = await issue(ca('eseal'), 'Ministry of the Interior', 'seal')
  const centralKey = await issue(ca('eseal'), 'Central server', 'seal')
  const gwTax = await issue(ca('tls'), 'gateway.emta', 'tls')
  const gwPopulation = await issue(ca('tls'), 'gateway.sim', 'tls')
  const files: Record<string, string> = {
    'tax.key': keyPem(tax.key),
    'tax.crt': pem(tax.certificate),
    'population.key': keyPem(population.key),
    'population.crt': pem(population.certificate),
    'anchor.crt': pem(centralKey.certificate),
    'gw-tax.key': keyPem(gwTax.key),
    'gw-tax.crt': pem(gwTax.certificate),
    'gw-population.key': keyPem(gwPopulation.key),
    'gw-population.crt': pem(gwPopulation.certificate),
    'root.crt': pem(ca('root').certificate),
    'tls-ca.crt': pem(ca('tls').certificate),
  }
  for (const [name, content] of Object.entries(files)) writeFileSync(join(work, name), content)

  backend = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      backendSeen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        client: String(request.headers['x-road-client']),
        user: String(request.headers['x-road-userid']),
        body: Buffer.concat(chunks).toString(),
      })
      if (request.url?.startsWith('/slow')) return // never answers
      if (request.url?.startsWith('/broken')) {
        response.writeHead(503, { 'content-type': 'text/plain' })
        return response.end('register offline')
      }
      response.writeHead(200, { 'content-type': 'application/json', 'x-register': 'population' })
      response.end(JSON.stringify({ url: request.url, method: request.method }))
    })
  })
  const backendPort = await listenOn(backend)
  const [taxClient, taxProvider, popClient] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
  ])
  providerPort = await freePort()

  const now = new Date()
  const configuration: GlobalConfiguration = {
    instance: 'EE',
    version: 1,
    generatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    sources: [],
    members: [
      {
        id: TAX,
        name: 'Tax and Customs Board',
        signingCertificates: [tax.certificate.toString('base64')],
      },
      {
        id: POPULATION,
        name: 'Ministry of the Interior',
        signingCertificates: [population.certificate.toString('base64')],
      },
    ],
    subsystems: [
      { id: `${TAX}/employment-register`, member: TAX },
      { id: `${POPULATION}/population-register`, member: POPULATION },
    ],
    gateways: [
      {
        id: 'EE/GATEWAY/emta',
        member: TAX,
        address: `https://127.0.0.1:${taxProvider}`,
        tlsCertificateSha256: certificatePin(gwTax.certificate),
        serves: [TAX],
      },
      {
        id: 'EE/GATEWAY/sim',
        member: POPULATION,
        address: `https://127.0.0.1:${providerPort}`,
        tlsCertificateSha256: certificatePin(gwPopulation.certificate),
        serves: [POPULATION],
      },
    ],
    groups: [],
    trustAnchors: [],
  }
  const signed = signGlobalConfiguration(configuration, centralKey.key, centralKey.certificate)
  central = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify(signed))
  })
  const centralPort = await listenOn(central)
  const gatewayConfig = (
    name: string,
    member: string,
    ports: { client: number; provider: number },
    services: unknown[],
  ) => ({
    gatewayId: name === 'tax' ? 'EE/GATEWAY/emta' : 'EE/GATEWAY/sim',
    instance: 'EE',
    members: [{ id: member, key: `${name}.key`, certificate: `${name}.crt` }],
    anchors: ['anchor.crt'],
    sources: [`http://127.0.0.1:${centralPort}/globalconf`],
    tls: { key: `gw-${name}.key`, certificate: `gw-${name}.crt`, ca: ['root.crt', 'tls-ca.crt'] },
    host: '127.0.0.1',
    clientPort: ports.client,
    providerPort: ports.provider,
    clients: [
      {
        subsystem: `${TAX}/employment-register`,
        apiKeySha256: createHash('sha256').update(API_KEY).digest('hex'),
      },
    ],
    services,
    dataDir: `data-${name}`,
  })
  writeFileSync(
    join(work, 'tax.json'),
    JSON.stringify(gatewayConfig('tax', TAX, { client: taxClient, provider: taxProvider }, [])),
  )
  writeFileSync(
    join(work, 'population.json'),
    JSON.stringify(
      gatewayConfig('population', POPULATION, { client: popClient, provider: providerPort }, [
        {
          id: SERVICE,
          backend: `http://127.0.0.1:${backendPort}`,
          timeoutMs: 1000,
          rights: [
            { client: `${TAX}/employment-register`, method: 'GET', path: '/persons/**' },
            { client: `${TAX}/employment-register`, method: 'POST', path: '/search' },
            { client: `${TAX}/employment-register`, method: 'GET', path: '/slow' },
            { client: `${TAX}/employment-register`, method: 'GET', path: '/broken' },
          ],
        },
      ]),
    ),
  )
  for (const [name, member] of [
    ['tax', TAX],
    ['population', POPULATION],
  ]) {
    const child = spawn(
      process.execPath,
      ['bin/e-state.js', 'gateway', '--member', member, '--config', join(work, `${name}.json`)],
      {
        env: { ...process.env, E_STATE_LOG_LEVEL: 'warn', E_STATE_ENV: 'development' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    processes.push(child)
  }
  consumerUrl = `http://127.0.0.1:${taxClient}`
  await Promise.all([waitFor(consumerUrl), waitFor(`http://127.0.0.1:${popClient}`)])
}, 60_000)

afterAll(async () => {
  for (const child of processes) child.kill('SIGTERM')
  await Promise.all(
    processes.map(
      (child) =>
        new Promise((resolve) =>
          child.exitCode === null ? child.once('exit', resolve) : resolve(null),
        ),
    ),
  )
  await new Promise((resolve) => central?.close(resolve))
  backend?.closeAllConnections()
  await new Promise((resolve) => backend?.close(resolve))
  rmSync(work, { recursive: true, force: true })
})

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${consumerUrl}/r1/${SERVICE}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${API_KEY}`,
      'x-road-client': `${TAX}/employment-register`,
      'x-road-userid': 'EE39001010000',
      ...(init.headers as Record<string, string> | undefined),
    },
  })

describe('two gateway processes over mutual TLS', () => {
  it('carry a call to the provider backend and back, with the X-Road headers', async () => {
    backendSeen = []
    const response = await call('/persons/38001085718?fields=name', {
      headers: { 'x-road-id': 'emta-1' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      url: '/persons/38001085718?fields=name',
      method: 'GET',
    })
    expect(response.headers.get('x-road-id')).toBe('emta-1')
    expect(response.headers.get('x-road-service')).toBe(SERVICE)
    expect(response.headers.get('x-road-request-hash')).toHaveLength(88)
    expect(response.headers.get('x-register')).toBe('population')
    expect(backendSeen).toEqual([
      {
        method: 'GET',
        url: '/persons/38001085718?fields=name',
        client: `${TAX}/employment-register`,
        user: 'EE39001010000',
        body: '',
      },
    ])
    const posted = await call('/search', {
      method: 'POST',
      body: JSON.stringify({ name: 'Tamm' }),
      headers: { 'content-type': 'application/json' },
    })
    expect(posted.status).toBe(200)
    expect(backendSeen[1].body).toBe('{"name":"Tamm"}')
    // Each side logged the message in its own store, with both signatures.
    for (const [name, side] of [
      ['tax', 'consumer'],
      ['population', 'provider'],
    ]) {
      const database = new DatabaseSync(join(work, `data-${name}`, 'gateway.db'), {
        readOnly: true,
      })
      try {
        const row = database
          .prepare(
            'SELECT side, request_signature, response_signature, status FROM exchange_message_log WHERE message_id = ?',
          )
          .get('emta-1') as {
          side: string
          request_signature: string
          response_signature: string
          status: number
        }
        expect(row.side).toBe(side)
        expect(row.request_signature).toContain('"value"')
        expect(row.response_signature).toContain('"value"')
        expect(row.status).toBe(200)
      } finally {
        database.close()
      }
    }
  })

  it('refuses what the provider did not grant, a wrong key, and reports a hanging or failing provider', async () => {
    const denied = await call('/addresses/1')
    expect(denied.status).toBe(403)
    expect(denied.headers.get('x-road-error')).toBe('Client.AccessDenied')
    const badKey = await call('/persons/1', { headers: { authorization: 'Bearer wrong' } })
    expect(badKey.status).toBe(401)
    const slow = await call('/slow')
    expect(slow.status).toBe(500)
    expect(slow.headers.get('x-road-error')).toBe('Server.ServerProxy.Timeout')
    const broken = await call('/broken')
    expect(broken.status).toBe(503)
    expect(broken.headers.get('x-road-error')).toBeNull()
    expect(await broken.text()).toBe('register offline')
  })

  it('does not let a gateway without a state-PKI client certificate connect', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const request = httpsRequest(
        {
          host: '127.0.0.1',
          port: providerPort,
          path: `/r1/${SERVICE}/persons/1`,
          rejectUnauthorized: false,
        },
        (response) => resolve(`answered ${response.statusCode}`),
      )
      request.on('error', (error) => resolve(`refused: ${error.message}`))
      request.end()
    })
    expect(outcome).toMatch(/^refused/)
  })

  it('keeps working on its last good configuration while the central server is down', async () => {
    await new Promise((resolve) => central.close(resolve))
    central.closeAllConnections()
    const response = await call('/persons/1')
    expect(response.status).toBe(200)
  })
})
