/**
 * The portal's pages under an open-loop load of logged-in users: the front page at 200
 * requests/s, "my data" and the data tracker at 30/s each, against one e-state process on the
 * embedded SQLite store (bench/portal-server.ts). Requests leave on a fixed schedule whatever
 * the answers (a slow server meets more requests, not fewer, unlike autocannon's closed loop);
 * each request is a different user's, a different person's rows. For each page: the server
 * time (Fastify's `reply.elapsedTime`, as the app logs it per request, to the millisecond) and
 * the latency the client saw from each request's scheduled time (loopback), p50/p95/p99, and the
 * rate achieved. Beside them, in the same run: a bare Fastify hello-world's closed-loop rate
 * (autocannon) here, and the exchange's direct-vs-gateway figures (bench/exchange.ts, which
 * run.ts runs in the same run: after this part with --only-portal, before it otherwise).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { Agent, request } from 'node:http'
import { createInterface } from 'node:readline'
import Fastify from 'fastify'
import type { PortalServerReady } from './portal-server.ts'

const WARM_UP_SECONDS = 3
const TARGET_P95_MS = 100
const PAGES = [
  { path: '/', rate: 200 },
  { path: '/my-data', rate: 30 },
  { path: '/tracker', rate: 30 },
] as const

/** One line of the app's request log. */
interface Completed {
  readonly route: string
  readonly status: number
  readonly ms: number
}

interface Server {
  readonly base: string
  readonly cookies: readonly string[]
  /** The request log since the last `take()`. */
  take(): Completed[]
  close(): Promise<void>
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function startServer(population: number, users: number): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['bench/portal-server.ts', String(population), String(users)],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  )
  let log: Completed[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.includes('"request completed"')) return
    const entry = JSON.parse(line) as { route: string; status: number; ms: number }
    log.push({ route: entry.route, status: entry.status, ms: entry.ms })
  })
  const ready = await new Promise<PortalServerReady>((resolve, reject) => {
    child.once('message', (message) => resolve(message as PortalServerReady))
    child.once('exit', (code) => reject(new Error(`the portal server exited (${code})`)))
  })
  return {
    base: `http://127.0.0.1:${ready.port}`,
    cookies: ready.cookies,
    take: () => {
      const taken = log
      log = []
      return taken
    },
    close: () => stopChild(child),
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.send('close')
    setTimeout(() => child.kill('SIGTERM'), 30_000).unref()
  })
}

/** One answer: its status (0: no answer), its error code if not 200, ms from its schedule. */
interface Answer {
  readonly status: number
  readonly code?: string
  readonly ms: number
}

/** A GET with the user's cookie, timed from `since` (its scheduled time). */
function get(agent: Agent, url: string, cookie: string, since: number): Promise<Answer> {
  return new Promise((resolve) => {
    const outgoing = request(
      url,
      { agent, headers: { cookie, accept: 'text/html' } },
      (incoming) => {
        const status = incoming.statusCode ?? 0
        const chunks: Buffer[] = []
        if (status === 200) incoming.resume()
        else incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('end', () => {
          const ms = performance.now() - since
          if (status === 200) return resolve({ status, ms })
          // An error page carries its stable code (`data-code`), a problem document its `code`.
          const body = Buffer.concat(chunks).toString()
          const code = /data-code="([A-Za-z_]+)"|"code":"([A-Za-z_]+)"/.exec(body)
          resolve({ status, ms, code: code?.[1] ?? code?.[2] ?? 'no code' })
        })
      },
    )
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('timeout')))
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ status: 0, code: error.code ?? error.message, ms: performance.now() - since }),
    )
    outgoing.end()
  })
}

interface OpenLoopResult {
  readonly sent: number
  readonly ok: number
  readonly statuses: string
  /** Client latency from each request's scheduled time, sorted. */
  readonly latencies: number[]
  readonly seconds: number
}

/**
 * `rate` requests a second for `seconds`, each sent at its scheduled time whether or not the
 * earlier ones have been answered; the users taken in turn from `next`.
 */
async function openLoop(
  agent: Agent,
  url: string,
  rate: number,
  seconds: number,
  next: () => string,
): Promise<OpenLoopResult> {
  const pending: Promise<Answer>[] = []
  const started = performance.now()
  const count = Math.round(seconds * rate)
  for (let index = 0; index < count; index++) {
    const due = started + (index * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    pending.push(get(agent, url, next(), due))
  }
  const results = await Promise.all(pending)
  const elapsed = (performance.now() - started) / 1000
  const byStatus = new Map<string, number>()
  for (const { status, code } of results) {
    const key = status === 200 ? '200' : `${status || 'failed'} ${code}`
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1)
  }
  return {
    sent: count,
    ok: byStatus.get('200') ?? 0,
    statuses: [...byStatus].map(([status, n]) => `${fmt(n)} × ${status}`).join(', '),
    latencies: results.map((result) => result.ms).sort((a, b) => a - b),
    seconds: elapsed,
  }
}

const triple = (sorted: readonly number[]) =>
  `p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p95 ${percentile(sorted, 0.95).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms`

async function benchPage(
  server: Server,
  agent: Agent,
  page: (typeof PAGES)[number],
  seconds: number,
  next: () => string,
): Promise<number> {
  const url = `${server.base}${page.path}`
  await openLoop(agent, url, page.rate, WARM_UP_SECONDS, next)
  await sleep(500) // the warm-up's log lines are in
  server.take()
  const measured = await openLoop(agent, url, page.rate, seconds, next)
  await sleep(500)
  const lines = server.take().filter((line) => line.route === page.path)
  const serverTimes = lines.map((line) => line.ms).sort((a, b) => a - b)
  const label = `page ${page.path}`.padEnd(15)
  console.log(
    `${label}${page.rate} requests/s offered for ${seconds} s (open loop, ${WARM_UP_SECONDS} s warm-up): ${fmt(measured.sent)} sent, ${measured.statuses}; achieved ${(measured.ok / measured.seconds).toFixed(1)} answered 200/s`,
  )
  console.log(
    `               server time (reply.elapsedTime, ${fmt(lines.length)} logged): ${triple(serverTimes)}`,
  )
  console.log(
    `               client latency from schedule (loopback): ${triple(measured.latencies)}`,
  )
  return percentile(serverTimes, 0.95)
}

/** A bare Fastify hello-world, closed loop (autocannon, another process): the baseline. */
async function helloWorldRate(seconds: number): Promise<number> {
  const bare = Fastify()
  bare.get('/', async () => ({ hello: 'world' }))
  await bare.listen({ host: '127.0.0.1', port: 0 })
  const { port } = bare.server.address() as { port: number }
  try {
    const report = await new Promise<{ requests: { average: number }; non2xx: number }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            'node_modules/autocannon/autocannon.js',
            '--json',
            '--connections',
            '64',
            '--duration',
            String(seconds),
            `http://127.0.0.1:${port}/`,
          ],
          { stdio: ['ignore', 'pipe', 'ignore'] },
        )
        const chunks: Buffer[] = []
        child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
        child.on('error', reject)
        child.on('exit', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString()))
          } catch (error) {
            reject(error as Error)
          }
        })
      },
    )
    if (report.non2xx > 0) throw new Error(`hello-world answered ${report.non2xx} non-2xx`)
    return report.requests.average
  } finally {
    await bare.close()
  }
}

export async function benchPortal(seconds: number, population: number, users = 300): Promise<void> {
  const window = Math.max(10, seconds)
  const hello = await helloWorldRate(seconds)
  console.log(
    `baseline       bare Fastify hello-world: ${fmt(hello)} requests/s (closed loop, autocannon, 64 connections, ${seconds} s)`,
  )
  const started = performance.now()
  const server = await startServer(population, users)
  console.log(
    `app            one e-state process on SQLite, ${population.toLocaleString('en-US')} residents, ${users} logged-in users (sessions of the e-ID login's store), up in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  // Enough sockets that a slow answer never holds back the next request (open loop).
  const agent = new Agent({ keepAlive: true, maxSockets: 512 })
  let turn = 0
  const next = () => server.cookies[turn++ % server.cookies.length]
  try {
    const verdicts: string[] = []
    for (const page of PAGES) {
      const p95 = await benchPage(server, agent, page, window, next)
      verdicts.push(
        `${page.path} ${p95.toFixed(0)} ms (${p95 <= TARGET_P95_MS ? 'met' : 'NOT met'})`,
      )
    }
    console.log(`target         server time p95 ≤ ${TARGET_P95_MS} ms: ${verdicts.join(', ')}`)
  } finally {
    agent.destroy()
    await server.close()
  }
}
