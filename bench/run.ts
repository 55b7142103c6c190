/**
 * `npm run bench`: figures with a baseline measured in the same run, never asserted.
 *
 * 1. Seeding rate (residents/s) on SQLite and PostgreSQL, beside the raw bulk-insert rate of
 *    the same engine (rows/s of a bare table) as the baseline.
 * 2. A personal-record read through the access gate versus the same query without it, both with
 *    16 concurrent readers in one process, on both engines.
 *
 * 3. The integrity ledger: durable appends/s with 64 appenders and their latency, beside the raw
 *    SHA-256 and fsync rates of this machine; inclusion proofs/s; receipt size (bench/ledger.ts).
 *
 * Options: --population N (SQLite, default 100000), --pg-population N (default 20000),
 * --seconds S per measurement (default 5), --skip-postgres, --only-ledger, --only-trust,
 * --certificates N for the mass suspension (default 100000).
 *
 * 4. Trust services: Web eID validations/s, OCSP and TSA answers/s, mass suspension (bench/trust.ts).
 *
 * 5. Signatures: validations/s of a 1 MB document with two B-LT signatures beside bare XML-DSig
 *    verification of it; B-LT creation time (bench/signatures.ts; --only-signatures).
 *
 * 6. The exchange: calls/s and added latency through two gateway processes with mutual TLS
 *    against the same call made directly (bench/exchange.ts; --only-exchange).
 *
 * 7. A flood: an honest client's p99 and errors while one credential floods the node with
 *    autocannon, beside the same client alone (bench/flood.ts; --only-flood).
 *
 * 8. The portal's pages: server time of the front page at 200 requests/s and of "my data" and
 *    the data tracker at 30/s (open loop, logged-in users, one process on SQLite of
 *    --portal-population residents, default 20000), beside a bare Fastify hello-world's rate;
 *    with --only-portal the exchange's figures follow in the same run (bench/portal.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateMasterKey, openEnvelope } from '../src/crypto/index.ts'
import {
  createAccessGate,
  DEFAULT_PROFILE,
  REGISTRIES,
  seedCountry,
} from '../src/registries/index.ts'
import { MIGRATIONS } from '../src/main/index.ts'
import { systemClock } from '../src/shared/index.ts'
import { createDataKeyStore, openStore, type Store } from '../src/storage/index.ts'
import { startPgCluster } from '../test/support/pg-cluster.ts'
import { benchLedger } from './ledger.ts'
import { benchTrust } from './trust.ts'
import { benchSignatures } from './signatures.ts'
import { benchExchange } from './exchange.ts'
import { benchFlood } from './flood.ts'
import { benchPortal } from './portal.ts'
import { measureRawInserts } from './raw-inserts.ts'

const { values } = parseArgs({
  options: {
    population: { type: 'string', default: '100000' },
    'pg-population': { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '5' },
    'skip-postgres': { type: 'boolean', default: false },
    'only-ledger': { type: 'boolean', default: false },
    'only-trust': { type: 'boolean', default: false },
    'only-signatures': { type: 'boolean', default: false },
    'only-exchange': { type: 'boolean', default: false },
    'only-flood': { type: 'boolean', default: false },
    'only-portal': { type: 'boolean', default: false },
    'portal-population': { type: 'string', default: '20000' },
    certificates: { type: 'string', default: '100000' },
  },
})
const population = Number(values.population)
const pgPopulation = Number(values['pg-population'])
const seconds = Number(values.seconds)
const masterKeys = { current: generateMasterKey('bench'), previous: [] }
const READERS = 16

console.log(
  `e-state bench — ${new Date().toISOString()} — node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`,
)

const workDir = mkdtempSync(join(tmpdir(), 'e-state-bench-'))
try {
  const sqliteUrl = join(workDir, 'estate.db')
  if (values['only-flood']) {
    console.log('## serving honest users under a flood')
    await benchFlood(seconds)
    process.exit(0)
  }
  if (values['only-portal']) {
    console.log('## portal pages')
    await benchPortal(seconds, Number(values['portal-population']))
    console.log('\n## exchange (the same run)')
    await benchExchange(seconds)
    process.exit(0)
  }
  if (values['only-exchange']) {
    console.log('## exchange')
    await benchExchange(seconds)
    process.exit(0)
  }
  if (values['only-signatures']) {
    console.log('## signatures')
    await benchSignatures(seconds)
    process.exit(0)
  }
  if (values['only-trust']) {
    console.log('## trust services (sqlite)')
    await benchTrust(workDir, seconds, Number(values.certificates))
    process.exit(0)
  }
  if (!values['only-ledger']) await benchEngine('sqlite', sqliteUrl, population)
  console.log('## ledger on sqlite')
  await benchLedger('sqlite', join(workDir, 'ledger.db'), seconds, workDir)
  if (!values['skip-postgres']) {
    const cluster = await startPgCluster({ database: 'bench', durable: true })
    try {
      if (!values['only-ledger']) await benchEngine('postgres', cluster.url, pgPopulation)
      console.log('\n## ledger on postgres')
      await benchLedger('postgres', cluster.url, seconds, workDir)
      if (!values['only-ledger']) {
        console.log('\n## trust services (sqlite)')
        await benchTrust(workDir, seconds, Number(values.certificates))
        console.log('\n## signatures')
        await benchSignatures(seconds)
        console.log('\n## exchange')
        await benchExchange(seconds)
        console.log('\n## serving honest users under a flood')
        await benchFlood(seconds)
        console.log('\n## portal pages')
        await benchPortal(seconds, Number(values['portal-population']))
      }
    } finally {
      await cluster.stop()
    }
  }
} finally {
  rmSync(workDir, { recursive: true, force: true })
}
console.log(
  `\npeak RSS of the bench process: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
)

async function benchEngine(
  engine: 'sqlite' | 'postgres',
  url: string,
  residents: number,
): Promise<void> {
  console.log(`## ${engine}`)
  const raw = await measureRawInserts(
    engine,
    engine === 'sqlite' ? url + '.raw' : url.replace(/\/bench$/, '/postgres'),
  )
  const report = await seedCountry({
    url,
    profile: DEFAULT_PROFILE,
    population: residents,
    seed: 'bench',
    masterKeys,
    clock: systemClock,
    migrations: MIGRATIONS,
  })
  const rate = report.residents / report.seconds
  const rows = Object.values(report.rows).reduce((sum, count) => sum + count, 0)
  console.log(
    `seeding        ${report.residents.toLocaleString('en')} residents (${rows.toLocaleString('en')} rows) in ${report.seconds.toFixed(1)} s`,
  )
  console.log(
    `               ${Math.round(rate).toLocaleString('en')} residents/s, ${Math.round(rows / report.seconds).toLocaleString('en')} rows/s`,
  )
  console.log(
    `baseline       raw bulk insert ${Math.round(raw).toLocaleString('en')} rows/s (one narrow table, no generation, no encryption)`,
  )
  console.log(
    `ratio          seeding rows/s ÷ raw rows/s = ${(rows / report.seconds / raw).toFixed(2)}`,
  )

  const store = await openStore({ url })
  try {
    await benchReads(store)
  } finally {
    await store.close()
  }
  console.log('')
}

async function benchReads(store: Store): Promise<void> {
  const envelope = await openEnvelope(masterKeys, createDataKeyStore(store.db, systemClock.now), [])
  const gate = createAccessGate({
    store,
    clock: systemClock,
    // The bench measures the gate's cost, not the drain: generous bounds, outbox left to grow.
    bounds: { maxOutboxEntries: 100_000_000, maxOutboxAgeSeconds: 86_400 },
  })
  const codes = (
    await store.admin
      .selectFrom('persons')
      .select('personal_code')
      .where('status', '=', 'alive')
      .limit(5000)
      .execute()
  ).map((row) => row.personal_code)
  const population = REGISTRIES.population
  const criteria = (code: string) => ({
    equals: { personalCode: code },
    descending: false,
    offset: 0,
    limit: 1,
    countTotal: false,
  })
  const actor = {
    clientId: 'EE/GOV/70000071/police',
    agencyCode: '70000071',
    personalCode: '39001010000',
  }

  const bare = await runReaders(async (index) => {
    const result = await population.search(
      { db: store.admin, envelope },
      criteria(codes[index % codes.length]),
    )
    if (result.records.length !== 1) throw new Error('bare read found nothing')
  })
  const gated = await runReaders(async (index) => {
    const code = codes[index % codes.length]
    await gate.read(
      actor,
      { reason: 'bench' },
      {
        registry: 'population',
        data: 'population.person',
        async run(db) {
          const result = await population.search({ db, envelope }, criteria(code))
          return { value: result.records[0], subjects: [code] }
        },
      },
    )
  })
  console.log(
    `read (bare)    ${Math.round(bare.rate).toLocaleString('en')} person records/s, ${READERS} readers, p50 ${bare.p50.toFixed(2)} ms, p99 ${bare.p99.toFixed(2)} ms`,
  )
  console.log(
    `read (door)    ${Math.round(gated.rate).toLocaleString('en')} person records/s, ${READERS} readers, p50 ${gated.p50.toFixed(2)} ms, p99 ${gated.p99.toFixed(2)} ms (access record durable before each reply)`,
  )
  console.log(`ratio          door ÷ bare = ${(gated.rate / bare.rate).toFixed(2)}`)
}

async function runReaders(
  read: (index: number) => Promise<void>,
): Promise<{ rate: number; p50: number; p99: number }> {
  // Warm-up, then a fixed wall-clock window.
  const deadline = performance.now() + seconds * 1000
  const warmUntil = performance.now() + 500
  const latencies: number[] = []
  let counter = 0
  let measuredStart = 0
  let measured = 0
  const reader = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const started = performance.now()
      await read(counter++)
      const ended = performance.now()
      if (started >= warmUntil) {
        if (measuredStart === 0) measuredStart = started
        latencies.push(ended - started)
        measured++
      }
    }
  }
  await Promise.all(Array.from({ length: READERS }, reader))
  latencies.sort((a, b) => a - b)
  const elapsed = (performance.now() - measuredStart) / 1000
  return {
    rate: measured / elapsed,
    p50: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
  }
}
