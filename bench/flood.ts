/**
 * Serving honest users under a flood: a node (`e-state start`, its own process, default
 * admission limits) is flooded by autocannon (another process) from 127.0.0.1 with one
 * credential at a fixed rate, while an honest client system on 127.0.0.2, with its own
 * credential, reads the population register through the exchange at a steady rate and measures
 * its latency and errors. The same honest client alone, just before, is the baseline.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../test/support/net.ts'

interface Credential {
  readonly agency: string
  readonly apiKey: string
  readonly client: string
}

function startNode(dataDir: string, port: number): ChildProcess {
  return spawn(process.execPath, ['bin/e-state.js', 'start'], {
    env: {
      ...process.env,
      E_STATE_ENV: 'development',
      E_STATE_DATA_DIR: dataDir,
      E_STATE_POPULATION: '2000',
      E_STATE_LOG_LEVEL: 'error',
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

async function waitReady(url: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) })
      if (response.status === 200) return
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('the node never became ready')
}

/** One call from 127.0.0.2: its latency in ms and whether it was answered 200. */
function honestCall(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
): Promise<{ ms: number; status: string }> {
  return new Promise((resolve) => {
    const started = performance.now()
    const outgoing = request(url, { agent, headers, localAddress: '127.0.0.2' }, (incoming) => {
      incoming.resume()
      incoming.on('end', () =>
        resolve({ ms: performance.now() - started, status: String(incoming.statusCode) }),
      )
    })
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('timeout')))
    outgoing.on('error', () => resolve({ ms: performance.now() - started, status: 'failed' }))
    outgoing.end()
  })
}

async function honestRun(
  seconds: number,
  rate: number,
  call: () => Promise<{ ms: number; status: string }>,
): Promise<{ sorted: number[]; errors: number; statuses: string }> {
  const results: { ms: number; status: string }[] = []
  const pending: Promise<void>[] = []
  const started = performance.now()
  for (let index = 0; index < seconds * rate; index++) {
    const wait = started + (index * 1000) / rate - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(call().then((result) => void results.push(result)))
  }
  await Promise.all(pending)
  return {
    sorted: results.map((result) => result.ms).sort((a, b) => a - b),
    errors: results.filter((result) => result.status !== '200').length,
    statuses: [...new Set(results.map((result) => result.status))]
      .map((status) => `${results.filter((result) => result.status === status).length} × ${status}`)
      .join(', '),
  }
}

/** A client that never finishes its headers: seconds until the node closes its socket. */
function slowHeaders(port: number): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now()
    const socket = connect(port, '127.0.0.1', () =>
      socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: '),
    )
    // One more header byte every 5 s: a slowloris that never ends its headers.
    const drip = setInterval(() => socket.write('a'), 5000)
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearInterval(drip)
      resolve((performance.now() - started) / 1000)
    })
    setTimeout(() => socket.destroy(), 60_000).unref()
  })
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN

interface FloodResult {
  readonly requests: number
  readonly statuses: Record<string, number>
}

function flood(
  url: string,
  headers: Record<string, string>,
  rate: number,
  seconds: number,
): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    const args = [
      'node_modules/autocannon/autocannon.js',
      '--json',
      '--connections',
      '100',
      '--overallRate',
      String(rate),
      '--duration',
      String(seconds),
      '--timeout',
      '10',
    ]
    for (const [name, value] of Object.entries(headers)) args.push('--headers', `${name}=${value}`)
    args.push(url)
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] })
    const chunks: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.on('error', reject)
    child.on('exit', () => {
      try {
        const report = JSON.parse(Buffer.concat(chunks).toString()) as {
          requests: { total: number }
          statusCodeStats?: Record<string, { count: number }>
          non2xx: number
          '2xx': number
        }
        resolve({
          requests: report.requests.total,
          statuses: Object.fromEntries(
            Object.entries(report.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count]),
          ),
        })
      } catch (error) {
        reject(error as Error)
      }
    })
  })
}

export async function benchFlood(
  seconds: number,
  floodRate = 8000,
  honestRate = 50,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'estate-flood-'))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const node = startNode(join(dataDir, 'data'), port)
  const agent = new Agent({ keepAlive: true, maxSockets: 16 })
  try {
    await waitReady(base)
    const credentials = JSON.parse(
      readFileSync(join(dataDir, 'data', 'dev-credentials.json'), 'utf8'),
    ) as Credential[]
    const byAgency = (agency: string) => {
      const found = credentials.find((credential) => credential.agency === agency)
      if (found === undefined) throw new Error(`no credential for ${agency}`)
      return found
    }
    // The population register at its keeper, as /r1 names it.
    const population = credentials.find((credential) => credential.agency === 'SIM')?.client
    if (population === undefined) throw new Error('no population register keeper')
    const path = `/r1/${population}/population/1.0?query.personalCode=38001085718`
    // A police officer of the demo set, on a case: a read the register answers.
    const callAs = (credential: Credential) => ({
      authorization: `Bearer ${credential.apiKey}`,
      'x-road-client': credential.client,
      'x-road-userid': 'EE39001010000',
      'x-road-issue': 'case 24-1234',
    })
    const honest = () => honestCall(agent, `${base}${path}`, callAs(byAgency('PPA')))
    const slowloris = slowHeaders(port)
    await honestRun(2, honestRate, honest) // warm up
    const alone = await honestRun(seconds, honestRate, honest)
    const [flooded, underFlood] = await Promise.all([
      flood(`${base}${path}`, callAs(byAgency('EMTA')), floodRate, seconds + 2),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 1000)) // the flood is up
        return honestRun(seconds, honestRate, honest)
      })(),
    ])
    const fmt = (n: number) => n.toFixed(1)
    console.log(
      `baseline       honest client alone (127.0.0.2, ${honestRate} calls/s through the exchange): p50 ${fmt(percentile(alone.sorted, 0.5))} ms, p99 ${fmt(percentile(alone.sorted, 0.99))} ms, errors ${alone.errors}`,
    )
    const limited = flooded.statuses['429'] ?? 0
    const answered = Object.entries(flooded.statuses)
      .filter(([code]) => code !== '429')
      .map(([code, count]) => `${count.toLocaleString('en-US')} × ${code}`)
      .join(', ')
    console.log(
      `flood          one credential from 127.0.0.1 at ${floodRate.toLocaleString('en-US')} calls/s offered for ${seconds + 2} s: ${flooded.requests.toLocaleString('en-US')} sent, ${limited.toLocaleString('en-US')} turned away (429); let through: ${answered || 'none'}`,
    )
    console.log(
      `under flood    honest client: p50 ${fmt(percentile(underFlood.sorted, 0.5))} ms, p99 ${fmt(percentile(underFlood.sorted, 0.99))} ms, errors ${underFlood.errors} of ${underFlood.sorted.length} (${underFlood.statuses})`,
    )
    console.log(
      `slow headers   a client dripping one header byte every 5 s was cut off after ${(await slowloris).toFixed(1)} s (default limits; target ≤ 40 s)`,
    )
    console.log(
      `ratio          honest p99 under flood ÷ alone = ${(percentile(underFlood.sorted, 0.99) / percentile(alone.sorted, 0.99)).toFixed(1)} (target: p99 ≤ 250 ms, no errors)`,
    )
  } finally {
    agent.destroy()
    const exited = new Promise((resolve) => node.once('exit', resolve))
    node.kill('SIGTERM')
    await exited
    rmSync(dataDir, { recursive: true, force: true })
  }
}
