/**
 * The failover drill (`e-state drill failover`): anyone can run it, CI runs it.
 *
 * Each run builds the two sites with the production code (`initPrimary`, `initEmbassy`: TLS
 * between them, synchronous replication, durable settings) on loopback, drives acts from several
 * concurrent writers while recording every acknowledgement, kills every process of the primary
 * with SIGKILL, promotes the embassy with `promoteEmbassy`, lets the writers find it and retry
 * their "outcome unknown" acts with the same keys, and then counts, on the new primary:
 *
 * - acknowledged acts lost (must be 0),
 * - acts applied twice (must be 0: the payload table has no unique key, only the idempotency
 *   table stands between a retry and a double),
 * - acknowledged acts whose ledger entry is missing or is not theirs (must be 0: each act records
 *   one through the ledger's recorder, in its transaction; an act applied twice shows as a
 *   second payload row, counted above),
 * - the promotion's duration and the time from the death to the first acknowledged write.
 *
 * A control run uses asynchronous replication and pauses the replication link (SIGSTOP to the
 * primary's walsender) before the kill: it must lose acknowledged acts, or the drill could not
 * see a loss and proves nothing. (On loopback a plain kill with asynchronous replication often
 * loses nothing: the walsender is faster than the kill.)
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { rmSync } from 'node:fs'
import type { MigrationHistory } from '../storage/index.ts'
import { CloudError } from './errors.ts'
import { entriesForRows } from '../ledger/index.ts'
import {
  DRILL_ACT_KIND,
  onConnection,
  startDrillWriter,
  type DrillWriter,
  type WriterEndpoint,
} from './drill-writer.ts'
import {
  freePort,
  killServer,
  postmasterPid,
  serverOwner,
  signalProcess,
  stopServer,
  waitForExit,
} from './postgres-server.ts'
import { promoteEmbassy } from './promote.ts'
import { DATABASE, EMBASSY_NAME, initEmbassy, initPrimary, withAdmin, type Site } from './site.ts'
import { issueSiteTls, siteCaIssuer } from './site-tls.ts'

export interface DrillOptions {
  /** Synchronous runs (default 20). */
  readonly runs?: number
  readonly writers?: number
  /** How long the writers write before the kill. */
  readonly writeMs?: number
  /** Run the asynchronous control (default true). */
  readonly control?: boolean
  /** Each line of the report as it is made. */
  readonly log?: (line: string) => void
  /** The e-state database's history, applied to each run's primary. */
  readonly migrations: MigrationHistory
}

export interface RunReport {
  readonly label: string
  readonly mode: 'synchronous' | 'control'
  readonly acknowledged: number
  readonly lost: number
  readonly appliedTwice: number
  /** Acknowledged acts whose ledger entry is missing or names another act. */
  readonly ledgerWrong: number
  readonly unknown: number
  readonly unknownUnresolved: number
  readonly promoteMs: number
  /** From the primary's death to the first acknowledged write on the new primary. */
  readonly firstWriteMs: number | undefined
}

export interface DrillReport {
  readonly runs: readonly RunReport[]
  readonly control: RunReport | undefined
  readonly passed: boolean
  readonly summary: string
}

const PAYLOAD_TABLE =
  'CREATE TABLE drill_payloads (id bigserial PRIMARY KEY, act_key text NOT NULL, writer integer NOT NULL)'
const SETTLE_MS = 5_000

export async function runFailoverDrill(options: DrillOptions): Promise<DrillReport> {
  const log = options.log ?? (() => undefined)
  const runs = options.runs ?? 20
  const root = await mkdtemp(path.join(os.tmpdir(), 'estate-drill-'))
  // The server's OS user must reach the sites below (mkdtemp makes the directory 0700).
  await chmod(root, 0o711)
  roots.add(root)
  const tls = await issueDrillTls(root)
  const reports: RunReport[] = []
  let control: RunReport | undefined
  try {
    for (let run = 1; run <= runs; run++) {
      const report = await runOnce(root, tls, `run ${run}/${runs}`, 'synchronous', options)
      reports.push(report)
      log(describeRun(report))
    }
    if (options.control !== false) {
      control = await runOnce(root, tls, 'control', 'control', options)
      log(describeRun(control))
    }
  } finally {
    await rm(root, { recursive: true, force: true })
    roots.delete(root)
  }
  return summarise(reports, control)
}

async function issueDrillTls(root: string): Promise<{ primary: string; embassy: string }> {
  const issuer = await siteCaIssuer('e-state drill')
  const owner = serverOwner()
  const primary = path.join(root, 'tls-primary')
  const embassy = path.join(root, 'tls-embassy')
  await issueSiteTls(issuer, primary, ['localhost'], owner)
  await issueSiteTls(issuer, embassy, ['localhost'], owner)
  return { primary, embassy }
}

async function runOnce(
  root: string,
  tls: { primary: string; embassy: string },
  label: string,
  mode: RunReport['mode'],
  options: DrillOptions,
): Promise<RunReport> {
  const dir = await mkdtemp(path.join(root, 'run-'))
  await chmod(dir, 0o711)
  const sites: Site[] = []
  const writers: DrillWriter[] = []
  try {
    const [primaryPort, embassyPort] = [await freePort(), await freePort()]
    const loopback = { host: 'localhost', address: '127.0.0.1', listen: '127.0.0.1' }
    const primary = await initPrimary({
      dir: path.join(dir, 'primary'),
      tlsDir: tls.primary,
      config: { ...loopback, port: primaryPort, loopbackTrust: true },
      migrations: options.migrations,
      setup: [PAYLOAD_TABLE],
    })
    sites.push(primary)
    trackForExit(primary)
    if (mode === 'control') await makeAsynchronous(primary)
    const embassy = await initEmbassy({
      dir: path.join(dir, 'embassy'),
      tlsDir: tls.embassy,
      config: {
        ...loopback,
        port: embassyPort,
        loopbackTrust: true,
        primary: { host: 'localhost', address: '127.0.0.1', port: primaryPort },
      },
    })
    sites.push(embassy)
    trackForExit(embassy)
    const walsender = await waitForStreaming(primary, mode === 'synchronous' ? 'sync' : 'async')

    const endpoints: WriterEndpoint[] = [primaryPort, embassyPort].map((port) => ({
      host: '127.0.0.1',
      port,
      database: DATABASE,
    }))
    const prefix = `${label.replace(/\W+/g, '')}`
    for (let id = 1; id <= (options.writers ?? 4); id++)
      writers.push(startDrillWriter(id, endpoints, prefix))
    const writeMs = options.writeMs ?? 400
    if (mode === 'control') {
      await sleep(writeMs / 2)
      signalProcess(walsender, 'SIGSTOP')
      await sleep(writeMs / 2)
    } else {
      await sleep(writeMs)
    }

    const pid = postmasterPid(primary.server)
    const deathAt = performance.now()
    for (const writer of writers) writer.markDeath(deathAt)
    killServer(primary.server)
    if (pid !== undefined) await waitForExit(pid)
    const promoted = await promoteEmbassy(embassy)

    const deadline = Date.now() + SETTLE_MS
    while (Date.now() < deadline && !writers.every((writer) => writer.settled())) await sleep(20)
    await Promise.all(writers.map((writer) => writer.stop()))
    return await countOutcome(embassy, writers, label, mode, promoted.tookMs)
  } finally {
    await Promise.all(writers.map((writer) => writer.stop()))
    for (const site of sites.reverse()) {
      await stopServer(site.server, 'immediate').catch(() => killServer(site.server))
      untrack(site)
    }
    await rm(dir, { recursive: true, force: true })
  }
}

/** The control: commits acknowledged by the primary alone. */
async function makeAsynchronous(primary: Site): Promise<void> {
  await withAdmin(primary, async (client) => {
    await client.query(`ALTER SYSTEM SET synchronous_standby_names = ''`)
    await client.query(`ALTER SYSTEM SET synchronous_commit = 'on'`)
    await client.query('SELECT pg_reload_conf()')
  })
}

/** Waits until the embassy streams in the expected mode; returns the walsender's process id. */
async function waitForStreaming(primary: Site, syncState: 'sync' | 'async'): Promise<number> {
  const deadline = Date.now() + 15_000
  return withAdmin(primary, async (client) => {
    for (;;) {
      const result = await client.query<{ pid: number; sync_state: string }>(
        `SELECT pid, sync_state FROM pg_stat_replication
         WHERE application_name = $1 AND state = 'streaming'`,
        [EMBASSY_NAME],
      )
      const row = result.rows[0]
      if (row !== undefined && row.sync_state === syncState) return row.pid
      if (Date.now() > deadline)
        throw new CloudError('CLOUD_POSTGRES_FAILED', `the embassy is not streaming (${syncState})`)
      await sleep(20)
    }
  })
}

async function countOutcome(
  embassy: Site,
  writers: readonly DrillWriter[],
  label: string,
  mode: RunReport['mode'],
  promoteMs: number,
): Promise<RunReport> {
  const { present, twice, payloadOf, logged } = await withAdmin(embassy, async (client) => {
    const keys = await client.query<{ act_key: string }>('SELECT act_key FROM cloud_acts')
    const payloads = await client.query<{ act_key: string; id: string }>(
      'SELECT act_key, id FROM drill_payloads',
    )
    const doubles = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM
         (SELECT act_key FROM drill_payloads GROUP BY act_key HAVING count(*) > 1) AS twice`,
    )
    const ids = payloads.rows.map((row) => Number(row.id))
    return {
      present: new Set(keys.rows.map((row) => row.act_key)),
      twice: Number(doubles.rows[0]?.n ?? 0),
      payloadOf: new Map(payloads.rows.map((row) => [row.act_key, Number(row.id)])),
      logged: await entriesForRows(
        onConnection(client),
        DRILL_ACT_KIND,
        1,
        ids.reduce((highest, id) => Math.max(highest, id), 0),
      ),
    }
  })
  // An acknowledged act's ledger entry commits to its payload row and names its key.
  const ledgerHolds = (key: string): boolean => {
    const entry = logged.get(payloadOf.get(key) ?? -1)
    return (
      entry !== undefined &&
      (JSON.parse(Buffer.from(entry).toString('utf8')) as { act?: string }).act === key
    )
  }
  let acknowledged = 0
  let lost = 0
  let ledgerWrong = 0
  let unknown = 0
  let unresolved = 0
  const firstWrites: number[] = []
  for (const { record } of writers) {
    acknowledged += record.acknowledged.size
    for (const key of record.acknowledged) {
      if (!present.has(key)) lost++
      else if (!ledgerHolds(key)) ledgerWrong++
    }
    unknown += record.unknown.size + record.resolvedAsCommitted.size + record.resolvedByRetry.size
    unresolved += record.unknown.size
    if (record.firstAckAfter !== undefined) firstWrites.push(record.firstAckAfter)
  }
  return {
    label,
    mode,
    acknowledged,
    lost,
    appliedTwice: twice,
    ledgerWrong,
    unknown,
    unknownUnresolved: unresolved,
    promoteMs,
    firstWriteMs: firstWrites.length === 0 ? undefined : Math.round(Math.min(...firstWrites)),
  }
}

export function describeRun(report: RunReport): string {
  const kind = report.mode === 'control' ? 'control (asynchronous, link paused)' : 'synchronous'
  return (
    `${report.label} ${kind}: ${report.acknowledged} acknowledged, ${report.lost} lost, ` +
    `${report.appliedTwice} applied twice, ${report.ledgerWrong} without their ledger entry, ` +
    `${report.unknown} outcome unknown ` +
    `(${report.unknownUnresolved} unresolved); promote ${report.promoteMs} ms; ` +
    `first write ${report.firstWriteMs === undefined ? 'never' : `${report.firstWriteMs} ms`} after death`
  )
}

function summarise(runs: readonly RunReport[], control: RunReport | undefined): DrillReport {
  const lost = sum(runs.map((run) => run.lost))
  const twice = sum(
    [...runs, ...(control === undefined ? [] : [control])].map((r) => r.appliedTwice),
  )
  const promote = runs.map((run) => run.promoteMs)
  const firstWrite = runs.map((run) => run.firstWriteMs ?? Number.POSITIVE_INFINITY)
  const controlLost = control?.lost ?? 0
  const ledgerWrong = sum(runs.map((run) => run.ledgerWrong))
  const passed =
    runs.length > 0 &&
    lost === 0 &&
    twice === 0 &&
    ledgerWrong === 0 &&
    control !== undefined &&
    controlLost > 0 &&
    firstWrite.every(Number.isFinite)
  const summary =
    `drill: ${runs.length} synchronous runs, ${lost} acknowledged acts lost ` +
    `(${sum(runs.map((run) => run.acknowledged))} acknowledged), ${twice} applied twice, ` +
    `${ledgerWrong} without their ledger entry; ` +
    `control ${control === undefined ? 'not run' : `lost ${controlLost} of ${control.acknowledged}`}; ` +
    `promote p50 ${percentile(promote, 0.5)} ms max ${Math.max(...promote, 0)} ms; ` +
    `first write after death p50 ${percentile(firstWrite, 0.5)} ms max ${Math.max(...firstWrite, 0)} ms: ` +
    (passed ? 'PASSED' : 'FAILED')
  return { runs, control, passed, summary }
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// Servers a drill left running when its process ends abruptly (Ctrl-C, a test timeout) are
// stopped on exit, synchronously: an exit hook cannot wait for promises.
const running = new Set<Site>()
const roots = new Set<string>()
let hooked = false

function trackForExit(site: Site): void {
  running.add(site)
  if (hooked) return
  hooked = true
  process.on('exit', abandonDrill)
}

/** Kills every server a drill in this process still runs and removes its files (synchronous). */
export function abandonDrill(): void {
  for (const each of running) {
    if (postmasterPid(each.server) !== undefined) killServer(each.server)
    rmSync(each.dir, { recursive: true, force: true })
  }
  running.clear()
  for (const root of roots) rmSync(root, { recursive: true, force: true })
  roots.clear()
}

function untrack(site: Site): void {
  running.delete(site)
}
