/**
 * The registries' API end to end, on both engines: a seeded country behind the real Fastify
 * app, called through `inject` with member API keys, X-Road headers and real HTTP semantics
 * (status, `application/problem+json`, stable codes), and checked against the database behind
 * it (access records, ledger outbox and entries, encrypted columns).
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, readConfig } from '../src/main/index.ts'
import { commitAccessRecord } from '../src/registries/index.ts'
import { formatPersonalCode } from '../src/shared/index.ts'
import type { Schema } from '../src/storage/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'

usePostgresCluster()

const JAAK = '38001085718'
const MARI = '48707032744'
const IVAN = '39001010000'
const POLICE_CASE = 'criminal case 2026-0042'
/** Valid, but nobody in the seeded country was born on 3 February 1901 with serial 999. */
const ABSENT = formatPersonalCode({ sex: 'male', birthDate: '1901-02-03', serial: 999 })
const FORGED_KEY = `esm_${'0123456789abcdef'}_${'A'.repeat(43)}`

/** A response body, read loosely: the assertions check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>

const json = (reply: LightMyRequestResponse) => reply.json() as Body

/** A copy of the headers without one of them. */
function without(headers: Record<string, string>, name: string): Record<string, string> {
  const copy = { ...headers }
  delete copy[name]
  return copy
}

/** Asserts an RFC 9457 problem document with the stable code; returns its body. */
function expectProblem(reply: LightMyRequestResponse, status: number, code: string): Body {
  expect(reply.statusCode, reply.body).toBe(status)
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = json(reply)
  expect(body).toMatchObject({ status, code, type: `urn:e-state:problem:${code.toLowerCase()}` })
  expect(typeof body.detail).toBe('string')
  expect(typeof body.instance).toBe('string')
  return body
}

function expectOk(reply: LightMyRequestResponse): Body {
  expect(reply.statusCode, reply.body).toBe(200)
  expect(reply.headers['content-type']).toMatch(/^application\/json/)
  return json(reply)
}

describe.each(ENGINES)('the registries API on %s', (engine) => {
  let t: TestApp
  let admin: Kysely<Schema>

  beforeAll(async () => {
    t = await startTestApp(engine)
    admin = t.app.platform().store.admin
  })

  afterAll(async () => {
    await t?.close()
  })

  /** Member headers for an agency, acting as `userCode` for `issue` when given. */
  const as = (agency: string, userCode?: string, issue?: string): Record<string, string> => ({
    ...t.headers(agency),
    ...(userCode === undefined ? {} : { 'x-road-userid': `EE${userCode}` }),
    ...(issue === undefined ? {} : { 'x-road-issue': issue }),
  })
  const police = (issue = POLICE_CASE) => as('PPA', IVAN, issue)

  const agencyCode = async (shortName: string): Promise<string> =>
    (
      await admin
        .selectFrom('agencies')
        .select('registry_code')
        .where('short_name', '=', shortName)
        .executeTakeFirstOrThrow()
    ).registry_code

  /** A seeded official of the agency (not one of the demo persons). */
  const officialOf = async (shortName: string, role?: string): Promise<string> => {
    let query = admin
      .selectFrom('officials')
      .select('personal_code')
      .where('agency_code', '=', await agencyCode(shortName))
      .orderBy('personal_code')
    if (role !== undefined) query = query.where('role', '=', role)
    return (await query.executeTakeFirstOrThrow()).personal_code
  }

  const accessRecordsOf = async (subject: string): Promise<number> =>
    Number(
      (
        await admin
          .selectFrom('access_records')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('subject_code', '=', subject)
          .executeTakeFirstOrThrow()
      ).n,
    )

  // Queued and appended entries in one statement: a drain between two counts would move
  // entries from one table to the other and count them twice.
  const ledgerSize = async () =>
    Number(
      (
        await sql<{ n: number | string }>`SELECT
          (SELECT count(*) FROM ledger_outbox) + (SELECT count(*) FROM ledger_entries) AS n`.execute(
          admin,
        )
      ).rows[0]?.n,
    )
  const countOf = async (table: 'access_records' | 'ledger_outbox' | 'ledger_entries') =>
    Number(
      (
        await admin
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  const lastAccessRecordId = async (): Promise<number> =>
    Number(
      (
        await admin
          .selectFrom('access_records')
          .select((eb) => eb.fn.max('id').as('last'))
          .executeTakeFirstOrThrow()
      ).last ?? 0,
    )

  describe('starting', () => {
    it('starts with a data folder that does not exist yet', async () => {
      // A second app on the already seeded database, with the same master key, whose data
      // folder (where it writes the development API keys) has not been made by anyone.
      const root = await mkdtemp(join(tmpdir(), 'estate-nodir-'))
      const key = t.config.masterKeys.current
      const second = await createApp(
        readConfig({
          E_STATE_DATA_DIR: join(root, 'not-yet', 'data'),
          E_STATE_DATABASE_URL: t.config.databaseUrl,
          E_STATE_MASTER_KEY: `${key.id}:${Buffer.from(key.key).toString('base64')}`,
          E_STATE_POPULATION: '2000',
          E_STATE_LOG_LEVEL: 'silent',
        }),
        { drainIntervalMs: 0 },
      )
      try {
        await second.start()
        expect(existsSync(join(root, 'not-yet', 'data', 'dev-credentials.json'))).toBe(true)
      } finally {
        await second.close()
        await rm(root, { recursive: true, force: true })
      }
    })
  })

  describe('operations', () => {
    it('is live and ready after start, and exports metrics', async () => {
      const live = await t.inject({ method: 'GET', url: '/health/live' })
      expect(expectOk(live)).toEqual({ status: 'live' })
      const ready = await t.inject({ method: 'GET', url: '/health/ready' })
      expect(expectOk(ready)).toEqual({ status: 'ready' })
      const metrics = await t.inject({ method: 'GET', url: '/metrics' })
      expect(metrics.statusCode).toBe(200)
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/)
      expect(metrics.body).toContain('estate_http_request_duration_seconds')
      expect(metrics.body).toMatch(
        /estate_http_request_duration_seconds_count\{[^}]*route="\/health\/live"/,
      )
    })

    it('publishes an OpenAPI 3.1 document with the registries and the data tracker', async () => {
      const reply = await t.inject({ method: 'GET', url: '/openapi.json' })
      const document = expectOk(reply)
      expect(document.openapi).toMatch(/^3\.1\./)
      const paths = Object.keys(document.paths)
      expect(paths).toContain('/data/population/1.0')
      expect(paths).toContain('/data/population/1.0/read')
      expect(paths).toContain('/data/population/1.0/exists')
      expect(paths).toContain('/data/myPersonalDataUsage')
      // The parametric fallbacks are hidden from the document.
      expect(paths).not.toContain('/data/{registryName}/{versionNumber}')
    })
  })

  describe('a police officer reading the population register', () => {
    it('lists by personal code', async () => {
      const reply = await t.inject({
        method: 'GET',
        url: `/data/population/1.0?query.personalCode=${JAAK}`,
        headers: police(),
      })
      const body = expectOk(reply)
      expect(body.count).toBe(1)
      expect(body.next).toBeNull()
      expect(body.previous).toBeNull()
      expect(body.results).toHaveLength(1)
      expect(body.results[0]).toMatchObject({
        personalCode: JAAK,
        firstName: 'Jaak-Kristjan',
        lastName: 'Jõeorg',
        sex: 'male',
        birthDate: '1980-01-08',
      })
    })

    it('reads one record, and answers exists for a present and an absent code', async () => {
      const read = await t.inject({
        method: 'POST',
        url: '/data/population/1.0/read',
        headers: police(),
        payload: { query: { content: { personalCode: JAAK } } },
      })
      const body = expectOk(read)
      expect(Object.keys(body)).toEqual(['content'])
      expect(body.content).toMatchObject({ personalCode: JAAK, firstName: 'Jaak-Kristjan' })

      const present = await t.inject({
        method: 'POST',
        url: '/data/population/1.0/exists',
        headers: police(),
        payload: { query: { content: { personalCode: JAAK } } },
      })
      expect(expectOk(present)).toMatchObject({ answer: { status: true } })

      expect(
        await admin
          .selectFrom('persons')
          .select('personal_code')
          .where('personal_code', '=', ABSENT)
          .executeTakeFirst(),
      ).toBeUndefined()
      const absent = await t.inject({
        method: 'POST',
        url: '/data/population/1.0/exists',
        headers: police(),
        payload: { query: { content: { personalCode: ABSENT } } },
      })
      expect(expectOk(absent)).toMatchObject({ answer: { status: false } })

      const missing = await t.inject({
        method: 'POST',
        url: '/data/population/1.0/read',
        headers: police(),
        payload: { query: { content: { personalCode: ABSENT } } },
      })
      expectProblem(missing, 404, 'RECORD_NOT_FOUND')
    })

    it('reads one value as JSON and refuses other formats', async () => {
      const reply = await t.inject({
        method: 'GET',
        url: `/data/population/1.0/${JAAK}/readValue/firstName.json`,
        headers: police(),
      })
      expect(expectOk(reply)).toEqual({ value: 'Jaak-Kristjan' })

      const xml = await t.inject({
        method: 'GET',
        url: `/data/population/1.0/${JAAK}/readValue/firstName.xml`,
        headers: police(),
      })
      expectProblem(xml, 406, 'NOT_ACCEPTABLE')

      const residence = await t.inject({
        method: 'GET',
        url: `/data/population/1.0/${JAAK}/readValue/residence.json`,
        headers: police(),
      })
      const value = expectOk(residence).value
      expect(value === null || typeof value.address === 'string').toBe(true)

      const absent = await t.inject({
        method: 'GET',
        url: `/data/population/1.0/${ABSENT}/readValue/firstName.json`,
        headers: police(),
      })
      expectProblem(absent, 404, 'RECORD_NOT_FOUND')

      const unknownField = await t.inject({
        method: 'GET',
        url: `/data/population/1.0/${JAAK}/readValue/shoeSize.json`,
        headers: police(),
      })
      expectProblem(unknownField, 400, 'REGISTRY_FIELD_UNKNOWN')
    })
  })

  describe('access records and the data tracker', () => {
    it('records each personal read, shows it to the person and commits it to the ledger', async () => {
      const purpose = `criminal case ${randomUUID()}`
      const ppa = await agencyCode('PPA')
      const recordsBefore = await accessRecordsOf(JAAK)
      const ledgerBefore = await ledgerSize()

      const read = await t.inject({
        method: 'GET',
        url: `/data/population/1.0?query.personalCode=${JAAK}`,
        headers: police(purpose),
      })
      expectOk(read)

      // The reply left after the access record and its outbox entry were committed.
      expect(await accessRecordsOf(JAAK)).toBe(recordsBefore + 1)
      const record = await admin
        .selectFrom('access_records')
        .selectAll()
        .where('subject_code', '=', JAAK)
        .where('purpose', '=', purpose)
        .executeTakeFirstOrThrow()
      expect(record).toMatchObject({
        actor_code: IVAN,
        actor_name: 'Ivan Ivanov',
        agency_code: ppa,
        client_id: t.credentials('PPA').client,
        registry: 'population',
        data: 'population.person',
        covert_until: null,
      })
      expect(await ledgerSize()).toBeGreaterThan(ledgerBefore)

      // The public ledger holds a salted commitment of the record, never whose data was read.
      await t.app.platform().ledger.drainOnce()
      const commitment = commitAccessRecord({ ...record, salt: new Uint8Array(record.salt) })
      const entries = await admin
        .selectFrom('ledger_entries')
        .select(['idx', 'kind', 'entry'])
        .where('kind', '=', 'access')
        .execute()
      const texts = entries.map((entry) => Buffer.from(entry.entry).toString('utf8'))
      const mine = texts.filter((text) => text.includes(commitment))
      expect(mine).toHaveLength(1)
      expect(Object.keys(JSON.parse(mine[0])).sort()).toEqual(['at', 'commitment', 'kind'])
      expect(JSON.parse(mine[0])).toMatchObject({ kind: 'access', commitment })
      for (const text of texts) {
        expect(text).not.toContain(JAAK)
        expect(text).not.toContain(IVAN)
        expect(text).not.toContain(purpose)
      }
      const outbox = await admin.selectFrom('ledger_outbox').select('entry').execute()
      for (const entry of outbox) expect(Buffer.from(entry.entry).toString()).not.toContain(JAAK)

      // The person sees the read in their data tracker (through any agency's portal).
      const tracker = await t.inject({
        method: 'GET',
        url: `/data/myPersonalDataUsage?userId=EE${JAAK}&databaseId=population`,
        headers: as('RIA', JAAK),
      })
      const usage = expectOk(tracker) as unknown as Array<Body>
      expect(Array.isArray(usage)).toBe(true)
      const seen = usage.find((item) => item.purpose === purpose)
      expect(seen).toMatchObject({
        id: String(record.id),
        readerId: `EE${IVAN}`,
        readerInitials: 'II',
        readerInstitutionId: `EE${ppa}`,
        readerInstitutionName: 'Police and Border Guard Board',
        readerApplicationName: t.credentials('PPA').client,
        refrences: [{ ReferenceID: 'population.person' }],
        registry: 'population',
      })
      expect(Number.isNaN(Date.parse(seen?.searchDateTime))).toBe(false)
      expect(usage.every((item) => item.registry === 'population')).toBe(true)

      // Someone else's tracker is closed to a police officer.
      const trackerRecords = await accessRecordsOf(JAAK)
      const snooping = await t.inject({
        method: 'GET',
        url: `/data/myPersonalDataUsage?userId=EE${JAAK}&databaseId=*`,
        headers: police(),
      })
      expectProblem(snooping, 403, 'ACCESS_DENIED')
      expect(await accessRecordsOf(JAAK)).toBe(trackerRecords)
    })

    it('commits concurrent reads together, one access record each', async () => {
      const purpose = `criminal case ${randomUUID()}`
      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.inject({
            method: 'POST',
            url: '/data/population/1.0/read',
            headers: police(purpose),
            payload: { query: { content: { personalCode: MARI } } },
          }),
        ),
      )
      for (const reply of replies) expect(expectOk(reply).content.firstName).toBe('Mari')
      const written = await admin
        .selectFrom('access_records')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('purpose', '=', purpose)
        .where('subject_code', '=', MARI)
        .executeTakeFirstOrThrow()
      expect(Number(written.n)).toBe(20)
    })

    it('lets a person read their own record through a portal without being an official', async () => {
      const before = await accessRecordsOf(JAAK)
      const reply = await t.inject({
        method: 'POST',
        url: '/data/population/1.0/read',
        headers: as('RIA', JAAK, 'I look at my own data'),
        payload: { query: { content: { personalCode: JAAK } } },
      })
      expect(expectOk(reply).content.personalCode).toBe(JAAK)
      expect(await accessRecordsOf(JAAK)).toBe(before + 1)
    })

    it('writes no access record for a refused read', async () => {
      const before = await accessRecordsOf(MARI)
      const allBefore = await countOf('access_records')
      // Jaak-Kristjan is no official of the police: he may not read Mari's record through it.
      const reply = await t.inject({
        method: 'GET',
        url: `/data/population/1.0?query.personalCode=${MARI}`,
        headers: as('PPA', JAAK, POLICE_CASE),
      })
      expectProblem(reply, 403, 'ACCESS_DENIED')
      const read = await t.inject({
        method: 'POST',
        url: '/data/population/1.0/read',
        headers: as('PPA', JAAK, POLICE_CASE),
        payload: { query: { content: { personalCode: MARI } } },
      })
      expectProblem(read, 403, 'ACCESS_DENIED')
      expect(await accessRecordsOf(MARI)).toBe(before)
      expect(await countOf('access_records')).toBe(allBefore)
    })

    it("lets a data protection officer with a purpose see a person's tracker", async () => {
      const dpo = await officialOf('RIA', 'data protection officer')
      const purpose = `complaint ${randomUUID()}`
      const reply = await t.inject({
        method: 'GET',
        url: `/data/myPersonalDataUsage?userId=EE${JAAK}&databaseId=*`,
        headers: as('RIA', dpo, purpose),
      })
      expect(Array.isArray(expectOk(reply))).toBe(true)
      const recorded = await admin
        .selectFrom('access_records')
        .select(['actor_code', 'registry', 'data'])
        .where('purpose', '=', purpose)
        .execute()
      expect(recorded).toEqual([
        { actor_code: dpo, registry: 'tracker', data: 'tracker.data-usage' },
      ])
    })

    it('records a data protection officer viewing a tracker with the purpose they gave', async () => {
      // An official looking into someone else's tracker is not the person exercising their
      // GDPR Art. 15 right: the read needs its own purpose (X-Road-Issue), like every read.
      const dpo = await officialOf('RIA', 'data protection officer')
      const lastId = await lastAccessRecordId()
      const reply = await t.inject({
        method: 'GET',
        url: `/data/myPersonalDataUsage?userId=EE${JAAK}&databaseId=*`,
        headers: as('RIA', dpo),
      })
      const written = await admin
        .selectFrom('access_records')
        .select(['actor_code', 'subject_code', 'purpose'])
        .where('id', '>', lastId)
        .execute()
      expect(written).not.toContainEqual({
        actor_code: dpo,
        subject_code: JAAK,
        purpose: 'the data subject views their own data (GDPR Art. 15)',
      })
      expectProblem(reply, 400, 'ACCESS_PURPOSE_REQUIRED')
    })
  })

  describe('refusals', () => {
    const url = `/data/population/1.0?query.personalCode=${JAAK}`
    const cases: Array<{
      name: string
      request: () => InjectOptions
      status: number
      /** A problem code; with `gateway`, the X-Road error type the client's gateway answers. */
      code: string
      gateway?: boolean
      field?: string
    }> = [
      {
        name: 'no Authorization',
        request: () => ({ method: 'GET', url, headers: without(police(), 'authorization') }),
        status: 401,
        code: 'Client.SslAuthenticationFailed',
        gateway: true,
      },
      {
        name: 'a forged key',
        request: () => ({
          method: 'GET',
          url,
          headers: { ...police(), authorization: `Bearer ${FORGED_KEY}` },
        }),
        status: 401,
        code: 'Client.SslAuthenticationFailed',
        gateway: true,
      },
      {
        name: "a real key id with someone else's secret",
        request: () => {
          const real = t.credentials('PPA').authorization
          return {
            method: 'GET',
            url,
            headers: { ...police(), authorization: `${real.slice(0, -43)}${'B'.repeat(43)}` },
          }
        },
        status: 401,
        code: 'Client.SslAuthenticationFailed',
        gateway: true,
      },
      {
        name: 'a key that is not a bearer token at all',
        request: () => ({
          method: 'GET',
          url,
          headers: { ...police(), authorization: 'Basic Zm9v' },
        }),
        status: 401,
        code: 'Client.SslAuthenticationFailed',
        gateway: true,
      },
      {
        name: "a valid key with another member's client",
        request: () => ({
          method: 'GET',
          url,
          headers: { ...police(), 'x-road-client': t.credentials('EMTA').client },
        }),
        status: 401,
        code: 'Client.SslAuthenticationFailed',
        gateway: true,
      },
      {
        name: 'a valid key with an unregistered subsystem of its own member',
        request: () => {
          const client = t.credentials('PPA').client.replace(/\/[^/]+$/, '/other-system')
          return { method: 'GET', url, headers: { ...police(), 'x-road-client': client } }
        },
        status: 400,
        code: 'Server.ClientProxy.UnknownMember',
        gateway: true,
      },
      {
        name: 'no client header',
        request: () => ({ method: 'GET', url, headers: without(police(), 'x-road-client') }),
        status: 400,
        code: 'Client.MissingHeader',
        gateway: true,
      },
      {
        name: 'a malformed client header',
        request: () => ({
          method: 'GET',
          url,
          headers: { ...police(), 'x-road-client': 'EE/GOV/../police' },
        }),
        status: 400,
        code: 'Client.InvalidClientIdentifier',
        gateway: true,
      },
      {
        name: 'no X-Road-UserId on a personal registry',
        request: () => ({ method: 'GET', url, headers: as('PPA', undefined, POLICE_CASE) }),
        status: 400,
        code: 'ACCESS_ACTOR_REQUIRED',
      },
      {
        name: 'a malformed X-Road-UserId',
        request: () => ({
          method: 'GET',
          url,
          headers: { ...police(), 'x-road-userid': 'EE38001085719' },
        }),
        status: 400,
        code: 'INVALID_PERSONAL_CODE',
        field: 'X-Road-UserId',
      },
      {
        name: 'no X-Road-Issue',
        request: () => ({ method: 'GET', url, headers: as('PPA', IVAN) }),
        status: 400,
        code: 'ACCESS_PURPOSE_REQUIRED',
      },
      {
        name: 'a blank X-Road-Issue',
        request: () => ({ method: 'GET', url, headers: police('   ') }),
        status: 400,
        code: 'ACCESS_PURPOSE_REQUIRED',
      },
      {
        name: 'an X-Road-Issue over 500 characters',
        request: () => ({ method: 'GET', url, headers: police('x'.repeat(501)) }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        name: 'the police reading the health-insurance register (not granted)',
        request: () => ({
          method: 'GET',
          url: `/data/health-insurance/1.0?query.personalCode=${JAAK}`,
          headers: police(),
        }),
        status: 403,
        code: 'Server.ServerProxy.AccessDenied',
        gateway: true,
      },
      {
        name: 'the police reading the employment register (not granted) with POST read',
        request: () => ({
          method: 'POST',
          url: '/data/employment/1.0/read',
          headers: police(),
          payload: { query: { content: { personalCode: JAAK } } },
        }),
        status: 403,
        code: 'Server.ServerProxy.AccessDenied',
        gateway: true,
      },
      {
        name: 'a malformed personal code',
        request: () => ({
          method: 'GET',
          url: '/data/population/1.0?query.personalCode=12345',
          headers: police(),
        }),
        status: 400,
        code: 'INVALID_PERSONAL_CODE',
        field: 'query.personalCode',
      },
      {
        name: 'a personal code with a wrong check digit',
        request: () => ({
          method: 'GET',
          url: '/data/population/1.0?query.personalCode=38001085719',
          headers: police(),
        }),
        status: 400,
        code: 'INVALID_PERSONAL_CODE',
        field: 'query.personalCode',
      },
      {
        name: 'a wrong check digit in a read body',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/read',
          headers: police(),
          payload: { query: { content: { personalCode: '38001085719' } } },
        }),
        status: 400,
        code: 'INVALID_PERSONAL_CODE',
        field: 'query.content.personalCode',
      },
      {
        name: 'an unknown registry',
        request: () => ({ method: 'GET', url: '/data/nope/1.0', headers: police() }),
        status: 404,
        code: 'REGISTRY_UNKNOWN',
      },
      {
        name: 'an unknown registry named like an Object prototype member',
        request: () => ({ method: 'GET', url: '/data/constructor/1.0', headers: police() }),
        status: 404,
        code: 'REGISTRY_UNKNOWN',
      },
      {
        name: 'an unknown version',
        request: () => ({ method: 'GET', url: '/data/population/9.9', headers: police() }),
        status: 404,
        code: 'REGISTRY_VERSION_UNKNOWN',
      },
      {
        name: 'an unknown version on POST read',
        request: () => ({
          method: 'POST',
          url: '/data/population/9.9/read',
          headers: police(),
          payload: { query: { content: { personalCode: JAAK } } },
        }),
        status: 404,
        code: 'REGISTRY_VERSION_UNKNOWN',
      },
      {
        name: 'an unknown query field',
        request: () => ({
          method: 'GET',
          url: `${url}&query.shoeSize=4`,
          headers: police(),
        }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        name: 'an unknown body field',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/read',
          headers: police(),
          payload: { query: { content: { personalCode: JAAK, shoeSize: '4' } } },
        }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        name: 'an unknown top-level body field',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/exists',
          headers: police(),
          payload: { query: { content: { personalCode: JAAK } }, extra: true },
        }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        name: 'a read body without a query',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/read',
          headers: police(),
          payload: {},
        }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        name: 'a read with empty query content',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/read',
          headers: police(),
          payload: { query: { content: {} } },
        }),
        status: 400,
        code: 'REGISTRY_QUERY_TOO_BROAD',
      },
      {
        name: 'pageSize that is not a number',
        request: () => ({ method: 'GET', url: `${url}&pageSize=abc`, headers: police() }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        name: 'pageSize over the maximum',
        request: () => ({ method: 'GET', url: `${url}&pageSize=1000`, headers: police() }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        name: 'page zero',
        request: () => ({ method: 'GET', url: `${url}&page=0`, headers: police() }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        name: 'an unknown ordering',
        request: () => ({ method: 'GET', url: `${url}&ordering=sideways`, headers: police() }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        name: 'malformed JSON',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/read',
          headers: { ...police(), 'content-type': 'application/json' },
          payload: '{"query": {"content": ',
        }),
        status: 400,
        code: 'MALFORMED_JSON',
      },
      {
        name: 'an empty JSON body',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/read',
          headers: { ...police(), 'content-type': 'application/json' },
          payload: '',
        }),
        status: 400,
        code: 'MALFORMED_JSON',
      },
      {
        name: 'a body in a media type with no parser',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/read',
          headers: { ...police(), 'content-type': 'application/xml' },
          payload: '<query><personalCode>38001085718</personalCode></query>',
        }),
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'a plain-text body',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/read',
          headers: { ...police(), 'content-type': 'text/plain' },
          payload: 'personalCode=38001085718',
        }),
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'a body over 1 MiB',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/read',
          headers: { ...police(), 'content-type': 'application/json' },
          payload: JSON.stringify({
            query: { content: { personalCode: JAAK } },
            padding: 'x'.repeat(1_100_000),
          }),
        }),
        status: 413,
        code: 'BODY_TOO_LARGE',
      },
      {
        name: 'an unknown route',
        request: () => ({ method: 'GET', url: '/no/such/route', headers: police() }),
        status: 404,
        code: 'ROUTE_NOT_FOUND',
      },
      {
        name: 'listing the population register without criteria',
        request: () => ({ method: 'GET', url: '/data/population/1.0', headers: police() }),
        status: 400,
        code: 'REGISTRY_QUERY_TOO_BROAD',
      },
      {
        name: 'a one-letter search of a personal register',
        request: () => ({
          method: 'GET',
          url: '/data/population/1.0?search=T',
          headers: police(),
        }),
        status: 400,
        code: 'REGISTRY_QUERY_TOO_BROAD',
      },
      {
        name: 'creating a record in a base registry',
        request: () => ({
          method: 'POST',
          url: '/data/population/1.0/create',
          headers: police(),
          payload: { write: { content: { personalCode: JAAK } } },
        }),
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
      },
      {
        name: 'a tracker for an unknown registry',
        request: () => ({
          method: 'GET',
          url: `/data/myPersonalDataUsage?userId=EE${JAAK}&databaseId=nope`,
          headers: as('RIA', JAAK),
        }),
        status: 404,
        code: 'REGISTRY_UNKNOWN',
      },
      {
        name: 'a tracker for a malformed userId',
        request: () => ({
          method: 'GET',
          url: `/data/myPersonalDataUsage?userId=EE12345&databaseId=population`,
          headers: as('RIA', JAAK),
        }),
        status: 400,
        code: 'INVALID_PERSONAL_CODE',
        field: 'userId',
      },
    ]

    it.each(cases)('$name → $status $code', async ({ request, status, code, gateway, field }) => {
      const reply = await t.inject(request())
      expect(reply.statusCode).toBeLessThan(500)
      if (gateway === true) {
        // Refused by the gateway before any register is asked: X-Road's error, not a problem.
        expect(reply.statusCode, reply.body).toBe(status)
        expect(reply.headers['x-road-error']).toBe(code)
        expect(json(reply)).toMatchObject({ type: code })
      } else {
        const body = expectProblem(reply, status, code)
        if (field !== undefined) expect(body.field).toBe(field)
        // A register's own refusal comes through the gateway untouched.
        expect(reply.headers['x-road-error']).toBeUndefined()
      }
      // Problems never echo a key.
      expect(reply.body).not.toMatch(/esm_[0-9a-f]{16}_/)
    })
  })

  describe('the registries', () => {
    it('gives the Tax board decrypted monthly pay, stored encrypted', async () => {
      const employed = await admin
        .selectFrom('employments')
        .innerJoin('incomes', 'incomes.personal_code', 'employments.personal_code')
        .select(['employments.personal_code', 'incomes.months', 'incomes.year'])
        .orderBy('employments.personal_code')
        .limit(1)
        .executeTakeFirstOrThrow()
      const code = employed.personal_code
      const taxOfficer = await officialOf('EMTA')
      const reply = await t.inject({
        method: 'GET',
        url: `/data/employment/1.0?query.personalCode=${code}`,
        headers: as('EMTA', taxOfficer, 'income tax return 2026'),
      })
      const body = expectOk(reply)
      expect(body.count).toBe(1)
      const record = body.results[0]
      expect(record.personalCode).toBe(code)
      expect(record.employments.length).toBeGreaterThan(0)
      expect(record.employments[0]).toHaveProperty('employerCode')
      expect(record.incomes.length).toBeGreaterThan(0)
      const months = record.incomes.flatMap((income: { months: unknown[] }) => income.months)
      expect(months.length).toBeGreaterThan(0)
      for (const month of months) {
        expect(month.month).toMatch(/^\d{4}-\d{2}$/)
        expect(Number.isInteger(month.grossCents)).toBe(true)
        expect(Number.isInteger(month.incomeTaxCents)).toBe(true)
        expect(month.incomeTaxCents).toBeLessThanOrEqual(month.grossCents)
      }
      expect(months.some((month: { grossCents: number }) => month.grossCents > 0)).toBe(true)

      // At rest the pay is ciphertext, not JSON.
      const stored = Buffer.from(employed.months)
      expect(() => JSON.parse(stored.toString('utf8'))).toThrow()
      expect(stored.toString('latin1')).not.toContain('grossCents')
      const gross = String(
        months.find((month: { grossCents: number }) => month.grossCents > 0).grossCents,
      )
      expect(stored.toString('latin1')).not.toContain(`[${gross},`)
    })

    it('gives the Health Insurance Fund coverage', async () => {
      const clerk = await officialOf('TK')
      const insured = await admin
        .selectFrom('health_insurance')
        .select(['personal_code', 'coverage'])
        .orderBy('personal_code')
        .limit(1)
        .executeTakeFirstOrThrow()
      expect(() => JSON.parse(Buffer.from(insured.coverage).toString('utf8'))).toThrow()
      const reply = await t.inject({
        method: 'POST',
        url: '/data/health-insurance/1.0/read',
        headers: as('TK', clerk, 'benefit claim 17'),
        payload: { query: { content: { personalCode: insured.personal_code } } },
      })
      const { content } = expectOk(reply)
      expect(content.personalCode).toBe(insured.personal_code)
      expect(typeof content.insured).toBe('boolean')
    })

    it('gives the business register keeper a company with its board', async () => {
      const registrar = await officialOf('RIK')
      const company = await admin
        .selectFrom('company_people')
        .select(['registry_code', 'personal_code'])
        .where('role', '=', 'board member')
        .orderBy('registry_code')
        .limit(1)
        .executeTakeFirstOrThrow()
      const reply = await t.inject({
        method: 'GET',
        url: `/data/business/1.0?query.registryCode=${company.registry_code}`,
        headers: as('RIK', registrar, 'annual report check'),
      })
      const body = expectOk(reply)
      expect(body.count).toBe(1)
      const record = body.results[0]
      expect(record.registryCode).toBe(company.registry_code)
      expect(
        record.boardMembers.map((member: { personalCode: string }) => member.personalCode),
      ).toContain(company.personal_code)
      expect(record.boardMembers[0]).toHaveProperty('name')
    })

    it('gives the Transport Administration a vehicle by plate', async () => {
      const clerk = await officialOf('TRAM')
      const vehicle = await admin
        .selectFrom('vehicles')
        .select(['plate', 'vin'])
        .orderBy('plate')
        .limit(1)
        .executeTakeFirstOrThrow()
      const query = new URLSearchParams({ 'query.plate': vehicle.plate })
      const reply = await t.inject({
        method: 'GET',
        url: `/data/vehicles/1.0?${query}`,
        headers: as('TRAM', clerk, 'roadside inspection'),
      })
      const body = expectOk(reply)
      expect(body.count).toBe(1)
      expect(body.results[0]).toMatchObject({ plate: vehicle.plate, vin: vehicle.vin })
      expect(['person', 'company']).toContain(body.results[0].owner.kind)
    })

    it('gives the Land Board an address without an acting person (addresses are not personal)', async () => {
      const building = await admin
        .selectFrom('buildings')
        .select(['code', 'postal_code'])
        .orderBy('code')
        .limit(1)
        .executeTakeFirstOrThrow()
      const records = await countOf('access_records')
      const reply = await t.inject({
        method: 'GET',
        url: `/data/addresses/1.0?query.buildingCode=${building.code}`,
        headers: as('MA'),
      })
      const body = expectOk(reply)
      expect(body.count).toBe(1)
      expect(body.results[0]).toMatchObject({
        buildingCode: building.code,
        postalCode: building.postal_code,
      })
      expect(typeof body.results[0].address).toBe('string')
      expect(await countOf('access_records')).toBe(records)
    })

    it('pages a search with count and next/previous links', async () => {
      const first = await t.inject({
        method: 'GET',
        url: '/data/population/1.0?search=Ta&pageSize=5',
        headers: police(),
      })
      const page1 = expectOk(first)
      expect(page1.count).toBeGreaterThan(5)
      expect(page1.results).toHaveLength(5)
      expect(page1.previous).toBeNull()
      expect(page1.next).toEqual(expect.stringContaining('page=2'))
      expect(page1.next).toEqual(expect.stringContaining('pageSize=5'))
      expect(page1.next).toEqual(expect.stringMatching(/^\/data\/population\/1\.0\?/))
      for (const person of page1.results) expect(person.lastName.startsWith('Ta')).toBe(true)

      const second = await t.inject({ method: 'GET', url: page1.next, headers: police() })
      const page2 = expectOk(second)
      expect(page2.count).toBe(page1.count)
      expect(page2.previous).toEqual(expect.stringContaining('page=1'))
      const codes1 = page1.results.map((person: { personalCode: string }) => person.personalCode)
      for (const person of page2.results) expect(codes1).not.toContain(person.personalCode)
    })
  })
})

describe('fail closed when access records do not reach the ledger (sqlite)', () => {
  let t: TestApp

  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { E_STATE_ACCESS_OUTBOX_MAX: '3' },
      options: { drainIntervalMs: 0 },
    })
  })

  afterAll(async () => {
    await t?.close()
  })

  const read = () =>
    t.inject({
      method: 'GET',
      url: `/data/population/1.0?query.personalCode=${JAAK}`,
      headers: { ...t.headers('PPA'), 'x-road-userid': `EE${IVAN}`, 'x-road-issue': POLICE_CASE },
    })

  const outboxSize = async () =>
    Number(
      (
        await t.app
          .platform()
          .store.admin.selectFrom('ledger_outbox')
          .select((eb) => eb.fn.countAll().as('n'))
          // The exchange logs the refused call itself; the door must write nothing.
          .where('kind', '!=', 'exchange-message')
          .executeTakeFirstOrThrow()
      ).n,
    )

  it('refuses personal reads with 503 while the outbox is over its bound, and recovers', async () => {
    // The gate counts everything waiting in the outbox (the exchange's log of each call too);
    // reads are answered until the backlog it saw last is over the bound. A read that comes
    // within the gate's 100 ms cache of the last check may still pass: keep reading until one
    // is refused, however slow the machine.
    const waiting = async () =>
      Number(
        (
          await t.app
            .platform()
            .store.admin.selectFrom('ledger_outbox')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    let reads = 0
    while ((await waiting()) <= 3) {
      expectOk(await read())
      reads++
      expect(reads).toBeLessThan(10)
    }
    // The gate checks the backlog at most every 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 150))
    const refused = await read()
    const problem = expectProblem(refused, 503, 'ACCESS_LOG_BACKLOG')
    expect(refused.headers['retry-after']).toMatch(/^\d+$/)
    expect(problem.outboxEntries).toBeGreaterThan(3)
    const before = await outboxSize()
    expect(await waiting()).toBeGreaterThan(3)

    // Non-personal registries are not behind the door and keep answering.
    const building = await t.app
      .platform()
      .store.admin.selectFrom('buildings')
      .select('code')
      .limit(1)
      .executeTakeFirstOrThrow()
    expectOk(
      await t.inject({
        method: 'GET',
        url: `/data/addresses/1.0?query.buildingCode=${building.code}`,
        headers: t.headers('MA'),
      }),
    )

    const metrics = await t.inject({ method: 'GET', url: '/metrics' })
    const match = /^estate_personal_reads_refused_total\{reason="backlog"\} (\d+)/m.exec(
      metrics.body,
    )
    expect(match, metrics.body).not.toBeNull()
    expect(Number(match?.[1])).toBeGreaterThanOrEqual(1)
    // Nothing was written by the refused read.
    expect(await outboxSize()).toBe(before)

    const moved = await t.app.platform().ledger.drainOnce()
    // The door's records and the exchange's log of the calls themselves.
    expect(moved).toBeGreaterThanOrEqual(before)
    expect(await outboxSize()).toBe(0)
    const again = expectOk(await read())
    expect(again.results[0].firstName).toBe('Jaak-Kristjan')
  })
})
