// A whole e-state app for integration tests: a fresh data folder (and, for PostgreSQL, a fresh
// database in this file's throwaway cluster), the configuration read from an explicit
// environment, the country seeded by `start()`, and the development API keys it wrote.
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
}

export async function startTestApp(
  engine: EngineName,
  overrides: TestAppOverrides = {},
): Promise<TestApp> {
  const root = await mkdtemp(path.join(os.tmpdir(), `estate-app-${engine}-`))
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
    const config = readConfig({
      E_STATE_ENV: 'development',
      E_STATE_DATA_DIR: dataDir,
      E_STATE_POPULATION: String(overrides.population ?? 2000),
      E_STATE_LOG_LEVEL: 'silent',
      // Tests drive one credential from one address far faster than any real client system
      // would; admission itself is tested with its real limits in admission.test.ts.
      E_STATE_ADMISSION_ADDRESS_RATE: '1000000',
      E_STATE_ADMISSION_IDENTITY_RATE: '1000000',
      E_STATE_ADMISSION_IN_FLIGHT: '100000',
      ...(location === undefined ? {} : { E_STATE_DATABASE_URL: location.url }),
      ...overrides.env,
    })
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
