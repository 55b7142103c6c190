/**
 * `e-state site …`: the two sites of the government cloud on PostgreSQL — set up the primary and
 * the embassy (streaming replication, synchronous, mutual TLS), see their state, promote the
 * embassy (fencing the old primary), and switch the degraded mode an operator decides on.
 * Automatic mode: `arbiter-init` and `arbiter` run the arbiter at a third location, `watch`
 * runs beside the embassy and promotes it when the primary is silent and the arbiter agrees.
 * Exit codes: 0 done, 1 refused or failed (nothing half-done), 2 bad usage.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import {
  automaticModeOf,
  CloudError,
  degradeSite,
  enableAutomaticMode,
  initArbiter,
  initEmbassy,
  initPrimary,
  issueSiteTls,
  openSite,
  promoteEmbassy,
  restoreSync,
  serverOwner,
  siteCaIssuer,
  siteStatus,
  startArbiter,
  startServer,
  statePkiIssuer,
  stopServer,
  watchPrimary,
  type CertificateIssuer,
} from '../cloud/index.ts'
import { MIGRATIONS, readConfig } from '../main/index.ts'
import { openStatePki } from './trust-store.ts'

export const SITE_USAGE = `usage: e-state site init-primary --dir DIR --host NAME --port N --embassy-host NAME --embassy-tls-out DIR [--listen ADDR] [--state-pki]
       e-state site init-embassy --dir DIR --host NAME --port N --primary-host NAME --primary-port N --tls DIR [--primary-address IP] [--listen ADDR]
       e-state site status --dir DIR
       e-state site promote --dir DIR [--force [--primary-dir DIR | --primary-url URL]]
       e-state site degrade --dir DIR --reason TEXT [--by NAME]
       e-state site restore-sync --dir DIR [--by NAME]
       e-state site start|stop --dir DIR
       e-state site arbiter-init --dir DIR --host ADDR --port N --primary-host NAME --primary-port N [--primary-address IP] [--primary-ca FILE] [--probe-user NAME] [--grace-s S] [--tls-cert FILE --tls-key FILE]
       e-state site arbiter --dir DIR
       e-state site watch --dir DIR [--arbiter URL --arbiter-secret FILE [--arbiter-ca FILE]] [--grace-s S]`

const OPTIONS = {
  dir: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  listen: { type: 'string' },
  'embassy-host': { type: 'string' },
  'embassy-tls-out': { type: 'string' },
  'state-pki': { type: 'boolean' },
  'primary-host': { type: 'string' },
  'primary-port': { type: 'string' },
  'primary-address': { type: 'string' },
  tls: { type: 'string' },
  force: { type: 'boolean' },
  'primary-dir': { type: 'string' },
  'primary-url': { type: 'string' },
  reason: { type: 'string' },
  by: { type: 'string' },
  'primary-ca': { type: 'string' },
  'probe-user': { type: 'string' },
  'grace-s': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  arbiter: { type: 'string' },
  'arbiter-secret': { type: 'string' },
  'arbiter-ca': { type: 'string' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values']

class UsageError extends Error {}

export async function runSite(args: string[]): Promise<number> {
  const [action, ...rest] = args
  try {
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, strict: true })
    if (positionals.length > 0 || values.dir === undefined) throw new UsageError('--dir is needed')
    switch (action) {
      case 'init-primary':
        return await runInitPrimary(values, values.dir)
      case 'init-embassy':
        return await runInitEmbassy(values, values.dir)
      case 'status':
        return await runStatus(values.dir)
      case 'promote':
        return await runPromote(values, values.dir)
      case 'degrade': {
        if (values.reason === undefined) throw new UsageError('--reason is needed')
        await degradeSite(openSite(values.dir), values.reason, operator(values))
        process.stdout.write(
          'degraded: the primary commits without the embassy (recorded); restore with restore-sync\n',
        )
        return 0
      }
      case 'restore-sync':
        await restoreSync(openSite(values.dir), operator(values))
        process.stdout.write(
          'synchronous: the embassy confirmed; every commit waits for it again\n',
        )
        return 0
      case 'start':
        await startServer(openSite(values.dir).server)
        return 0
      case 'stop':
        await stopServer(openSite(values.dir).server, 'fast')
        return 0
      case 'arbiter-init':
        return await runArbiterInit(values, values.dir)
      case 'arbiter':
        return await runArbiter(values.dir)
      case 'watch':
        return await runWatch(values, values.dir)
      default:
        throw new UsageError(`unknown action ${action ?? '(none)'}`)
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE')) {
      process.stderr.write(`e-state site: ${(error as Error).message}\n${SITE_USAGE}\n`)
      return 2
    }
    if (error instanceof CloudError) {
      process.stderr.write(`e-state site: ${error.code}: ${error.message}\n`)
      return 1
    }
    throw error
  }
}

async function runInitPrimary(values: Values, dir: string): Promise<number> {
  const host = required(values.host, '--host')
  const embassyHost = required(values['embassy-host'], '--embassy-host')
  const embassyTls = required(values['embassy-tls-out'], '--embassy-tls-out')
  const port = portOf(values.port, '--port')
  const staging = await mkdtemp(path.join(os.tmpdir(), 'estate-site-tls-'))
  try {
    const pki =
      values['state-pki'] === true
        ? await statePki()
        : { issuer: await siteCaIssuer(), close: async () => undefined }
    try {
      await issueSiteTls(pki.issuer, staging, [host], serverOwner())
      await issueSiteTls(pki.issuer, embassyTls, [embassyHost], serverOwner())
    } finally {
      await pki.close()
    }
    const site = await initPrimary({
      dir,
      tlsDir: staging,
      config: { host, listen: values.listen ?? host, port },
      migrations: MIGRATIONS,
    })
    process.stdout.write(
      `primary ready at ${host}:${port} (${site.server.dataDir}); synchronous to "${embassyHost}": ` +
        `commits wait for the embassy from now on. Carry ${embassyTls} to the embassy and run ` +
        `e-state site init-embassy there (or e-state site degrade to run alone meanwhile).\n`,
    )
    return 0
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

async function runInitEmbassy(values: Values, dir: string): Promise<number> {
  const host = required(values.host, '--host')
  const site = await initEmbassy({
    dir,
    tlsDir: required(values.tls, '--tls'),
    config: {
      host,
      listen: values.listen ?? host,
      port: portOf(values.port, '--port'),
      primary: {
        host: required(values['primary-host'], '--primary-host'),
        address: values['primary-address'],
        port: portOf(values['primary-port'], '--primary-port'),
      },
    },
  })
  process.stdout.write(
    `embassy streaming from its primary, serving reads at ${host}:${site.config.port}\n`,
  )
  return 0
}

async function runStatus(dir: string): Promise<number> {
  const site = openSite(dir)
  const status = await siteStatus(site)
  const lines = [
    `role ${status.role}, generation ${status.generation}${status.fenced ? ', FENCED' : ''}`,
    `replication ${status.replicationMode} (synchronous_standby_names ${status.synchronousStandbyNames || "''"})`,
  ]
  if (status.role === 'primary')
    lines.push(
      status.embassy === undefined
        ? 'embassy NOT CONNECTED'
        : `embassy ${status.embassy.state}, ${status.embassy.syncState}, replay lag ${status.embassy.replayLagBytes} bytes`,
    )
  else
    lines.push(
      `primary ${status.primary}`,
      site.config.arbiter === undefined
        ? 'promotion manual'
        : `promotion automatic (arbiter ${site.config.arbiter}, while site watch runs)`,
    )
  process.stdout.write(`${lines.join('\n')}\n`)
  return 0
}

async function runPromote(values: Values, dir: string): Promise<number> {
  if (values.force !== true && (values['primary-dir'] ?? values['primary-url']) !== undefined)
    throw new UsageError('--primary-dir and --primary-url go with --force')
  const report = await promoteEmbassy(openSite(dir), {
    force: values.force === true,
    oldPrimary: values['primary-dir'] === undefined ? undefined : openSite(values['primary-dir']),
    oldPrimaryUrl: values['primary-url'],
  })
  process.stdout.write(
    `promoted: generation ${report.generation}, old primary ${report.oldPrimary}, ` +
      `a write completed on the new primary; ${report.tookMs} ms. ` +
      `No standby now: build a new embassy from this site.\n`,
  )
  return 0
}

async function runArbiterInit(values: Values, dir: string): Promise<number> {
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    throw new UsageError('--tls-cert and --tls-key go together')
  const secret = await initArbiter({
    dir,
    listen: { host: required(values.host, '--host'), port: portOf(values.port, '--port') },
    primary: {
      host: required(values['primary-host'], '--primary-host'),
      address: values['primary-address'],
      port: portOf(values['primary-port'], '--primary-port'),
      user: values['probe-user'],
    },
    graceMs: graceOf(values),
    primaryCaFile: values['primary-ca'],
    tls:
      values['tls-cert'] === undefined || values['tls-key'] === undefined
        ? undefined
        : { certificateFile: values['tls-cert'], keyFile: values['tls-key'] },
  })
  process.stdout.write(
    `arbiter set up in ${path.resolve(dir)}. Carry ${secret} to the embassy ` +
      `(e-state site watch --arbiter-secret) and run e-state site arbiter --dir ${dir}.\n`,
  )
  return 0
}

/** Runs until SIGTERM or SIGINT, logging what it sees and every vote. */
async function runArbiter(dir: string): Promise<number> {
  const running = await startArbiter(dir, logLine)
  const { primary, graceMs } = running.config
  process.stdout.write(
    `arbiter listening at ${running.url}, watching ${primary.host}:${primary.port} ` +
      `(grace ${graceMs / 1000} s)\n`,
  )
  const signal = onFirstSignal()
  await signal.received
  await running.close()
  return 0
}

/** Watches the primary in automatic mode until the embassy is promoted or a signal comes. */
async function runWatch(values: Values, dir: string): Promise<number> {
  let site = openSite(dir)
  if (values.arbiter !== undefined)
    site = await enableAutomaticMode(site, {
      url: values.arbiter,
      secretFile: required(values['arbiter-secret'], '--arbiter-secret'),
      caFile: values['arbiter-ca'],
    })
  else if (values['arbiter-secret'] !== undefined || values['arbiter-ca'] !== undefined)
    throw new UsageError('--arbiter-secret and --arbiter-ca go with --arbiter')
  const watcher = watchPrimary({
    site,
    arbiter: await automaticModeOf(site),
    graceMs: graceOf(values),
    log: logLine,
  })
  process.stdout.write(`watching the primary; automatic promotion with ${site.config.arbiter}\n`)
  const signal = onFirstSignal()
  void signal.received.then(() => watcher.stop())
  const outcome = await watcher.done.finally(() => signal.dispose())
  if (outcome.outcome === 'stopped') return 0
  const { report } = outcome
  process.stdout.write(
    `promoted: generation ${report.generation}, old primary ${report.oldPrimary}, ` +
      `a write completed on the new primary; ${report.tookMs} ms. ` +
      `No standby now: build a new embassy from this site.\n`,
  )
  return 0
}

function logLine(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`)
}

/** The first SIGTERM or SIGINT (a second one finds no listener and ends the process). */
function onFirstSignal(): { received: Promise<void>; dispose(): void } {
  let dispose = (): void => undefined
  const received = new Promise<void>((resolve) => {
    const handler = (): void => {
      dispose()
      resolve()
    }
    dispose = () => {
      process.off('SIGTERM', handler)
      process.off('SIGINT', handler)
    }
    process.on('SIGTERM', handler)
    process.on('SIGINT', handler)
  })
  return { received, dispose }
}

function graceOf(values: Values): number | undefined {
  if (values['grace-s'] === undefined) return undefined
  const seconds = Number(values['grace-s'])
  if (!Number.isFinite(seconds) || seconds < 3 || seconds > 3_600)
    throw new UsageError('--grace-s must be a number of seconds from 3 to 3600')
  return Math.round(seconds * 1000)
}

/** The state PKI's TLS CA, with the store it needs kept open until `close`. */
async function statePki(): Promise<{ issuer: CertificateIssuer; close(): Promise<void> }> {
  const { pki, close } = await openStatePki(readConfig())
  return { issuer: statePkiIssuer(pki), close }
}

function operator(values: Values): string {
  return values.by ?? process.env.SUDO_USER ?? process.env.USER ?? 'operator'
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`${name} is needed`)
  return value
}

function portOf(value: string | undefined, name: string): number {
  const port = Number(required(value, name))
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new UsageError(`${name} must be a port number`)
  return port
}
