/**
 * Roles and mandates, on both engines: a parent logged in with their e-ID sees their minor
 * child's data tracker on the parent's mandate (and the answer says so), not an adult child's;
 * a board member's mandates list the company; an official's roles list the agency.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { issueCard, loginWith } from './support/eid.ts'

usePostgresCluster()

const origin = 'https://www.state.example'

describe.each(ENGINES)('mandates on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, {
      env: { E_STATE_PUBLIC_URL: origin },
      options: { drainIntervalMs: 0 },
    })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const sessionOf = async (personalCode: string) => {
    const card = await issueCard(t, personalCode, { given: 'TEST', surname: 'PERSON' })
    const login = await loginWith(t, card, origin)
    expect(login.status).toBe(200)
    return login.cookie
  }
  const adulthood = () => {
    const today = new Date()
    return new Date(Date.UTC(today.getUTCFullYear() - 18, today.getUTCMonth(), today.getUTCDate()))
      .toISOString()
      .slice(0, 10)
  }

  it("lets a parent see their minor child's tracker on the parent's mandate, not an adult child's", async () => {
    const db = t.app.platform().store.admin
    const minor = await db
      .selectFrom('persons')
      .select(['personal_code', 'mother_code', 'first_name', 'last_name'])
      .where('status', '=', 'alive')
      .where('mother_code', 'is not', null)
      .where('birth_date', '>', adulthood())
      .orderBy('personal_code')
      .executeTakeFirstOrThrow()
    const adult = await db
      .selectFrom('persons')
      .select(['personal_code', 'mother_code'])
      .where('status', '=', 'alive')
      .where('mother_code', 'is not', null)
      .where('birth_date', '<', '2000-01-01')
      .orderBy('personal_code')
      .executeTakeFirstOrThrow()
    // A covert police read about the child: hidden from the parent as from the child.
    const release = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)
    const officer = '39001010000'
    const covert = await t.inject({
      url: `/data/population/1.0?query.personalCode=${minor.personal_code}`,
      headers: {
        ...t.headers('PPA'),
        'x-road-userid': `EE${officer}`,
        'x-road-issue': 'covert order 1',
        'x-estate-covert-until': release,
      },
    })
    expect(covert.statusCode).toBe(200)
    const mother = await sessionOf(minor.mother_code as string)
    const child = await t.inject({
      url: `/tracker/usage?userId=EE${minor.personal_code}`,
      headers: { cookie: mother },
    })
    expect(child.statusCode, child.body).toBe(200)
    expect(child.json().authorisedAs).toBe('parent')
    expect(
      child.json().records.some((r: { purpose: string }) => r.purpose === 'covert order 1'),
    ).toBe(false)
    const mandates = (await t.inject({ url: '/auth/mandates', headers: { cookie: mother } })).json()
    expect(mandates.children).toContainEqual({
      personalCode: minor.personal_code,
      name: `${minor.first_name} ${minor.last_name}`,
    })

    const adultsMother = await sessionOf(adult.mother_code as string)
    const grown = await t.inject({
      url: `/tracker/usage?userId=EE${adult.personal_code}`,
      headers: { cookie: adultsMother },
    })
    expect(grown.statusCode).toBe(403)
    expect(grown.json().code).toBe('ACCESS_DENIED')
    const own = await t.inject({ url: '/tracker/usage', headers: { cookie: adultsMother } })
    expect(own.json().authorisedAs).toBe('self')
  })

  it("lists a board member's companies and an official's roles", async () => {
    const db = t.app.platform().store.admin
    const board = await db
      .selectFrom('company_people')
      .innerJoin('companies', 'companies.registry_code', 'company_people.registry_code')
      .select(['company_people.personal_code', 'companies.registry_code', 'companies.name'])
      .where('company_people.role', '=', 'board member')
      .orderBy('company_people.personal_code')
      .executeTakeFirstOrThrow()
    const member = await sessionOf(board.personal_code)
    const mandates = (await t.inject({ url: '/auth/mandates', headers: { cookie: member } })).json()
    expect(mandates.companies).toContainEqual({
      registryCode: board.registry_code,
      name: board.name,
    })
    // The portal asked each register through the exchange, as the state portal, for this person.
    const logged = await db
      .selectFrom('exchange_message_log')
      .select(['side', 'client', 'service', 'path', 'user_id', 'status'])
      .where('path', '=', '/1.0/mandates')
      .where('user_id', '=', `EE${board.personal_code}`)
      .execute()
    expect(logged.map((row) => `${row.side} ${row.service.split('/').at(-1)}`).sort()).toEqual([
      'consumer business',
      'consumer population',
      'provider business',
      'provider population',
    ])
    expect(logged.every((row) => row.client.endsWith('/state-portal') && row.status === 200)).toBe(
      true,
    )

    const clerk = await sessionOf('48707032744')
    const roles = (await t.inject({ url: '/auth/mandates', headers: { cookie: clerk } })).json()
      .roles
    expect(roles).toContainEqual(expect.objectContaining({ role: 'clerk' }))
    expect((await t.inject({ url: '/auth/mandates' })).json().code).toBe('SESSION_REQUIRED')
  })
})
