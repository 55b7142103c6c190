/**
 * A node's gateway and an agency's own gateway, as two processes over mutual TLS: the Tax Board
 * moves to a standalone gateway (`e-state gateway`), registered in the node's global
 * configuration with its TLS certificate and its own e-seal. Its information system then reads
 * the population register (kept on the node) through both gateways, and the police on the node
 * call a service the Tax Board provides behind its own gateway. Each side logs its half.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anchorBytes, anchorRoot, type AnchorBatch } from '../src/exchange/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { cliOn } from './support/cli.ts'
import { freePort, waitForUrl } from './support/net.ts'

const JAAK = '38001085718'
let t: TestApp
let standalone: ChildProcess | undefined
let backend: Server
let consumerUrl: string
let apiKey: string
let taxMember: string
let taxClient: string
let populationService: string
let sealKey: KeyObject

const pem = (der: Buffer) => new X509Certificate(der).toString()

beforeAll(async () => {
  const [httpPort, gatewayPort, clientPort, providerPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ])
  t = await startTestApp('sqlite', {
    env: {
      E_STATE_GATEWAY_PORT: String(gatewayPort),
      E_STATE_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
    },
  })
  await t.app.server.listen({ host: '127.0.0.1', port: httpPort })
  const platform = t.app.platform()
  taxClient = t.credentials('EMTA').client
  taxMember = taxClient.split('/').slice(0, 3).join('/')
  const keeper = await platform.store.db
    .selectFrom('exchange_services')
    .select('service_id')
    .where('service_code', '=', 'population')
    .executeTakeFirstOrThrow()
  populationService = keeper.service_id

  // The Tax Board's own gateway: a TLS certificate from the state TLS CA, its own e-seal.
  const tlsPair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const sealPair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  sealKey = sealPair.privateKey
  const tls = await platform.pki.issue({
    kind: 'tls',
    holder: 'EE/GATEWAY/emta',
    publicKey: tlsPair.publicKey,
    subject: [['2.5.4.3', 'gateway.emta.example']],
    dnsNames: ['gateway.emta.example'],
  })
  const seal = await platform.pki.issue({
    kind: 'eseal',
    holder: taxMember,
    publicKey: sealPair.publicKey,
    subject: [['2.5.4.3', 'Tax and Customs Board (own gateway)']],
  })
  const authorities = [...platform.pki.authorities.values()]
  const files: Record<string, string> = {
    'gw.key': tlsPair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    'gw.pem': pem(tls.der),
    'seal.key': sealPair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    'seal.pem': pem(seal.der),
    'anchor.pem': pem(platform.exchange.anchor),
    'root.pem': pem(authorities.find((authority) => authority.role === 'root')!.certificate),
    'tls-ca.pem': pem(authorities.find((authority) => authority.name === 'tls')!.certificate),
  }
  for (const [name, content] of Object.entries(files)) writeFileSync(join(t.dataDir, name), content)
  const register = async (args: string[]) => {
    const result = await cliOn(t, args)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  }
  await register([
    'exchange',
    'gateways',
    'add',
    'EE/GATEWAY/emta',
    '--member',
    taxMember,
    '--address',
    `https://127.0.0.1:${providerPort}`,
    '--tls-certificate',
    join(t.dataDir, 'gw.pem'),
    '--serves',
    taxMember,
  ])
  await register(['exchange', 'member-certificates', 'add', taxMember, join(t.dataDir, 'seal.pem')])
  await platform.exchange.refresh()

  // A service the Tax Board provides behind its own gateway.
  backend = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(
      JSON.stringify({ url: request.url, client: request.headers['x-road-client'] ?? null }),
    )
  })
  const backendPort = await new Promise<number>((resolve) =>
    backend.listen(0, '127.0.0.1', () => resolve((backend.address() as { port: number }).port)),
  )
  apiKey = `key-${randomBytes(16).toString('hex')}`
  const police = t.credentials('PPA').client
  writeFileSync(
    join(t.dataDir, 'emta-gateway.json'),
    JSON.stringify({
      gatewayId: 'EE/GATEWAY/emta',
      instance: 'EE',
      members: [{ id: taxMember, key: 'seal.key', certificate: 'seal.pem' }],
      anchors: ['anchor.pem'],
      sources: [`http://127.0.0.1:${httpPort}/exchange/globalconf`],
      tls: { key: 'gw.key', certificate: 'gw.pem', ca: ['root.pem', 'tls-ca.pem'] },
      host: '127.0.0.1',
      clientPort,
      providerPort,
      clients: [
        { subsystem: taxClient, apiKeySha256: createHash('sha256').update(apiKey).digest('hex') },
      ],
      services: [
        {
          id: `${taxClient}/declarations`,
          backend: `http://127.0.0.1:${backendPort}`,
          rights: [{ client: police, method: 'GET', path: '/status/*' }],
        },
      ],
      dataDir: 'emta-data',
      anchorIntervalSeconds: 1,
    }),
  )
  standalone = spawn(
    process.execPath,
    [
      'bin/e-state.js',
      'gateway',
      '--member',
      taxMember,
      '--config',
      join(t.dataDir, 'emta-gateway.json'),
    ],
    {
      env: { ...process.env, E_STATE_LOG_LEVEL: 'warn', E_STATE_ENV: 'development' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  consumerUrl = `http://127.0.0.1:${clientPort}`
  await waitForUrl(consumerUrl)
}, 90_000)

afterAll(async () => {
  if (standalone !== undefined && standalone.exitCode === null) {
    const exited = new Promise((resolve) => standalone?.once('exit', resolve))
    standalone.kill('SIGTERM')
    await exited
  }
  backend?.closeAllConnections()
  await new Promise((resolve) => (backend === undefined ? resolve(null) : backend.close(resolve)))
  await t?.close()
})

describe("a node's gateway and an agency's own gateway, over mutual TLS", () => {
  it("carry the agency's read of the population register on the node", async () => {
    const officer = await t.app
      .platform()
      .store.db.selectFrom('officials')
      .innerJoin('agencies', 'agencies.registry_code', 'officials.agency_code')
      .select('officials.personal_code')
      .where('agencies.short_name', '=', 'EMTA')
      .executeTakeFirstOrThrow()
    const response = await fetch(`${consumerUrl}/r1/${populationService}/1.0/read`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'x-road-client': taxClient,
        'x-road-userid': `EE${officer.personal_code}`,
        'x-road-issue': 'tax audit 7',
        'x-road-id': 'emta-node-1',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ query: { content: { personalCode: JAAK } } }),
    })
    expect(response.headers.get('x-road-error')).toBeNull()
    expect(response.status).toBe(200)
    expect((await response.json()).content.personalCode).toBe(JAAK)
    expect(response.headers.get('x-road-request-hash')).toHaveLength(88)

    // The node logged the provider's half, with the Tax Board's own signature.
    const logged = await t.app
      .platform()
      .store.db.selectFrom('exchange_message_log')
      .select(['side', 'client', 'status', 'request_signature'])
      .where('message_id', '=', 'emta-node-1')
      .execute()
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ side: 'provider', client: taxClient, status: 200 })
    // The Tax Board's own gateway logged the consumer's half.
    const database = new DatabaseSync(join(t.dataDir, 'emta-data', 'gateway.db'), {
      readOnly: true,
    })
    try {
      const row = database
        .prepare('SELECT side, status FROM exchange_message_log WHERE message_id = ?')
        .get('emta-node-1')
      expect(row).toEqual({ side: 'consumer', status: 200 })
    } finally {
      database.close()
    }
  })

  it("carry the police's call on the node to a service behind the agency's own gateway", async () => {
    const reply = await t.inject({
      method: 'GET',
      url: `/r1/${taxClient}/declarations/status/2026`,
      headers: { ...t.headers('PPA'), 'x-road-id': 'ppa-emta-1' },
    })
    expect(reply.headers['x-road-error']).toBeUndefined()
    expect(reply.statusCode).toBe(200)
    expect(reply.json()).toEqual({ url: '/status/2026', client: t.credentials('PPA').client })
    expect(reply.headers['x-road-service']).toBe(`${taxClient}/declarations`)

    // What the Tax Board did not grant is refused at its gateway, and the refusal is signed.
    const denied = await t.inject({
      method: 'GET',
      url: `/r1/${taxClient}/declarations/persons/${JAAK}`,
      headers: t.headers('PPA'),
    })
    expect(denied.statusCode).toBe(403)
    expect(denied.headers['x-road-error']).toBe('Server.ServerProxy.AccessDenied')
  })

  it("anchors the agency gateway's message log in the node's ledger, once per batch", async () => {
    const db = t.app.platform().store.db
    const anchored = async () =>
      [
        ...(await db
          .selectFrom('ledger_outbox')
          .select('entry')
          .where('kind', '=', 'exchange-anchor')
          .execute()),
        ...(await db
          .selectFrom('ledger_entries')
          .select('entry')
          .where('kind', '=', 'exchange-anchor')
          .execute()),
      ].map((row) => JSON.parse(Buffer.from(row.entry).toString()) as AnchorBatch)
    const deadline = Date.now() + 10_000
    while ((await anchored()).length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200))
    const [first] = await anchored()
    expect(first).toMatchObject({ gateway: 'EE/GATEWAY/emta', member: taxMember, sequence: 1 })

    const post = (batch: unknown) =>
      t.inject({ method: 'POST', url: '/exchange/anchors', payload: batch as object })
    // The same batch again is acknowledged, not entered twice.
    const again = await post(first)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual({ status: 'already' })
    // Another history under the same number, even signed by the member's key, is refused.
    const signed = (batch: Omit<AnchorBatch, 'signature' | 'certificate'>): AnchorBatch => ({
      ...batch,
      signature: sign('sha256', anchorBytes(batch), sealKey).toString('base64'),
      certificate: first.certificate,
    })
    const unsigned: Omit<AnchorBatch, 'signature' | 'certificate'> = {
      format: first.format,
      instance: first.instance,
      gateway: first.gateway,
      member: first.member,
      sequence: first.sequence,
      firstId: first.firstId,
      lastId: first.lastId,
      count: first.count,
      root: first.root,
      signedAt: first.signedAt,
    }
    const fork = await post(
      signed({ ...unsigned, root: anchorRoot([Buffer.from('another history')]) }),
    )
    expect(fork.statusCode).toBe(409)
    expect(fork.json().code).toBe('ANCHOR_CONFLICT')
    // A forged signature, or a gateway that does not serve the member, is refused.
    const forged = await post({ ...first, sequence: 999, signedAt: new Date().toISOString() })
    expect(forged.statusCode).toBe(403)
    expect(forged.json().code).toBe('ANCHOR_SIGNATURE_INVALID')
    const stranger = await post(signed({ ...unsigned, sequence: 1000, gateway: 'EE/GATEWAY/nope' }))
    expect(stranger.statusCode).toBe(403)
    expect(stranger.json().code).toBe('ANCHOR_UNKNOWN_GATEWAY')
    const malformed = await post({ ...first, root: 'x', extra: 1 })
    expect(malformed.statusCode).toBe(400)
    expect((await anchored()).filter((batch) => batch.sequence === 1)).toHaveLength(1)
  })

  it("exports evidence of a message from the agency's own gateway, checked offline with its anchored batch", async () => {
    // The consumer's half of the first test's message, in the Tax Board's own gateway log.
    const database = new DatabaseSync(join(t.dataDir, 'emta-data', 'gateway.db'), {
      readOnly: true,
    })
    const row = database
      .prepare("SELECT id FROM exchange_message_log WHERE message_id = 'emta-node-1'")
      .get() as { id: number }
    database.close()
    // Once the node's ledger has published the batch holding it, its receipt is there.
    const deadline = Date.now() + 20_000
    let published = false
    while (!published && Date.now() < deadline) {
      const batches = await t.app
        .platform()
        .store.db.selectFrom('ledger_entries')
        .select('ref_id')
        .where('kind', '=', 'exchange-anchor')
        .execute()
      for (const batch of batches) {
        const receipt = await t.inject({
          url: `/exchange/anchors/receipt?gateway=EE/GATEWAY/emta&sequence=${batch.ref_id}`,
        })
        if (receipt.statusCode === 200) published = true
      }
      if (!published) await new Promise((resolve) => setTimeout(resolve, 300))
    }
    const file = join(t.dataDir, 'emta-evidence.json')
    const exported = await cliOn(t, [
      'gateway',
      'evidence',
      String(row.id),
      '--member',
      taxMember,
      '--config',
      join(t.dataDir, 'emta-gateway.json'),
      '--out',
      file,
    ])
    expect(exported.stderr).toBe('')
    expect(exported.code).toBe(0)
    const evidence = JSON.parse(readFileSync(file, 'utf8'))
    expect(evidence.anchor.batch.gateway).toBe('EE/GATEWAY/emta')
    const verified = await cliOn(t, ['exchange', 'verify-evidence', file])
    expect(verified.stderr).toBe('')
    expect(verified.stdout).toMatch(
      /evidence verified: .* in batch \d+ of EE\/GATEWAY\/emta .* anchored in /,
    )
    // Another place in the batch, or another batch root, and it fails.
    for (const changed of [
      { ...evidence, anchor: { ...evidence.anchor, index: evidence.anchor.index + 1 } },
      {
        ...evidence,
        anchor: { ...evidence.anchor, batch: { ...evidence.anchor.batch, count: 999 } },
      },
    ]) {
      writeFileSync(file, JSON.stringify(changed))
      const refused = await cliOn(t, ['exchange', 'verify-evidence', file])
      expect(refused.code).not.toBe(0)
    }
  })

  it('refuses a peer whose TLS certificate the configuration does not pin', async () => {
    // The node's gateway port takes only gateways with a state-PKI client certificate.
    const platform = t.app.platform()
    const address = platform.exchange
      .configuration()
      .gateways.find((gateway) => gateway.id === platform.exchange.gatewayId)?.address
    expect(address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const anonymous = await fetch(`${address}/r1/${populationService}/1.0/read`, {
      method: 'POST',
    }).then(
      () => 'answered',
      () => 'refused',
    )
    expect(anonymous).toBe('refused')
  })
})
