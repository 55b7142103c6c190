/**
 * Fuzzing every endpoint: for each method of each path in the app's own OpenAPI document,
 * fast-check sends hostile requests — path parameters empty, huge, `..`, `%2F`, `%00`, control
 * characters; repeated, unknown and mistyped query keys; garbage and duplicate headers, bogus
 * and valid credentials (member API keys, session cookies) so requests reach the handlers;
 * malformed, mistyped, deeply nested, binary and oversized bodies — and checks e-state's
 * promise: no 5xx (the exchange gateway's X-Road-typed failures aside), every 4xx a problem
 * document (or the protocol's own refusal), and the platform still ready at the end.
 *
 *   E_STATE_FUZZ_RUNS=20     requests per operation (default 8, 20 in `npm run test:long`;
 *                            `npm run fuzz` uses more)
 *   E_STATE_FUZZ_SEED=…      repeat a run (the seed is printed at the start)
 *   E_STATE_FUZZ_ROUTE=…     only operations whose "METHOD /path" contains this
 */
import { Writable } from 'node:stream'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../src/shared/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { documentedOperations } from './support/fuzz-document.ts'
import {
  breachOf,
  createSender,
  describeRequest,
  type ConcreteRequest,
  type FuzzResponse,
} from './support/fuzz-http.ts'
import { FUZZ_ORIGIN, preparePlatform, type FuzzPlatform } from './support/fuzz-platform.ts'
import { requestFor, type FuzzRequest, type Operation } from './support/fuzz-requests.ts'
import { sweep } from './support/tier.ts'

const RUNS = Number(process.env.E_STATE_FUZZ_RUNS ?? sweep(8, 20))
const SEED = Number(process.env.E_STATE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const ONLY = process.env.E_STATE_FUZZ_ROUTE
console.log(
  `fuzz-routes: seed ${SEED}, ${RUNS} requests per operation (E_STATE_FUZZ_SEED=${SEED} repeats this run)`,
)

/** Warnings and errors the app logs (an unhandled error's stack), for the report of a failure. */
const logged: string[] = []
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logged.push(chunk.toString('utf8'))
    if (logged.length > 500) logged.splice(0, logged.length - 500)
    done()
  },
})
const crashes: unknown[] = []
const onCrash = (error: unknown) => crashes.push(error)

const statuses = new Map<number, number>()
/** Per operation: answers by status and code (E_STATE_FUZZ_REPORT=1 prints them). */
const byOperation = new Map<string, Map<string, number>>()
let current = ''
let sent = 0
let gatewayFailures = 0
let breaking5xx = 0

let t: TestApp
let fuzz: FuzzPlatform
let sender: ReturnType<typeof createSender>
// The document of an app built (not started) for the purpose, so each operation is a test.
const operations = (await documentedOperations()).filter(
  (operation) => ONLY === undefined || nameOf(operation).includes(ONLY),
)

beforeAll(async () => {
  process.on('unhandledRejection', onCrash)
  process.on('uncaughtException', onCrash)
  t = await startTestApp('sqlite', {
    population: 200,
    env: { E_STATE_PUBLIC_URL: FUZZ_ORIGIN },
    options: { logger: createLogger('warn', logSink) },
  })
  await t.app.server.listen({ host: '127.0.0.1', port: 0 })
  sender = createSender(t.app.server, (t.app.server.server.address() as { port: number }).port)
  fuzz = await preparePlatform(t)
}, 120_000)

afterAll(async () => {
  process.off('unhandledRejection', onCrash)
  process.off('uncaughtException', onCrash)
  sender?.close()
  await t?.close()
  const histogram = histogramOf(statuses)
  if (process.env.E_STATE_FUZZ_REPORT === '1')
    for (const [name, counts] of byOperation) console.log(`  ${name}: ${histogramOf(counts)}`)
  console.log(
    `fuzz-routes: ${sent} requests over ${operations.length} operations; statuses ${histogram}; ` +
      `5xx outside the contract ${breaking5xx}; gateway X-Road Server.* failures ${gatewayFailures}`,
  )
})

describe('fuzzing every operation of the OpenAPI document', () => {
  it('has the whole document to fuzz', () => {
    if (ONLY !== undefined) return
    expect(operations.length).toBeGreaterThan(90)
    expect(operations.map(nameOf)).toEqual(
      expect.arrayContaining([
        'GET /r1/{*}',
        'POST /signatures/validate',
        'PUT /data/population/1.0/update',
      ]),
    )
  })

  it.each(operations.map((operation) => [nameOf(operation), operation] as const))(
    '%s answers hostile requests without a 5xx, refusals as problems',
    async (name, operation) => {
      current = name
      await fuzz.refreshSessions()
      const result = await fc.check(
        fc.asyncProperty(requestFor(operation, fuzz.context), (request) =>
          exchange(operation, request),
        ),
        { numRuns: RUNS, seed: seedOf(name) },
      )
      if (result.failed) expect.fail(reportOf(name, result))
    },
    Math.max(60_000, RUNS * 2_500),
  )

  // What the fuzz has found, kept as fixed requests so they fail (and pass) every run.
  it.each([
    [
      'a service code beyond Latin-1',
      'RIK',
      'GET',
      '/r1/EE/GOV/70000036/business-register/%E2%82%AC',
    ],
    [
      'an instance beyond Latin-1',
      'PPA',
      'GET',
      '/r1/%C4%80/GOV/70000013/population-register/population/1.0',
    ],
    ['limit=Infinity', 'SIM', 'GET', '/exchange/monitoring?limit=Infinity'],
    ['pageSize=Infinity', 'SIM', 'GET', '/api/v1/rights/allow?pageSize=Infinity'],
    ['offset=Infinity', 'RIA', 'GET', '/tracker/usage?offset=Infinity'],
    [
      'pageSize=-Infinity at a registry',
      'PPA',
      'GET',
      '/r1/EE/GOV/70000013/population-register/population/1.0?query.lastName=Tamm&pageSize=-Infinity',
    ],
    ['JSON nested 5,000 deep', 'SIM', 'PUT', '/api/v1/openapi/population-register/population'],
  ] as const)(
    'answers a request the fuzz once broke it with: %s',
    async (_name, agency, method, url) => {
      const member = fuzz.context.members.find((candidate) => candidate.agency === agency)
      const deep = method === 'PUT' ? `${'['.repeat(5_000)}1${']'.repeat(5_000)}` : undefined
      await judged({
        method,
        url,
        headers: {
          authorization: `Bearer ${member?.apiKey ?? ''}`,
          'x-road-client': member?.client ?? '',
          'x-road-userid': agency === 'RIA' ? 'EE38001085718' : 'EE39001010000',
          'x-road-issue': 'fuzz regression',
          ...(deep === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(deep === undefined ? {} : { payload: deep }),
        transport: 'inject',
      })
    },
  )

  it('is still ready afterwards, and nothing crashed', async () => {
    const ready = await t.app.server.inject({ url: '/health/ready' })
    expect(ready.statusCode).toBe(200)
    expect(crashes).toEqual([])
  })

  // Schemas compile on their route's first request (src/main/lazy-schemas.ts): the ones the
  // sweep did not reach (serializers of statuses it never met) compile too, and then none wait.
  it('compiles every route schema the sweep did not need', () => {
    expect(() => t.app.warmSchemas()).not.toThrow()
    expect(t.app.warmSchemas()).toBe(0)
  })
})

/** Sends one request (and its follow-up), and throws if an answer breaks the contract. */
async function exchange(operation: Operation, generated: FuzzRequest): Promise<void> {
  if (operation.template.startsWith('/auth/logout')) await fuzz.renewHolder()
  const request = await fuzz.concrete(generated)
  const response = await judged(request)
  if (operation.template === '/signatures/prepare' && response.status === 200) {
    // A prepared signature is finalized (or spent by a failure): three may wait per person.
    const prepared = JSON.parse(response.body.toString('utf8')) as { id: string; hash: string }
    await judged(fuzz.finalizeFor(prepared, response.body.length % 2 === 0))
  }
}

async function judged(request: ConcreteRequest): Promise<FuzzResponse> {
  const mark = logged.length
  let response: FuzzResponse
  try {
    response = await sender.send(request)
  } catch (error) {
    throw new Error(`no answer: ${(error as Error).message}\n${describeRequest(request)}`, {
      cause: error,
    })
  }
  sent++
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
  const mine = byOperation.get(current) ?? new Map<string, number>()
  const outcome = `${response.status}${response.status >= 400 ? `:${codeOf(response)}` : ''}`
  mine.set(outcome, (mine.get(outcome) ?? 0) + 1)
  byOperation.set(current, mine)
  const breach = breachOf(request, response)
  if (response.status >= 500) {
    if (breach === undefined) gatewayFailures++
    else breaking5xx++
  }
  if (breach !== undefined)
    throw new Error(
      [
        breach,
        describeRequest(request),
        `answer: ${response.body.toString('utf8').slice(0, 600)}`,
        ...logged.slice(mark).map((line) => `logged: ${line.slice(0, 4_000)}`),
      ].join('\n'),
    )
  return response
}

/** The shrunk request and what it broke, short enough to read; then how to repeat it. */
function reportOf(name: string, result: fc.RunDetails<[FuzzRequest]>): string {
  const [request] = result.counterexample ?? []
  const error =
    result.errorInstance instanceof Error
      ? result.errorInstance.message
      : String(result.errorInstance)
  return [
    `${name}: ${error.split('\n')[0]}`,
    request === undefined ? '' : `generated request:\n${describeRequest(request)}`,
    `as sent and answered:\n${error.split('\n').slice(1).join('\n')}`,
    `repeat: E_STATE_FUZZ_SEED=${SEED} E_STATE_FUZZ_ROUTE='${name}' npx vitest run test/fuzz-routes.test.ts ` +
      `(fast-check seed ${result.seed}, path ${result.counterexamplePath ?? ''})`,
  ].join('\n')
}

/** The refusal's code (problem document) or X-Road error type, for the per-operation report. */
function codeOf(response: FuzzResponse): string {
  const xRoad = response.headers['x-road-error']
  if (xRoad !== undefined) return String(xRoad)
  try {
    return String((JSON.parse(response.body.toString('utf8')) as { code?: unknown }).code)
  } catch {
    return '?'
  }
}

function histogramOf<T extends number | string>(counts: ReadonlyMap<T, number>): string {
  return [...counts.entries()]
    .sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([status, count]) => `${status}×${count}`)
    .join(' ')
}

function nameOf(operation: Operation): string {
  return `${operation.method} ${operation.template}`
}

/** One seed per operation, from the run's seed: a failure repeats with E_STATE_FUZZ_SEED alone. */
function seedOf(name: string): number {
  let hash = SEED
  for (const char of name) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0
  return hash
}
