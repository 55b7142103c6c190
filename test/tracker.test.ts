/**
 * The citizen's data tracker on both engines: every read of a person's data, newest first and
 * paged, with the official, agency, data and purpose, each with a receipt that verifies offline
 * and opens to exactly that record; covert police reads hidden until their release date though
 * logged from the start; nobody else's tracker without a mandate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  parseCosignerKey,
  parseSignerKey,
  verifyReceipt,
  type Receipt,
} from '../src/ledger/index.ts'
import type { Clock } from '../src/shared/index.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'

usePostgresCluster()

const JAAK = '38001085718'
const DAY = 86_400_000

describe.each(ENGINES)('the data tracker on %s', (engine) => {
  let t: TestApp
  let ahead = 0
  const clock: Clock = { now: () => new Date(Date.now() + ahead) }
  let officer: string
  beforeAll(async () => {
    t = await startTestApp(engine, { options: { drainIntervalMs: 0, clock } })
    officer = (
      await t.app
        .platform()
        .store.admin.selectFrom('officials')
        .select('personal_code')
        .where('role', '=', 'police officer')
        .executeTakeFirstOrThrow()
    ).personal_code
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const policeRead = (purpose: string, extra: Record<string, string> = {}) =>
    t.inject({
      url: `/data/population/1.0?query.personalCode=${JAAK}`,
      headers: {
        ...t.headers('PPA'),
        'x-road-userid': `EE${officer}`,
        'x-road-issue': purpose,
        ...extra,
      },
    })
  const own = (url: string) =>
    t.inject({ url, headers: { ...t.headers('RIA'), 'x-road-userid': `EE${JAAK}` } })
  const keys = () => ({
    log: parseSignerKey(t.config.ledger.signerKey).verifier,
    witnesses: [parseCosignerKey(t.config.witness.key as string).verifier],
  })

  it('lists reads newest first, paged, each with a receipt that opens to the record', async () => {
    for (const purpose of ['case A-1', 'case A-2', 'case A-3'])
      expect((await policeRead(purpose)).statusCode).toBe(200)
    await t.app.platform().ledger.drainOnce()

    const first = await own('/tracker/usage?limit=2')
    expect(first.statusCode).toBe(200)
    const page = first.json()
    expect(page.total).toBeGreaterThanOrEqual(3)
    expect(page.records).toHaveLength(2)
    const police = page.records.filter((r: { registry: string }) => r.registry === 'population')
    expect(police[0]).toMatchObject({
      purpose: 'case A-3',
      agency: 'Police and Border Guard Board',
      registry: 'population',
      data: 'population.person',
      covertUntil: null,
    })
    expect(police[0].official).toMatch(/\S+ \S+/)
    const second = (await own('/tracker/usage?limit=2&offset=2')).json()
    const ids = [...page.records, ...second.records].map((r: { id: string }) => Number(r.id))
    expect(ids).toEqual([...ids].sort((a, b) => b - a))
    expect(new Set(ids).size).toBe(ids.length)

    for (const record of police) {
      const receipt = record.ledger.receipt as Receipt
      expect(receipt).not.toBeNull()
      const verified = verifyReceipt(receipt, keys())
      expect(verified.opened).toBe(true)
      expect(verified.index).toBe(record.ledger.index)
      expect(receipt.opening?.values).toContain(record.purpose)
      expect(receipt.opening?.values).toContain(JAAK)
      // The public entry alone does not name the person or the purpose.
      expect(Buffer.from(receipt.entry, 'base64').toString()).not.toContain(JAAK)
      // An opening claiming another purpose does not match the logged commitment.
      const lie = {
        ...receipt,
        opening: {
          ...receipt.opening,
          values: receipt.opening?.values.map((v) => (v === record.purpose ? 'other' : v)),
        },
      }
      expect(() => verifyReceipt(lie, keys())).toThrow(/opening/)
    }

    const protocol = await own('/tracker/findUsage?offset=0&limit=3')
    expect(protocol.statusCode).toBe(200)
    const usage = protocol.json().usage
    expect(usage.length).toBeGreaterThan(0)
    for (const item of usage)
      expect(Object.keys(item).sort()).toEqual(['action', 'logtime', 'receiver'])
    expect(usage.some((item: { action: string }) => item.action.includes('case A-3'))).toBe(true)
  })

  it('hides a covert police read from the person until its release date, though it is logged at once', async () => {
    const release = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10)
    const entriesBefore = await accessEntries()
    const covert = await policeRead('surveillance order 9', { 'x-estate-covert-until': release })
    expect(covert.statusCode).toBe(200)
    await t.app.platform().ledger.drainOnce()
    // In the log from the start: its commitment is an entry already.
    expect(await accessEntries()).toBeGreaterThan(entriesBefore)
    const hidden = (await own('/tracker/usage?limit=100')).json()
    expect(
      hidden.records.some((r: { purpose: string }) => r.purpose === 'surveillance order 9'),
    ).toBe(false)

    // Nothing waits in the outbox when the clock jumps (the gate would call it a stuck backlog).
    await t.app.platform().ledger.drainOnce()
    ahead = 11 * DAY
    try {
      const shown = (await own('/tracker/usage?limit=100')).json()
      const record = shown.records.find(
        (r: { purpose: string }) => r.purpose === 'surveillance order 9',
      )
      expect(record?.covertUntil).toBe(`${release}T00:00:00.000Z`)
      expect(verifyReceipt(record.ledger.receipt, keys()).opened).toBe(true)
    } finally {
      ahead = 0
    }
  })

  it('refuses a covert read to anyone but a police officer, and a bad release date', async () => {
    const release = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10)
    const clerk = await t.inject({
      url: `/data/population/1.0?query.personalCode=${JAAK}`,
      headers: {
        ...t.headers('SIM'),
        'x-road-userid': 'EE48707032744',
        'x-road-issue': 'application 3',
        'x-estate-covert-until': release,
      },
    })
    expect(clerk.statusCode).toBe(403)
    for (const bad of ['2020-01-01', '2999-01-01', 'tomorrow', '2026-02-30']) {
      const reply = await policeRead('case B', { 'x-estate-covert-until': bad })
      expect(reply.statusCode, bad).toBe(400)
      expect(reply.json().field).toBe('X-EState-Covert-Until')
    }
  })

  it("shows nobody else a person's tracker without a mandate, and checks paging", async () => {
    const snooping = await t.inject({
      url: `/tracker/usage?userId=EE${JAAK}`,
      headers: { ...t.headers('PPA'), 'x-road-userid': `EE${officer}`, 'x-road-issue': 'curious' },
    })
    expect(snooping.statusCode).toBe(403)
    expect(snooping.json().code).toBe('ACCESS_DENIED')
    for (const query of ['limit=0', 'limit=101', 'offset=-1', 'limit=x', 'other=1']) {
      const reply = await own(`/tracker/usage?${query}`)
      expect(reply.statusCode, query).toBe(400)
    }
    const anonymous = await t.inject({ url: '/tracker/usage', headers: t.headers('RIA') })
    expect(anonymous.statusCode).toBe(400)
    expect(anonymous.json().code).toBe('ACCESS_ACTOR_REQUIRED')
  })

  const accessEntries = async () =>
    Number(
      (
        await t.app
          .platform()
          .store.admin.selectFrom('ledger_entries')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('kind', '=', 'access')
          .executeTakeFirstOrThrow()
      ).n,
    )
})
