/**
 * Idempotency-Key on HTTP acts: a retried act is applied once and answered as the first time; the
 * same key for another request is refused; a key whose first attempt never finished answers
 * "outcome unknown", never a second application.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './support/app.ts'
import { ENGINES } from './support/engines.ts'

describe.each(ENGINES)('Idempotency-Key on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(engine, { population: 100 })
  }, 120_000)
  afterAll(async () => t?.close())

  const grant = (key: string | undefined, path = '/**') => {
    const [, memberClass, memberCode, applicationId] = t.credentials('MA').client.split('/')
    const keeper = t.credentials('SIM').client.split('/')
    return t.inject({
      method: 'PATCH',
      url: '/api/v1/rights/allow',
      headers: {
        authorization: t.credentials('SIM').authorization,
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      payload: [
        {
          memberClass: keeper[1],
          memberCode: keeper[2],
          applicationId: 'population-register',
          serviceId: 'population',
          rights: [{ memberClass, memberCode, applicationId, method: 'GET', path }],
        },
      ],
    })
  }
  const rightActs = async () =>
    (
      await t.app
        .platform()
        .store.admin.selectFrom('ledger_outbox')
        .select('id')
        .where('kind', '=', 'exchange-right')
        .execute()
    ).length +
    (
      await t.app
        .platform()
        .store.admin.selectFrom('ledger_entries')
        .select('idx')
        .where('kind', '=', 'exchange-right')
        .execute()
    ).length

  it('applies a retried act once and answers the retry as the first time', async () => {
    const before = await rightActs()
    const first = await grant('grant-ma-1', '/addresses/**')
    expect(first.statusCode).toBe(200)
    expect(first.json()).toEqual({ changed: 1 })
    const retry = await grant('grant-ma-1', '/addresses/**')
    expect(retry.statusCode).toBe(200)
    expect(retry.json()).toEqual({ changed: 1 })
    expect(retry.headers['idempotent-replayed']).toBe('true')
    expect(await rightActs()).toBe(before + 1)
    // Without a key the same request is a new act (here: nothing left to change).
    expect((await grant(undefined, '/addresses/**')).json()).toEqual({ changed: 0 })
  })

  it('refuses the key for another request, and keys are per credential', async () => {
    await grant('grant-ma-2', '/streets/**')
    const reused = await grant('grant-ma-2', '/buildings/**')
    expect(reused.statusCode).toBe(422)
    expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED')
    // Another credential's key of the same name is its own.
    const other = await t.inject({
      method: 'PATCH',
      url: '/api/v1/rights/allow',
      headers: {
        authorization: t.credentials('MA').authorization,
        'idempotency-key': 'grant-ma-2',
      },
      payload: [],
    })
    expect(other.statusCode).not.toBe(422)
    expect(other.headers['idempotent-replayed']).toBeUndefined()
    // A refused act (here: no credential) releases its key; nothing is kept for it.
    const refused = await t.inject({
      method: 'PATCH',
      url: '/api/v1/rights/allow',
      headers: { 'idempotency-key': 'stranger-1' },
      payload: [],
    })
    expect(refused.statusCode).toBe(401)
    const kept = await t.app
      .platform()
      .store.admin.selectFrom('idempotent_requests')
      .select('idempotency_key')
      .where('idempotency_key', '=', 'stranger-1')
      .execute()
    expect(kept).toEqual([])
    const malformed = await grant('x'.repeat(300))
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().code).toBe('INVALID_INPUT')
  })

  it('answers "outcome unknown" while the first attempt has not finished', async () => {
    // As if the node died after claiming the key (the act may or may not have committed).
    const db = t.app.platform().store.admin
    await db
      .insertInto('idempotent_requests')
      .values({
        identity: 'crashed',
        idempotency_key: 'k',
        fingerprint: 'f',
        state: 'started',
        status: null,
        content_type: null,
        body: null,
        created_at: new Date().toISOString(),
      })
      .execute()
    const started = await grant('grant-ma-3', '/parcels/**')
    expect(started.statusCode).toBe(200)
    await db
      .updateTable('idempotent_requests')
      .set({ state: 'started', status: null, body: null })
      .where('idempotency_key', '=', 'grant-ma-3')
      .execute()
    const retry = await grant('grant-ma-3', '/parcels/**')
    expect(retry.statusCode).toBe(409)
    expect(retry.json().code).toBe('IDEMPOTENCY_OUTCOME_UNKNOWN')
  })
})
