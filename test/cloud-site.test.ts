/**
 * The two sites on real PostgreSQL servers (loopback, mutual TLS between them, synchronous
 * replication): promotion refuses what it must and changes nothing when it does, a fenced or
 * restarted old primary never acknowledges an act, a retried act is applied once, and the
 * degraded mode is an operator's switch, recorded.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  commitAct,
  degradeSite,
  killServer,
  postmasterPid,
  promoteEmbassy,
  restoreSync,
  siteStatus,
  startServer,
  stopServer,
  type Site,
} from '../src/cloud/index.ts'
import { openStore } from '../src/storage/index.ts'
import { MIGRATIONS } from './support/migrations.ts'
import { openSiteLab, type SiteLab } from './support/sites.ts'

const PAYLOAD = 'CREATE TABLE test_payloads (act_key text NOT NULL)'

let lab: SiteLab

beforeAll(async () => {
  lab = await openSiteLab('cloud-site')
})

afterAll(async () => {
  await lab?.close()
})

const startPair = () => lab.startPair([PAYLOAD])

async function connect(site: Site): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: site.config.port,
    user: 'postgres',
    database: 'estate',
  })
  client.on('error', () => undefined)
  await client.connect()
  return client
}

async function withClient<T>(site: Site, action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(site)
  try {
    return await action(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

const act = (key: string, generation: number) => ({
  key,
  generation,
  commitTimeoutMs: 700,
  apply: async (client: pg.ClientBase) => {
    await client.query('INSERT INTO test_payloads (act_key) VALUES ($1)', [key])
  },
})

async function payloadCount(site: Site, key: string): Promise<number> {
  return withClient(site, async (client) => {
    const result = await client.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM test_payloads WHERE act_key = $1',
      [key],
    )
    return Number(result.rows[0]?.n)
  })
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('a primary and its embassy', () => {
  let primary: Site
  let embassy: Site

  beforeAll(async () => {
    ;({ primary, embassy } = await startPair())
  })

  it('replicates synchronously over verified TLS, and the embassy serves reads', async () => {
    await withClient(primary, (client) => commitAct(client, act('replicated-1', 1)))
    // remote_apply: acknowledged means already visible at the embassy.
    expect(await payloadCount(embassy, 'replicated-1')).toBe(1)
    const ssl = await withClient(primary, async (client) => {
      const result = await client.query<{ ssl: boolean; client_dn: string | null }>(
        `SELECT s.ssl, s.client_dn FROM pg_stat_replication r JOIN pg_stat_ssl s ON s.pid = r.pid`,
      )
      return result.rows[0]
    })
    expect(ssl?.ssl).toBe(true)
    expect(ssl?.client_dn).toContain('estate_replication')
  })

  it('applies a retried act once, and refuses an act of another generation', async () => {
    const outcomes = await withClient(primary, async (client) => [
      await commitAct(client, act('retry-1', 1)),
      await commitAct(client, act('retry-1', 1)),
    ])
    expect(outcomes).toEqual(['applied', 'already-applied'])
    expect(await payloadCount(primary, 'retry-1')).toBe(1)
    await expect(
      withClient(primary, (client) => commitAct(client, act('stale-1', 7))),
    ).rejects.toMatchObject({ code: 'CLOUD_FENCED' })
    expect(await payloadCount(primary, 'stale-1')).toBe(0)
  })

  it('refuses to promote a server that is not a replica, changing nothing', async () => {
    await expect(promoteEmbassy(primary)).rejects.toMatchObject({ code: 'CLOUD_NOT_REPLICA' })
    const status = await siteStatus(primary)
    expect(status).toMatchObject({ role: 'primary', generation: 1, fenced: false })
  })

  it('refuses to promote while the primary is alive, changing nothing', async () => {
    await expect(promoteEmbassy(embassy)).rejects.toMatchObject({ code: 'CLOUD_PRIMARY_ALIVE' })
    expect(await siteStatus(embassy)).toMatchObject({ role: 'replica', primary: 'alive' })
    await withClient(primary, (client) => commitAct(client, act('after-refusal', 1)))
    expect(await payloadCount(embassy, 'after-refusal')).toBe(1)
  })

  it('never acknowledges while the embassy is away, until an operator degrades', async () => {
    await stopServer(embassy.server, 'fast')
    const waiting = await withClient(primary, async (client) => {
      return commitAct(client, act('while-away', 1)).catch((error: unknown) => error)
    })
    expect(waiting).toMatchObject({ code: 'CLOUD_OUTCOME_UNKNOWN' })

    await degradeSite(primary, 'embassy link down (test)', 'operator-1')
    await withClient(primary, (client) => commitAct(client, act('degraded-1', 1)))
    const status = await siteStatus(primary)
    expect(status.replicationMode).toBe('degraded')
    const events = await withClient(
      primary,
      async (client) =>
        (
          await client.query<{ event: string; detail: string }>(
            'SELECT event, detail FROM cloud_site_events',
          )
        ).rows,
    )
    expect(events).toContainEqual({
      event: 'degrade',
      detail: 'by operator-1: embassy link down (test)',
    })

    await startServer(embassy.server)
    await waitFor(async () => (await siteStatus(primary)).embassy?.state === 'streaming')
    await restoreSync(primary, 'operator-1')
    expect(await siteStatus(primary)).toMatchObject({
      replicationMode: 'synchronous',
      embassy: { syncState: 'sync' },
    })
    // The act whose wait was cancelled did commit at the primary; its retry finds it.
    const retried = await withClient(primary, (client) => commitAct(client, act('while-away', 1)))
    expect(retried).toBe('already-applied')
    expect(await payloadCount(embassy, 'degraded-1')).toBe(1)
  })

  it('promotes with --force only by fencing and stopping the old primary first', async () => {
    const report = await promoteEmbassy(embassy, { force: true, oldPrimary: primary })
    expect(report).toMatchObject({ generation: 2, oldPrimary: 'fenced-and-stopped' })
    expect(report.tookMs).toBeLessThan(10_000)
    expect(await siteStatus(embassy)).toMatchObject({ role: 'primary', generation: 2 })
    // Everything the old primary acknowledged is here.
    for (const key of ['replicated-1', 'retry-1', 'degraded-1', 'while-away'])
      expect(await payloadCount(embassy, key)).toBe(1)
    await withClient(embassy, (client) => commitAct(client, act('new-primary-1', 2)))

    // Restarted by mistake, the old primary acknowledges nothing, whatever generation is claimed.
    await startServer(primary.server)
    for (const generation of [1, 2]) {
      const refused = await withClient(primary, async (client) => {
        return commitAct(client, act(`old-${generation}`, generation)).catch(
          (error: unknown) => error,
        )
      })
      expect(refused).toBeInstanceOf(Error)
      expect(await payloadCount(primary, `old-${generation}`)).toBe(0)
    }
    await stopServer(primary.server, 'immediate')
  })
})

describe('an old primary that was dead during promotion', () => {
  it('restarted later, acknowledges no act: stale writers wait forever, informed ones are fenced', async () => {
    const { primary, embassy } = await startPair()
    await withClient(primary, (client) => commitAct(client, act('before-death', 1)))
    killServer(primary.server)
    await waitFor(async () => (await siteStatus(embassy)).primary === 'dead')
    const report = await promoteEmbassy(embassy)
    expect(report).toMatchObject({ generation: 2, oldPrimary: 'unreachable' })
    expect(await payloadCount(embassy, 'before-death')).toBe(1)

    // Its postmaster must be reaped before it can start again on the same files.
    await waitFor(async () => postmasterPid(primary.server) === undefined)
    await startServer(primary.server)
    // A writer that never saw the promotion: its commit waits for the embassy that is gone.
    const stale = await withClient(primary, async (client) => {
      return commitAct(client, act('stale-writer', 1)).catch((error: unknown) => error)
    })
    expect(stale).toMatchObject({ code: 'CLOUD_OUTCOME_UNKNOWN' })
    // A writer that has seen generation 2 is refused outright.
    const informed = await withClient(primary, (client) =>
      commitAct(client, act('informed-writer', 2)).catch((error: unknown) => error),
    )
    expect(informed).toMatchObject({ code: 'CLOUD_FENCED' })
    // And the new primary never heard of either.
    expect(await payloadCount(embassy, 'stale-writer')).toBe(0)
    expect(await payloadCount(embassy, 'informed-writer')).toBe(0)
  })
})

describe('the fence on SQLite (one machine)', () => {
  it('refuses an act of another generation through the same trigger', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'estate-cloud-sqlite-'))
    const store = await openStore({ url: path.join(dir, 'estate.db') })
    try {
      await store.migrate(MIGRATIONS)
      const insert = (key: string, generation: number) =>
        store.db
          .insertInto('cloud_acts')
          .values({ act_key: key, generation, created_at: new Date().toISOString() })
          .execute()
      await insert('a', 1)
      await expect(insert('b', 2)).rejects.toThrow(/CLOUD_FENCED/)
      await store.db.updateTable('cloud_site').set({ fenced_at: 'now' }).execute()
      await expect(insert('c', 1)).rejects.toThrow(/CLOUD_FENCED/)
    } finally {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
