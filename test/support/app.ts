// A whole e-state app for integration tests: a fresh data folder (and, for PostgreSQL, a fresh
// database in this file's throwaway cluster), the configuration read from an explicit
// environment, the country seeded by `start()`, and the development API keys it wrote.
//
// On SQLite the seeded folder is, unless `fresh` is asked for, a copy of a template seeded once
// (seeded-cache.ts): `start()` finds the country and keys there and starts warm, in a third of
// a first start's time. Only what cannot change what a first start writes may differ between
// the test and its template (`seedingKey`); anything else, or a cache that fails, starts fresh.
//
//   usePostgresCluster()
//   describe.each(ENGINES)('%s', (engine) => {
//     let t: TestApp
//     beforeAll(async () => { t = await startTestApp(engine) })
//     afterAll(() => t?.close())
//     it('…', async () => {
//       const reply = await t.inject({ url: '/data/…', headers: { ...t.credentials('PPA') } })
//     })
//   })
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import {
  createApp,
  readConfig,
  type AppOptions,
  type Config,
  type EStateApp,
} from '../../src/main/index.ts'
import { freshLocation, type EngineName, type FreshLocation } from './engines.ts'
import { copySeededRoot } from './seeded-cache.ts'

export interface DevCredential {
  readonly agency: string
  readonly client: string
  readonly apiKey: string
}

export interface TestApp {
  readonly engine: EngineName
  readonly app: EStateApp
  readonly config: Config
  readonly dataDir: string
  readonly inject: (options: InjectOptions) => Promise<LightMyRequestResponse>
  /** The seeded agency's API key and subsystem, by short name (`PPA`, `EMTA`, …). */
  readonly credentials: (agency: string) => { authorization: string; client: string }
  /** The same, as request headers (`authorization`, `x-road-client`). */
  readonly headers: (agency: string) => Record<string, string>
  readonly devCredentials: readonly DevCredential[]
  close(): Promise<void>
}

export interface TestAppOverrides {
  /** More environment variables for `readConfig` (they win over the defaults here). */
  readonly env?: Readonly<Record<string, string>>
  readonly options?: AppOptions
  readonly population?: number
  /**
   * A real first start (seeding, keys generated, dev credentials written) instead of a warm
   * start on a copy of a seeded template: for a test of what a first start does.
   */
  readonly fresh?: true
}

export async function startTestApp(
  engine: EngineName,
  overrides: TestAppOverrides = {},
): Promise<TestApp> {
  const prefix = `estate-app-${engine}-`
  try {
    const key = engine === 'sqlite' && overrides.fresh !== true ? seedingKey(overrides) : undefined
    if (key !== undefined) {
      const root = await copySeededRoot(key, prefix, (template) =>
        seedTemplate(template, overrides),
      )
      return await startIn(root, engine, overrides)
    }
  } catch (error) {
    warnOnce(error)
  }
  return startIn(await mkdtemp(path.join(os.tmpdir(), prefix)), engine, overrides)
}

/** Starts an app on `root/data` (empty, or a seeded template's copy); removes root on failure. */
async function startIn(
  root: string,
  engine: EngineName,
  overrides: TestAppOverrides,
): Promise<TestApp> {
  // The development master key goes beside the data folder (`<root>/keys`), so inside root too.
  const dataDir = path.join(root, 'data')
  let location: FreshLocation | undefined
  let app: EStateApp | undefined
  const cleanup = async (): Promise<void> => {
    try {
      await app?.close()
    } finally {
      try {
        await location?.cleanup()
      } finally {
        await rm(root, { recursive: true, force: true })
      }
    }
  }
  try {
    // Made here: e-state itself creates it only for a SQLite file inside it.
    await mkdir(dataDir, { recursive: true })
    if (engine === 'postgres') location = await freshLocation(engine)
    const config = readConfig(environmentOf(dataDir, overrides, location?.url))
    app = await createApp(config, overrides.options)
    await app.start()
    const devCredentials = JSON.parse(
      await readFile(path.join(dataDir, 'dev-credentials.json'), 'utf8'),
    ) as DevCredential[]
    const credentials = (agency: string): { authorization: string; client: string } => {
      const found = devCredentials.find((credential) => credential.agency === agency)
      if (found === undefined) throw new Error(`no development credential for ${agency}`)
      return { authorization: `Bearer ${found.apiKey}`, client: found.client }
    }
    const keepers = await keeperServices(app)
    const started = app
    let closed: Promise<void> | undefined
    return {
      engine,
      app: started,
      config,
      dataDir,
      // A client information system reaches a register through its gateway: `/data/<registry>/
      // <version>/…` here is sent as the exchange call `/r1/<keeper's service>/<version>/…` (the
      // direct routes answer only the provider gateway); other URLs go as they are.
      inject: (options) => started.server.inject(throughGateway(options, keepers)),
      credentials,
      headers: (agency) => {
        const { authorization, client } = credentials(agency)
        return { authorization, 'x-road-client': client }
      },
      devCredentials,
      close: () => (closed ??= cleanup()),
    }
  } catch (error) {
    await cleanup().catch(() => undefined)
    throw error
  }
}

function environmentOf(
  dataDir: string,
  overrides: TestAppOverrides,
  databaseUrl: string | undefined,
): Record<string, string> {
  return {
    E_STATE_ENV: 'development',
    E_STATE_DATA_DIR: dataDir,
    E_STATE_POPULATION: String(overrides.population ?? 2000),
    E_STATE_LOG_LEVEL: 'silent',
    // Tests drive one credential from one address far faster than any real client system
    // would; admission itself is tested with its real limits in admission.test.ts.
    E_STATE_ADMISSION_ADDRESS_RATE: '1000000',
    E_STATE_ADMISSION_IDENTITY_RATE: '1000000',
    E_STATE_ADMISSION_IN_FLIGHT: '100000',
    ...(databaseUrl === undefined ? {} : { E_STATE_DATABASE_URL: databaseUrl }),
    ...overrides.env,
  }
}

// What may differ between a test's app and the template it starts on. A variable read only by
// the HTTP edge or at request time changes nothing a first start writes: admission limits and
// trusted proxies (Fastify and admission.ts), the access-outbox bounds (checked by the gate on a
// read; a first start reads nothing through it), the log level. A variable that shapes the
// store is part of the key: the population and seed, and the public URL (in every certificate
// the PKI issues, and so in the whole hierarchy made at seeding). Any other variable (a database
// URL elsewhere, gateway ports, ledger or witness keys, …) means a fresh start.
const RUNTIME_ONLY = new Set([
  'E_STATE_LOG_LEVEL',
  'E_STATE_ADMISSION_ADDRESS_RATE',
  'E_STATE_ADMISSION_IDENTITY_RATE',
  'E_STATE_ADMISSION_IN_FLIGHT',
  'E_STATE_TRUSTED_PROXIES',
  'E_STATE_ACCESS_OUTBOX_MAX',
  'E_STATE_ACCESS_OUTBOX_MAX_AGE',
])
const SEEDING = new Set(['E_STATE_ENV', 'E_STATE_POPULATION', 'E_STATE_SEED', 'E_STATE_PUBLIC_URL'])

/**
 * The seeding key of a SQLite test app, or undefined when it must start fresh. Options: the
 * drain interval only times the ledger's background drain (a template is drained once, see
 * `seedTemplate`; the copy runs the test's own drain); a logger only listens; a clock is the
 * system clock's twin for the first start only when it reads the same time now (a test's clock
 * that jumps ahead later still does so on the copy). Any other option means a fresh start.
 * `E_STATE_TEST_SEED_CACHE=off` turns the cache off.
 */
function seedingKey(overrides: TestAppOverrides): string | undefined {
  if (process.env.E_STATE_TEST_SEED_CACHE === 'off') return undefined
  const options = overrides.options ?? {}
  for (const name of Object.keys(options))
    if (!['drainIntervalMs', 'logger', 'clock'].includes(name)) return undefined
  if (options.clock !== undefined && Math.abs(options.clock.now().getTime() - Date.now()) > 1000)
    return undefined
  const seeding: [string, string][] = []
  for (const [name, value] of Object.entries(environmentOf('', overrides, undefined))) {
    if (name === 'E_STATE_DATA_DIR' || RUNTIME_ONLY.has(name)) continue
    if (!SEEDING.has(name)) return undefined
    seeding.push([name, value])
  }
  // A public URL with a port is a test listening on a port picked at random: its template would
  // serve nobody else, and building it costs more than a fresh start.
  const publicUrl = overrides.env?.E_STATE_PUBLIC_URL
  if (publicUrl !== undefined && new URL(publicUrl).port !== '') return undefined
  return JSON.stringify(seeding.sort(([a], [b]) => a.localeCompare(b)))
}

/**
 * A first start into `root/data`, its outbox drained, closed: the template a seeded copy is made
 * of. The drain is what a fresh app's background drain does within 100 ms; left undone, the
 * genesis act would wait in the outbox with the seeding time, and once a template is a minute
 * old the access gate (`E_STATE_ACCESS_OUTBOX_MAX_AGE`, 60 s) would refuse every personal read
 * of a test that drains by hand. A test with the drain off so finds the genesis act published
 * rather than waiting; the acts it makes itself wait as before.
 */
async function seedTemplate(root: string, overrides: TestAppOverrides): Promise<void> {
  const dataDir = path.join(root, 'data')
  await mkdir(dataDir, { recursive: true })
  const app = await createApp(readConfig(environmentOf(dataDir, overrides, undefined)), {
    drainIntervalMs: 0,
  })
  try {
    await app.start()
    await app.platform().ledger.drainOnce()
  } finally {
    await app.close()
  }
}

let warned = false

/** A cache that cannot serve is worth one line per worker, not a failed test. */
function warnOnce(error: unknown): void {
  if (warned) return
  warned = true
  console.warn(`seeded-app cache unusable, starting fresh: ${String(error)}`)
}

/** Each registry's service id at its keeper (`INSTANCE/CLASS/MEMBER/SUBSYSTEM/registry`). */
async function keeperServices(app: EStateApp): Promise<Map<string, string>> {
  const rows = await app
    .platform()
    .store.db.selectFrom('exchange_services')
    .select(['service_id', 'service_code'])
    .execute()
  return new Map(rows.map((row) => [row.service_code, row.service_id]))
}

function throughGateway(
  options: InjectOptions,
  keepers: ReadonlyMap<string, string>,
): InjectOptions {
  const url = typeof options.url === 'string' ? options.url : undefined
  const match = url === undefined ? null : /^\/data\/([a-z-]+)(\/.*)$/.exec(url)
  const service = match === null ? undefined : keepers.get(match[1])
  if (match === null || service === undefined) return options
  return { ...options, url: `/r1/${service}${match[2]}` }
}
