/**
 * The exchange: a call through a consumer and a provider gateway — two `e-state gateway`
 * processes, mutual TLS between them, both signatures, both message logs — against the same
 * call made directly to the provider's backend, in one run. Throughput with 64 callers, and
 * latency at a steady 200 calls/s (p50, p99, and what the gateways add).
 */
import { Agent, request } from 'node:http'
import { CLIENT, SERVICE, startGatewayPair } from '../test/support/gateway-pair.ts'

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

function get(agent: Agent, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const outgoing = request(url, { agent, headers }, (incoming) => {
      incoming.resume()
      incoming.on('end', () => {
        if (incoming.statusCode !== 200) reject(new Error(`HTTP ${incoming.statusCode}`))
        else resolve(performance.now() - started)
      })
    })
    outgoing.on('error', reject)
    outgoing.end()
  })
}

async function throughput(
  seconds: number,
  call: () => Promise<number>,
  callers = 64,
): Promise<number> {
  const until = performance.now() + seconds * 1000
  let done = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        await call()
        done++
      }
    }),
  )
  return done / ((performance.now() - started) / 1000)
}

async function steady(
  seconds: number,
  rate: number,
  call: () => Promise<number>,
): Promise<number[]> {
  const latencies: number[] = []
  const pending: Promise<void>[] = []
  const interval = 1000 / rate
  const started = performance.now()
  for (let index = 0; index < seconds * rate; index++) {
    const due = started + index * interval
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(call().then((latency) => void latencies.push(latency)))
  }
  await Promise.all(pending)
  return latencies.sort((a, b) => a - b)
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

export async function benchExchange(seconds: number): Promise<void> {
  const pair = await startGatewayPair({ logLevel: 'error' })
  const agent = new Agent({ keepAlive: true, maxSockets: 128 })
  try {
    const headers = {
      authorization: `Bearer ${pair.apiKey}`,
      'x-road-client': CLIENT,
      'x-road-userid': 'EE39001010000',
    }
    const viaGateways = () =>
      get(agent, `${pair.consumerUrl}/r1/${SERVICE}/persons/38001085718`, headers)
    const direct = () =>
      get(agent, `${pair.backendUrl}/persons/38001085718`, { 'x-road-client': CLIENT })
    await throughput(1, viaGateways, 16) // warm up: TLS sessions, JIT
    await throughput(1, direct, 16)
    const directRate = await throughput(seconds, direct)
    const gatewayRate = await throughput(seconds, viaGateways)
    console.log(
      `baseline       direct to the provider's backend: ${fmt(directRate)} calls/s (64 callers, keep-alive)`,
    )
    console.log(
      `exchange       through both gateways (mutual TLS, two signatures, two message logs): ${fmt(gatewayRate)} calls/s`,
    )
    console.log(`ratio          gateways ÷ direct = ${(gatewayRate / directRate).toFixed(2)}`)
    // Latency in the steady state at 200 calls/s: after the throughput runs above, each path
    // first runs 3 s at that rate (not measured) so the burst's garbage and backlog are gone.
    const window = Math.max(10, seconds)
    await steady(3, 200, direct)
    const base = await steady(window, 200, direct)
    await steady(3, 200, viaGateways)
    const through = await steady(window, 200, viaGateways)
    const p50 = (sorted: number[]) => percentile(sorted, 0.5)
    const p99 = (sorted: number[]) => percentile(sorted, 0.99)
    console.log(
      `latency        at 200 calls/s for ${window} s (after 3 s at that rate): direct p50 ${p50(base).toFixed(2)} ms, p99 ${p99(base).toFixed(2)} ms; through gateways p50 ${p50(through).toFixed(2)} ms, p99 ${p99(through).toFixed(2)} ms`,
    )
    console.log(
      `added          by the gateways at 200 calls/s: p50 ${(p50(through) - p50(base)).toFixed(2)} ms, p99 ${(p99(through) - p99(base)).toFixed(2)} ms`,
    )
  } finally {
    agent.destroy()
    await pair.close()
  }
}
