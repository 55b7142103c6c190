/** Changing base-registry records through the API: who may, what is recorded, what is refused. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commitValues } from '../src/ledger/index.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'

usePostgresCluster()

const JAAK = '38001085718'
const CLERK = '48707032744' // Mari Maasikas, clerk of the Ministry of the Interior

describe.each(ENGINES)('registry changes on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const update = (agency: string, userCode: string, body: unknown, operation = 'update') =>
    t.inject({
      method: 'PUT',
      url: `/data/population/1.0/${operation}`,
      headers: {
        ...t.headers(agency),
        'x-road-userid': `EE${userCode}`,
        'x-road-issue': 'application 2026-77',
        'content-type': 'application/json',
      },
      payload: JSON.stringify(body),
    })

  it('lets a clerk of the keeping agency change contact details, recording the change and its commitment', async () => {
    const reply = await update('SIM', CLERK, {
      query: { content: { personalCode: JAAK } },
      write: { content: { contactEmail: 'jaak.joeorg@example.org', contactPhone: '+37255512345' } },
    })
    expect(reply.statusCode).toBe(200)
    expect(reply.json().content[0].contact).toEqual({
      email: 'jaak.joeorg@example.org',
      phone: '+37255512345',
    })

    const db = t.app.platform().store.admin
    const change = await db
      .selectFrom('registry_changes')
      .selectAll()
      .where('record_id', '=', JAAK)
      .executeTakeFirstOrThrow()
    expect(change).toMatchObject({
      registry: 'population',
      actor_code: CLERK,
      purpose: 'application 2026-77',
    })
    expect(JSON.parse(change.change)).toEqual({
      contactEmail: 'jaak.joeorg@example.org',
      contactPhone: '+37255512345',
    })
    const outbox = await db
      .selectFrom('ledger_outbox')
      .select(['entry'])
      .where('kind', '=', 'registry-change')
      .execute()
    await t.app.platform().ledger.drainOnce()
    const entries = await db
      .selectFrom('ledger_entries')
      .select(['entry'])
      .where('kind', '=', 'registry-change')
      .execute()
    const published = [...outbox, ...entries].map((row) =>
      JSON.parse(Buffer.from(row.entry).toString('utf8')),
    )
    const expected = commitValues(change.salt, [
      change.recorded_at,
      change.registry,
      change.record_id,
      change.agency_code,
      change.actor_code,
      change.client_id,
      change.purpose,
      change.change,
    ])
    expect(published.map((entry) => entry.commitment)).toContain(expected)
    for (const entry of published) expect(JSON.stringify(entry)).not.toContain(JAAK)

    // The person sees the change in their data tracker.
    const usage = await t.inject({
      url: `/data/myPersonalDataUsage?userId=EE${JAAK}&databaseId=population`,
      headers: { ...t.headers('RIA'), 'x-road-userid': `EE${JAAK}` },
    })
    expect(
      usage
        .json()
        .map((row: { refrences: Array<{ ReferenceID: string }> }) => row.refrences[0].ReferenceID),
    ).toContain('population.person (changed: contactEmail, contactPhone)')
  })

  it('refuses other agencies, non-officials, unknown or invalid fields, and records nothing', async () => {
    const db = t.app.platform().store.admin
    const before = await db
      .selectFrom('registry_changes')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
    const query = { content: { personalCode: JAAK } }
    const cases = [
      {
        reply: await update('PPA', '39001010000', {
          query,
          write: { content: { contactEmail: 'x@example.org' } },
        }),
        status: 403,
        code: 'ACCESS_DENIED',
      },
      {
        reply: await update('SIM', JAAK, {
          query,
          write: { content: { contactEmail: 'x@example.org' } },
        }),
        status: 403,
        code: 'ACCESS_DENIED',
      },
      {
        reply: await update('SIM', CLERK, { query, write: { content: { firstName: 'Mallory' } } }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        reply: await update('SIM', CLERK, {
          query,
          write: { content: { contactEmail: 'not an address' } },
        }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        reply: await update('SIM', CLERK, { query, write: { content: {} } }),
        status: 400,
        code: 'INVALID_INPUT',
      },
      {
        reply: await update('SIM', CLERK, {
          query: { content: {} },
          write: { content: { contactPhone: '+3725551234' } },
        }),
        status: 400,
        code: 'REGISTRY_QUERY_TOO_BROAD',
      },
    ]
    for (const { reply, status, code } of cases) {
      expect(reply.statusCode, reply.body).toBe(status)
      expect(reply.json().code).toBe(code)
    }
    const create = await t.inject({
      method: 'POST',
      url: '/data/population/1.0/create',
      headers: t.headers('SIM'),
      payload: {},
    })
    expect(create.statusCode).toBe(405)
    expect(create.json().code).toBe('METHOD_NOT_ALLOWED')
    const after = await db
      .selectFrom('registry_changes')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
  })

  it('changes several records with updateEntries, and a vehicle through its keeper', async () => {
    const db = t.app.platform().store.admin
    const vehicle = await db.selectFrom('vehicles').select(['plate']).executeTakeFirstOrThrow()
    const clerk = await db
      .selectFrom('officials')
      .innerJoin('agencies', 'agencies.registry_code', 'officials.agency_code')
      .select('officials.personal_code')
      .where('agencies.short_name', '=', 'TRAM')
      .executeTakeFirstOrThrow()
    const reply = await t.inject({
      method: 'PUT',
      url: '/data/vehicles/1.0/update',
      headers: {
        ...t.headers('TRAM'),
        'x-road-userid': `EE${clerk.personal_code}`,
        'x-road-issue': 'insurance notice 9',
        'content-type': 'application/json',
      },
      payload: JSON.stringify({
        query: { content: { plate: vehicle.plate } },
        write: { content: { insuranceValidUntil: '2027-12-31' } },
      }),
    })
    expect(reply.statusCode, reply.body).toBe(200)
    expect(reply.json().content[0].insuranceValidUntil).toBe('2027-12-31')

    const family = await db
      .selectFrom('persons')
      .select('personal_code')
      .where('last_name', '=', 'Tamm')
      .execute()
    const many = await update(
      'SIM',
      CLERK,
      {
        query: { content: { lastName: 'Tamm' } },
        write: { content: { contactPhone: '+37250000000' } },
      },
      'updateEntries',
    )
    expect(many.statusCode, many.body).toBe(200)
    expect(many.json().content).toHaveLength(Math.min(family.length, 100))
    const single = await update('SIM', CLERK, {
      query: { content: { lastName: 'Tamm' } },
      write: { content: { contactPhone: '+37250000001' } },
    })
    expect(single.statusCode).toBe(family.length > 1 ? 400 : 200)
  })
})
