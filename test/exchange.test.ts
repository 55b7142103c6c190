/**
 * The exchange in one node: an agency's information system calls another agency's registry
 * through the gateway (X-Road REST protocol), the call is signed by both members, checked
 * against the provider's access rights and logged on both sides; refusals carry X-Road's
 * error types.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestApp, type TestApp } from './support/app.ts'
import { cliOn } from './support/cli.ts'

const JAAK = '38001085718'
const IVAN = '39001010000'
const POLICE_CASE = 'Criminal case 24-1234'

describe('the exchange, in one node', () => {
  let t: TestApp
  let population: string
  beforeAll(async () => {
    t = await startTestApp('sqlite', { options: { drainIntervalMs: 0 } })
    const keeper = await t.app
      .platform()
      .store.db.selectFrom('agencies')
      .select(['member_id', 'subsystem'])
      .where('short_name', '=', 'SIM')
      .executeTakeFirstOrThrow()
    population = `/r1/${keeper.member_id}/${keeper.subsystem}/population`
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const call = (agency: string, url: string, extra: Record<string, string> = {}) =>
    t.inject({
      method: 'GET',
      url,
      headers: {
        ...t.headers(agency),
        'x-road-userid': `EE${IVAN}`,
        'x-road-issue': POLICE_CASE,
        ...extra,
      },
    })

  it('reads the population register for the police through both gateways', async () => {
    const reply = await call('PPA', `${population}/1.0?query.personalCode=${JAAK}`, {
      'x-road-id': 'case-42-call-1',
    })
    expect(reply.statusCode).toBe(200)
    expect(reply.json().results[0].personalCode).toBe(JAAK)
    expect(reply.headers['x-road-id']).toBe('case-42-call-1')
    // X-Road-Request-Id: the consumer gateway's own random id for this one request.
    expect(reply.headers['x-road-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(reply.headers['x-road-request-id']).not.toBe('case-42-call-1')
    expect(reply.headers['x-road-service']).toBe(population.slice(4))
    expect(reply.headers['x-road-client']).toBe(t.credentials('PPA').client)
    expect(reply.headers['x-road-request-hash']).toMatch(/^[A-Za-z0-9+/]{86}==$/)
    expect(reply.headers['x-road-error']).toBeUndefined()
    // Without an X-Road-Id from the client, one is made for it; the request id is another.
    const anonymous = await call('PPA', `${population}/1.0?query.personalCode=${JAAK}`)
    expect(anonymous.headers['x-road-id']).toMatch(
      /^EE-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(anonymous.headers['x-road-id']).not.toBe(anonymous.headers['x-road-request-id'])
    const log = await t.app
      .platform()
      .store.db.selectFrom('exchange_message_log')
      .selectAll()
      .where('message_id', '=', 'case-42-call-1')
      .execute()
    expect(log.map((row) => row.side).sort()).toEqual(['consumer', 'provider'])
    for (const row of log) {
      expect(row.request_hash).toBe(reply.headers['x-road-request-hash'])
      expect(row.request_signature).not.toBeNull()
      expect(row.response_signature).not.toBeNull()
      expect(row.status).toBe(200)
      expect(row.response_body).not.toBeNull()
      // Encrypted at rest: the personal code is not readable in the stored body.
      expect(Buffer.from(row.response_body as Uint8Array).includes(JAAK)).toBe(false)
    }
    const outbox = await t.app
      .platform()
      .store.db.selectFrom('ledger_outbox')
      .select('kind')
      .where('kind', '=', 'exchange-message')
      .execute()
    expect(outbox.length).toBeGreaterThanOrEqual(2)
  })

  it('refuses, with X-Road error types, what the access rights or the request do not allow', async () => {
    // The Land Board reads no population data (deny by default).
    const denied = await call('MA', `${population}/1.0?query.personalCode=${JAAK}`)
    expect(denied.statusCode).toBe(403)
    expect(denied.headers['x-road-error']).toBe('Server.ServerProxy.AccessDenied')
    expect(denied.json()).toMatchObject({ type: 'Server.ServerProxy.AccessDenied' })
    const unknown = await call('PPA', `${population.replace('/population', '/nothing')}`)
    expect(unknown.headers['x-road-error']).toBe('Server.ServerProxy.UnknownService')
    const traversal = await call('PPA', `${population}/a%2F..%2Fb`)
    expect(traversal.statusCode).toBe(400)
    expect(traversal.headers['x-road-error']).toBe('Client.InvalidRequest')
    // A long path is the protocol's business (refused as the provider's own 404 here), not a 400.
    const long = await call('PPA', `${population}/1.0/${'x'.repeat(300)}`)
    expect(long.headers['x-road-error']).toBeUndefined()
    expect(long.statusCode).toBe(404)
    const badId = await call('PPA', '/r1/EE/GOV/70%3A01/x/y')
    expect(badId.headers['x-road-error']).toBe('Client.InvalidRequest')
    const noClient = await t.inject({
      method: 'GET',
      url: population,
      headers: { authorization: t.credentials('PPA').authorization },
    })
    expect(noClient.headers['x-road-error']).toBe('Client.MissingHeader')
    const otherMember = await call('PPA', population, {
      'x-road-client': t.credentials('EMTA').client,
    })
    expect(otherMember.headers['x-road-error']).toBe('Client.SslAuthenticationFailed')
    const noKey = await t.inject({ method: 'GET', url: population })
    expect(noKey.statusCode).toBe(401)
    expect(noKey.headers['x-road-error']).toBe('Client.SslAuthenticationFailed')
  })

  it('passes a provider’s own errors through without X-Road-Error', async () => {
    const missing = await call('PPA', `${population}/1.0/read`, {})
    // GET on a POST-only registry route: the registry's own 4xx, untouched by the gateway.
    expect(missing.headers['x-road-error']).toBeUndefined()
    expect(missing.statusCode).toBeGreaterThanOrEqual(400)
    expect(missing.headers['x-road-request-hash']).toBeDefined()
  })

  it('publishes a signed global configuration', async () => {
    const reply = await t.inject({ method: 'GET', url: '/exchange/globalconf' })
    const signed = reply.json()
    const configuration = JSON.parse(Buffer.from(signed.configuration, 'base64').toString())
    expect(configuration.version).toBeGreaterThanOrEqual(1)
    expect(configuration.members.length).toBeGreaterThan(5)
    expect(configuration.members[0].signingCertificates).toHaveLength(1)
    expect(signed.signature.algorithm).toBe('ES256')
  })

  it('lets a provider grant and withdraw rights (GovStack management API), logged in the ledger', async () => {
    const keeper = population.split('/').slice(2, 5)
    const [instance, memberClass, memberCode] = keeper
    const sim = t.credentials('SIM').authorization
    const landBoard = t.credentials('MA').client.split('/')
    const body = (rights: Record<string, string>[]) => [
      {
        memberClass,
        memberCode,
        applicationId: 'population-register',
        serviceId: 'population',
        rights,
      },
    ]
    const grant = await t.inject({
      method: 'PATCH',
      url: '/api/v1/rights/allow',
      headers: { authorization: sim },
      payload: body([
        {
          memberClass: landBoard[1],
          memberCode: landBoard[2],
          applicationId: landBoard[3],
          method: 'GET',
          path: '/**',
        },
      ]),
    })
    expect(grant.json()).toEqual({ changed: 1 })
    const db = t.app.platform().store.db
    const registrar = await db
      .selectFrom('officials')
      .innerJoin('agencies', 'agencies.registry_code', 'officials.agency_code')
      .select('officials.personal_code')
      .where('agencies.short_name', '=', 'MA')
      .executeTakeFirstOrThrow()
    const asRegistrar = {
      'x-road-userid': `EE${registrar.personal_code}`,
      'x-road-issue': 'address check',
    }
    const granted = await call('MA', `${population}/1.0?query.personalCode=${JAAK}`, asRegistrar)
    expect(granted.statusCode).toBe(200)
    // Only GET was granted.
    const post = await t.inject({
      method: 'POST',
      url: `${population}/1.0/read`,
      headers: { ...t.headers('MA'), ...asRegistrar },
      payload: { query: { content: { personalCode: JAAK } } },
    })
    expect(post.headers['x-road-error']).toBe('Server.ServerProxy.AccessDenied')
    const list = await t.inject({
      method: 'GET',
      url: '/api/v1/rights/allow?applicationId=population-register&serviceId=population',
      headers: { authorization: sim },
    })
    expect(list.json().allowList[0].rights).toContainEqual({
      memberClass: landBoard[1],
      memberCode: landBoard[2],
      applicationId: landBoard[3],
      method: 'GET',
      path: '/**',
    })
    // Another member cannot touch the population register's rights.
    const foreign = await t.inject({
      method: 'PATCH',
      url: '/api/v1/rights/allow',
      headers: { authorization: t.credentials('MA').authorization },
      payload: body([
        { memberClass: landBoard[1], memberCode: landBoard[2], applicationId: landBoard[3] },
      ]),
    })
    expect(foreign.statusCode).toBe(403)
    const withdraw = await t.inject({
      method: 'PATCH',
      url: '/api/v1/rights/deny',
      headers: { authorization: sim },
      payload: body([
        { memberClass: landBoard[1], memberCode: landBoard[2], applicationId: landBoard[3] },
      ]),
    })
    expect(withdraw.json()).toEqual({ changed: 1 })
    expect(
      (await call('MA', `${population}/1.0?query.personalCode=${JAAK}`)).headers['x-road-error'],
    ).toBe('Server.ServerProxy.AccessDenied')
    const acts = await t.app
      .platform()
      .store.db.selectFrom('ledger_entries')
      .select('kind')
      .where('kind', '=', 'exchange-right')
      .execute()
    expect(acts).toHaveLength(2)
    expect(instance).toBe('EE')
    const status = await t.inject({ method: 'GET', url: '/api/v1/status' })
    expect(status.json()).toMatchObject({ status: 'ok', instance: 'EE' })
    const config = await t.inject({
      method: 'GET',
      url: '/api/v1/config',
      headers: { authorization: sim },
    })
    expect(config.json().members[0].applications[0].services[0].id).toBe('population')
    const clients = await t.inject({ method: 'GET', url: '/listClients' })
    expect(clients.json().member).toContainEqual({
      id: {
        member_class: 'GOV',
        member_code: memberCode,
        subsystem_code: 'population-register',
        object_type: 'SUBSYSTEM',
        xroad_instance: 'EE',
      },
      name: 'Ministry of the Interior',
    })
  })

  it('exports signed evidence of one message that verifies offline, and fails when changed', async () => {
    const reply = await call('PPA', `${population}/1.0?query.personalCode=${JAAK}`, {
      'x-road-id': 'evidence-1',
    })
    expect(reply.statusCode).toBe(200)
    const row = await t.app
      .platform()
      .store.db.selectFrom('exchange_message_log')
      .select('id')
      .where('message_id', '=', 'evidence-1')
      .where('side', '=', 'provider')
      .executeTakeFirstOrThrow()
    const file = join(t.dataDir, 'evidence-1.json')
    const exported = await cliOn(t, ['exchange', 'evidence', String(row.id), '--out', file])
    expect(exported.stderr).toBe('')
    expect(exported.code).toBe(0)
    const checked = await cliOn(t, ['exchange', 'verify-evidence', file])
    expect(checked.stdout).toContain('evidence verified: GET')
    expect(checked.stdout).toContain('anchored in')
    expect(checked.code).toBe(0)
    const evidence = JSON.parse(readFileSync(file, 'utf8'))
    evidence.record.path = '/other'
    const changed = join(t.dataDir, 'evidence-changed.json')
    writeFileSync(changed, JSON.stringify(evidence))
    const refused = await cliOn(t, ['exchange', 'verify-evidence', changed])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('evidence refused')
  }, 60_000)

  it('keeps monitoring records, metrics and delayed, suppressed open-data statistics', async () => {
    const monitoring = await t.inject({
      method: 'GET',
      url: '/exchange/monitoring?limit=1000',
      headers: { authorization: t.credentials('PPA').authorization },
    })
    const records = monitoring.json().records
    expect(records.length).toBeGreaterThan(2)
    expect(records[0]).not.toHaveProperty('path')
    expect(
      records.every(
        (record: { client: string; service: string }) =>
          record.client.startsWith(t.credentials('PPA').client.split('/').slice(0, 3).join('/')) ||
          record.service.startsWith(t.credentials('PPA').client.split('/').slice(0, 3).join('/')),
      ),
    ).toBe(true)
    const metrics = await t.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.body).toMatch(
      /estate_exchange_message_duration_seconds_count\{side="provider",outcome="ok"\} [1-9]/,
    )
    expect(metrics.body).toMatch(/outcome="Server.ServerProxy.AccessDenied"/)

    // Ten days ago: six calls by one member, two by another.
    const db = t.app.platform().store.db
    const day = new Date(Date.now() - 10 * 86_400_000)
    const row = (client: string, status: number) => ({
      side: 'provider',
      message_id: `old-${Math.random()}`,
      client,
      service: population.slice(4),
      method: 'GET',
      path: '/',
      user_id: null,
      request_hash: null,
      request_signature: null,
      response_signature: null,
      request_signed: null,
      response_signed: null,
      status,
      error_type: null,
      request_size: 0,
      response_size: 10,
      request_body: null,
      response_body: null,
      started_at: day.toISOString(),
      duration_ms: 4,
      commitment: '00',
    })
    await db
      .insertInto('exchange_message_log')
      .values([
        ...Array.from({ length: 6 }, (_, index) =>
          row('EE/GOV/70000071/police', index === 0 ? 403 : 200),
        ),
        row('EE/GOV/70000059/employment-register', 200),
        row('EE/GOV/70000059/employment-register', 200),
      ])
      .execute()
    const from = new Date(day.getTime() - 86_400_000).toISOString().slice(0, 10)
    const to = new Date().toISOString().slice(0, 10)
    const statistics = await t.inject({
      method: 'GET',
      url: `/exchange/statistics?from=${from}&to=${to}`,
    })
    const rows = statistics.json().rows
    expect(rows).toContainEqual({
      day: day.toISOString().slice(0, 10),
      clientMember: 'EE/GOV/70000071',
      service: population.slice(4),
      messages: 6,
      failed: '<5',
      averageMs: 4,
    })
    expect(rows).toContainEqual(
      expect.objectContaining({ clientMember: 'EE/GOV/70000059', messages: '<5', averageMs: null }),
    )
    // Today's traffic is not published yet.
    expect(rows.some((entry: { day: string }) => entry.day === to)).toBe(false)
    expect(JSON.stringify(statistics.json())).not.toContain('EE39001010000')
  })

  it('answers the GovStack Directory Services API in its own shapes', async () => {
    const clients = await t.inject({ method: 'GET', url: '/listClients?instanceId=EE' })
    expect(clients.json().member).toContainEqual({
      id: {
        objectType: 'APPLICATION',
        instanceId: 'EE',
        memberClass: 'GOV',
        memberCode: population.split('/')[4],
        applicationCode: 'population-register',
      },
      name: 'Ministry of the Interior',
    })
    expect((await t.inject({ method: 'GET', url: '/listClients?instanceId=FI' })).json()).toEqual({
      member: [],
    })
    const { authorization, client } = t.credentials('PPA')
    const allowed = await t.inject({
      method: 'GET',
      url: `${population.replace(/\/population$/, '')}/allowedMethods`,
      headers: { authorization, 'x-govstack-client': client },
    })
    expect(allowed.statusCode).toBe(200)
    expect(allowed.json().member).toContainEqual(
      expect.objectContaining({
        objectType: 'SERVICE',
        instanceId: 'EE',
        applicationCode: 'population-register',
        serviceCode: 'population',
        endpointList: { member: [] },
      }),
    )
    const xroad = await t.inject({
      method: 'GET',
      url: `${population.replace(/\/population$/, '')}/allowedMethods`,
      headers: { authorization, 'x-road-client': client },
    })
    expect(xroad.json().service[0]).toMatchObject({
      service_code: 'population',
      object_type: 'SERVICE',
    })
  })

  // Last: it moves the Tax Board to a gateway of its own.
  it('registers a standalone gateway and a member certificate, and exports the anchor', async () => {
    const platform = t.app.platform()
    const anchorFile = join(t.dataDir, 'anchor.pem')
    expect((await cliOn(t, ['exchange', 'anchor', '--out', anchorFile])).code).toBe(0)
    const signed = (await t.inject({ method: 'GET', url: '/exchange/globalconf' })).json()
    expect(new X509Certificate(readFileSync(anchorFile)).raw.toString('base64')).toBe(
      signed.signature.certificate,
    )
    const tax = t.credentials('EMTA').client.split('/').slice(0, 3).join('/')
    const tls = await platform.pki.issue({
      kind: 'tls',
      holder: 'EE/GATEWAY/emta',
      publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      subject: [['2.5.4.3', 'gateway.emta.example']],
      dnsNames: ['gateway.emta.example'],
    })
    const seal = await platform.pki.issue({
      kind: 'eseal',
      holder: tax,
      publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      subject: [['2.5.4.3', 'Tax and Customs Board (own gateway)']],
    })
    writeFileSync(join(t.dataDir, 'gw.pem'), new X509Certificate(tls.der).toString())
    writeFileSync(join(t.dataDir, 'seal.pem'), new X509Certificate(seal.der).toString())
    const added = await cliOn(t, [
      'exchange',
      'gateways',
      'add',
      'EE/GATEWAY/emta',
      '--member',
      tax,
      '--address',
      'https://127.0.0.1:9443',
      '--tls-certificate',
      join(t.dataDir, 'gw.pem'),
      '--serves',
      tax,
    ])
    expect(added.stderr).toBe('')
    expect(
      (await cliOn(t, ['exchange', 'member-certificates', 'add', tax, join(t.dataDir, 'seal.pem')]))
        .code,
    ).toBe(0)
    // Both acts are on their way into the ledger.
    const acts = await platform.store.db
      .selectFrom('ledger_outbox')
      .select('entry')
      .where('kind', '=', 'exchange-registry')
      .execute()
    expect(acts.map((act) => JSON.parse(Buffer.from(act.entry).toString()).act)).toEqual([
      'gateway-add',
      'member-certificate-add',
    ])
    await platform.exchange.refresh()
    const configuration = platform.exchange.configuration()
    const own = configuration.gateways.find((gateway) => gateway.id === 'EE/GATEWAY/emta')
    expect(own).toMatchObject({ address: 'https://127.0.0.1:9443', serves: [tax] })
    expect(
      configuration.gateways.find((gateway) => gateway.address === 'in-process:')?.serves,
    ).not.toContain(tax)
    expect(
      configuration.members.find((member) => member.id === tax)?.signingCertificates,
    ).toHaveLength(2)
    // Its systems now go through their own gateway, not this node's.
    const here = await call('EMTA', `${population}/1.0?query.personalCode=${JAAK}`)
    expect(here.headers['x-road-error']).toBe('Server.ClientProxy.UnknownMember')
  })
})
