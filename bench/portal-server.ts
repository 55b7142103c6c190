/**
 * The server half of bench/portal.ts, in its own process so that the load generator's work is
 * not in the server's times: one e-state app on the embedded SQLite store (development, the
 * default country at the population asked), listening on a free loopback port, with logged-in
 * users made through the session store the e-ID login uses — one session per seeded resident,
 * each a different person. It logs at `info` to stdout as `e-state start` does; the parent
 * reads the "request completed" lines, whose `ms` is Fastify's `reply.elapsedTime`.
 *
 * Over IPC: it sends `{ port, cookies }` once ready, and closes on the message `'close'` (or
 * when the parent goes away).
 *
 *   node bench/portal-server.ts <population> <users>
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SESSION_COOKIE } from '../src/identity/index.ts'
import { createApp, readConfig, type EStateApp } from '../src/main/index.ts'

export interface PortalServerReady {
  readonly port: number
  /** `__Host-estate_session=…`, one per user. */
  readonly cookies: readonly string[]
}

const population = Number(process.argv[2] ?? '20000')
const users = Number(process.argv[3] ?? '300')
const root = mkdtempSync(join(tmpdir(), 'e-state-bench-portal-'))

async function logInUsers(app: EStateApp, count: number): Promise<string[]> {
  const platform = app.platform()
  const residents = await platform.store.admin
    .selectFrom('persons')
    .select(['personal_code', 'first_name', 'last_name'])
    .where('status', '=', 'alive')
    .where('birth_date', '<=', '2008-01-01')
    .orderBy('personal_code')
    .execute()
  if (residents.length < count) throw new Error(`only ${residents.length} adult residents`)
  // Spread over the whole register, so the users' reads touch rows all over its tables.
  const step = residents.length / count
  const cookies: string[] = []
  for (let index = 0; index < count; index++) {
    const person = residents[Math.floor(index * step)]
    const { id } = await platform.sessions.start({
      personalCode: person.personal_code,
      givenName: person.first_name.toLocaleUpperCase('et'),
      surname: person.last_name.toLocaleUpperCase('et'),
      method: 'web-eid',
    })
    cookies.push(`${SESSION_COOKIE}=${id}`)
  }
  return cookies
}

const app = await createApp(
  readConfig({
    E_STATE_ENV: 'development',
    E_STATE_DATA_DIR: join(root, 'data'),
    E_STATE_POPULATION: String(population),
    E_STATE_LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: '0',
  }),
)
let closing: Promise<void> | undefined
const close = (): Promise<void> =>
  (closing ??= app
    .close()
    .catch(() => undefined)
    .then(() => rmSync(root, { recursive: true, force: true })))
process.on('message', (message) => {
  if (message === 'close') void close().then(() => process.disconnect())
})
process.on('disconnect', () => void close())
try {
  await app.start()
  await app.server.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.server.address() as AddressInfo
  const ready: PortalServerReady = { port, cookies: await logInUsers(app, users) }
  process.send?.(ready)
} catch (error) {
  await close()
  throw error
}
