// Two standalone gateways as separate processes on loopback — a consumer for the Tax Board, a
// provider for the Population Register — with e-seals and TLS certificates from a state PKI, a
// central server handing out the signed global configuration, and a provider backend. Used by
// the integration test and by the bench.
import { spawn, type ChildProcess } from 'node:child_process'
import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  X509Certificate,
  type KeyObject,
} from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  certificatePin,
  signGlobalConfiguration,
  type AnchorBatch,
  type GlobalConfiguration,
} from '../../src/exchange/index.ts'
import {
  buildHierarchy,
  issueCertificate,
  OID,
  type HierarchyMember,
} from '../../src/trust/index.ts'
import { freePort, waitForUrl } from './net.ts'

export const TAX = 'EE/GOV/70000059'
export const POPULATION = 'EE/GOV/70000013'
export const SERVICE = `${POPULATION}/population-register/people`
/** The same backend's large uploads and downloads, with a timeout made for their size. */
export const FILES_SERVICE = `${POPULATION}/population-register/files`
export const CLIENT = `${TAX}/employment-register`
/** Each gateway's body limit in the pair. */
export const MAX_BODY_BYTES = 48 * 1024 * 1024

export interface BackendCall {
  readonly method: string
  readonly url: string
  readonly client: string
  readonly user: string
  readonly body: string
}

export interface GatewayPair {
  readonly work: string
  readonly apiKey: string
  /** The consumer gateway's client side (HTTP). */
  readonly consumerUrl: string
  /** The provider gateway's mutual-TLS port. */
  readonly providerPort: number
  /** The backend, directly (for the bench's baseline). */
  readonly backendUrl: string
  readonly seen: BackendCall[]
  /** The batches the gateways anchored at the central server, as posted. */
  readonly anchors: AnchorBatch[]
  /** The configuration the central server hands out. */
  readonly configuration: GlobalConfiguration
  stopCentral(): Promise<void>
  close(): Promise<void>
}

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

/** Deterministic bytes of the /download stream from `offset`, so a test can hash them too. */
export function downloadChunk(offset: number, length: number): Buffer {
  const chunk = Buffer.alloc(length)
  for (let index = 0; index < length; index++) chunk[index] = (offset + index) % 251
  return chunk
}

function listenOn(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  )
}

export async function startGatewayPair(
  options: { readonly logLevel?: string } = {},
): Promise<GatewayPair> {
  const work = mkdtempSync(join(tmpdir(), 'estate-gateways-'))
  const apiKey = `key-${randomBytes(16).toString('hex')}`
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
  for (const name of ['tax', 'population']) mkdirSync(join(work, `tmp-${name}`))

  const seen: BackendCall[] = []
  const backend = createServer((request, response) => {
    // Large bodies: /upload answers the digest of what arrived; /download?size=N sends N bytes.
    if (request.url === '/upload') {
      const hash = createHash('sha256')
      let size = 0
      request.on('data', (chunk: Buffer) => {
        hash.update(chunk)
        size += chunk.length
      })
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ size, sha256: hash.digest('hex') }))
      })
      return
    }
    if (request.url?.startsWith('/download?size=')) {
      const size = Number(request.url.slice('/download?size='.length))
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(size),
      })
      let sent = 0
      const more = () => {
        while (sent < size) {
          const chunk = downloadChunk(sent, Math.min(65_536, size - sent))
          sent += chunk.length
          if (!response.write(chunk)) return void response.once('drain', more)
        }
        response.end()
      }
      return more()
    }
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (seen.length < 1000)
        seen.push({
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
  backend.keepAliveTimeout = 65_000
  const backendPort = await listenOn(backend)
  const [taxClient, taxProvider, popClient, providerPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ])
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
      { id: CLIENT, member: TAX },
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
  // The central server: the signed configuration, and the batches the gateways anchor.
  const anchors: AnchorBatch[] = []
  const central = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/exchange/anchors') {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        anchors.push(JSON.parse(Buffer.concat(chunks).toString()) as AnchorBatch)
        response.writeHead(201, { 'content-type': 'application/json' })
        response.end('{"status":"anchored"}')
      })
      return
    }
    if (request.url !== '/globalconf') {
      response.writeHead(404)
      return response.end()
    }
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
      { subsystem: CLIENT, apiKeySha256: createHash('sha256').update(apiKey).digest('hex') },
    ],
    services,
    dataDir: `data-${name}`,
    maxBodyBytes: MAX_BODY_BYTES,
    anchorIntervalSeconds: 1,
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
            { client: CLIENT, method: 'GET', path: '/persons/**' },
            { client: CLIENT, method: 'POST', path: '/search' },
            { client: CLIENT, method: 'GET', path: '/slow' },
            { client: CLIENT, method: 'GET', path: '/broken' },
          ],
        },
        {
          id: FILES_SERVICE,
          backend: `http://127.0.0.1:${backendPort}`,
          // Tens of megabytes each way: on a busy machine that takes seconds, not the people
          // service's one second.
          timeoutMs: 120_000,
          rights: [
            { client: CLIENT, method: 'POST', path: '/upload' },
            { client: CLIENT, method: 'GET', path: '/download' },
          ],
        },
      ]),
    ),
  )
  const processes: ChildProcess[] = []
  for (const [name, member] of [
    ['tax', TAX],
    ['population', POPULATION],
  ]) {
    processes.push(
      spawn(
        process.execPath,
        ['bin/e-state.js', 'gateway', '--member', member, '--config', join(work, `${name}.json`)],
        {
          env: {
            ...process.env,
            TMPDIR: join(work, `tmp-${name}`), // where the gateway spools large bodies
            E_STATE_LOG_LEVEL: options.logLevel ?? 'warn',
            E_STATE_ENV: 'development',
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      ),
    )
  }
  const consumerUrl = `http://127.0.0.1:${taxClient}`
  await Promise.all([waitForUrl(consumerUrl), waitForUrl(`http://127.0.0.1:${popClient}`)])
  let centralOpen = true
  const stopCentral = async () => {
    if (!centralOpen) return
    centralOpen = false
    central.closeAllConnections()
    await new Promise((resolve) => central.close(resolve))
  }
  return {
    work,
    apiKey,
    consumerUrl,
    providerPort,
    backendUrl: `http://127.0.0.1:${backendPort}`,
    seen,
    anchors,
    configuration,
    stopCentral,
    async close() {
      for (const child of processes) child.kill('SIGTERM')
      await Promise.all(
        processes.map(
          (child) =>
            new Promise((resolve) =>
              child.exitCode === null ? child.once('exit', resolve) : resolve(null),
            ),
        ),
      )
      await stopCentral()
      backend.closeAllConnections()
      await new Promise((resolve) => backend.close(resolve))
      rmSync(work, { recursive: true, force: true })
    },
  }
}
