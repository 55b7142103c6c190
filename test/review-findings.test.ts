/** Regression tests for defects an independent review found in the registries API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'

usePostgresCluster()

const JAAK = '38001085718'
const CLERK = '48707032744'
const OFFICER = '39001010000'

describe.each(ENGINES)('review findings on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine)
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })
  const headers = (agency: string, user: string, issue?: string) => ({
    ...t.headers(agency),
    'x-road-userid': `EE${user}`,
    ...(issue === undefined ? {} : { 'x-road-issue': issue }),
    'content-type': 'application/json',
  })

  it('keeps one failing act from failing or half-committing the others in its batch', async () => {
    const db = t.app.platform().store.admin
    const before = await db
      .selectFrom('registry_changes')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
    const bad = t.inject({
      method: 'PUT',
      url: '/data/population/1.0/update',
      headers: headers('SIM', CLERK, 'x'),
      payload: JSON.stringify({
        query: { content: { personalCode: JAAK } },
        write: { content: { contactEmail: 'a\u0000b@example.ee' } },
      }),
    })
    const reads = Array.from({ length: 20 }, () =>
      t.inject({
        url: `/data/population/1.0?query.personalCode=${JAAK}`,
        headers: headers('PPA', OFFICER, 'case 3'),
      }),
    )
    const [badReply, ...readReplies] = await Promise.all([bad, ...reads])
    expect(badReply.statusCode).toBe(400)
    expect(readReplies.map((reply) => reply.statusCode)).toEqual(readReplies.map(() => 200))
    const after = await db
      .selectFrom('registry_changes')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
  })

  it('lets a person read their own data only through a self-service system', async () => {
    const land = await t.inject({
      url: `/data/myPersonalDataUsage?userId=EE${JAAK}&databaseId=*`,
      headers: headers('MA', JAAK),
    })
    expect(land.statusCode).toBe(403)
    const business = await t.inject({
      url: `/data/population/1.0/${JAAK}/readValue/childrenCodes.json`,
      headers: headers('RIK', JAAK, 'x'),
    })
    expect(business.statusCode).toBe(403)
    const portal = await t.inject({
      url: `/data/myPersonalDataUsage?userId=EE${JAAK}&databaseId=*`,
      headers: headers('RIA', JAAK),
    })
    expect(portal.statusCode).toBe(200)
    const wrongPrefix = await t.inject({
      url: `/data/population/1.0?query.personalCode=${JAAK}`,
      headers: { ...t.headers('PPA'), 'x-road-userid': `FI${OFFICER}`, 'x-road-issue': 'x' },
    })
    expect(wrongPrefix.statusCode).toBe(400)
  })

  it('refuses inherited property names as fields', async () => {
    for (const field of ['constructor', 'toString', 'hasOwnProperty']) {
      const reply = await t.inject({
        url: `/data/population/1.0/${JAAK}/readValue/${field}.json`,
        headers: headers('PPA', OFFICER, 'x'),
      })
      expect(reply.statusCode).toBe(400)
      expect(reply.json().code).toBe('REGISTRY_FIELD_UNKNOWN')
    }
  })

  it("records reads of a person's relatives in the relatives' trackers too", async () => {
    const db = t.app.platform().store.admin
    const child = await db
      .selectFrom('persons')
      .select('personal_code')
      .where('mother_code', 'is not', null)
      .executeTakeFirstOrThrow()
    const mother = await db
      .selectFrom('persons')
      .select('mother_code')
      .where('personal_code', '=', child.personal_code)
      .executeTakeFirstOrThrow()
    const reply = await t.inject({
      url: `/data/population/1.0?query.personalCode=${child.personal_code}`,
      headers: headers('PPA', OFFICER, 'case 4'),
    })
    expect(reply.statusCode).toBe(200)
    const recorded = await db
      .selectFrom('access_records')
      .select('subject_code')
      .where('purpose', '=', 'case 4')
      .execute()
    expect(recorded.map((row) => row.subject_code)).toEqual(
      expect.arrayContaining([child.personal_code, mother.mother_code]),
    )
  })

  it('refuses a repeated X-Road-Issue and keeps a UTF-8 purpose intact', async () => {
    const purpose = 'päring õigusabi küsimuses'
    const reply = await t.inject({
      url: `/data/population/1.0?query.personalCode=${JAAK}`,
      headers: {
        ...headers('PPA', OFFICER),
        'x-road-issue': Buffer.from(purpose, 'utf8').toString('latin1'),
      },
    })
    expect(reply.statusCode).toBe(200)
    const db = t.app.platform().store.admin
    const row = await db
      .selectFrom('access_records')
      .select('purpose')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    expect(row.purpose).toBe(purpose)
    const twice = await t.inject({
      url: `/data/population/1.0?query.personalCode=${JAAK}`,
      headers: { ...headers('PPA', OFFICER), 'x-road-issue': ['case A', 'case B'] },
    })
    // Refused at the gateway, before any register is asked.
    expect(twice.statusCode).toBe(400)
    expect(twice.headers['x-road-error']).toBe('Client.DuplicateHeaderField')
    expect(twice.json().message).toContain('x-road-issue')
  })
})
