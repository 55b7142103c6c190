/**
 * `e-state gateway --member INSTANCE/CLASS/MEMBER --config gateway.json`: a standalone gateway
 * (an agency's security server) as its own process. The JSON file names the hosted members'
 * signing keys, the anchor, the configuration sources, the TLS key and certificate, the ports,
 * the local information systems and the services provided (see docs/architecture.md); paths
 * in it are relative to the file. The message log is kept in `<dataDir>/gateway.db` (written
 * by a thread of its own), bodies sealed with the master key (E_STATE_MASTER_KEY, generated in development). Runs until
 * SIGINT or SIGTERM.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openEnvelope } from '../crypto/index.ts'
import {
  createThreadedMessageLog,
  EXCHANGE_AGENCY,
  exportEvidence,
  gatewayAnchorOf,
  startAnchoring,
  verifyGlobalConfiguration,
  type SignedGlobalConfiguration,
  startStandaloneGateway,
  type StandaloneGatewayConfig,
} from '../exchange/index.ts'
import { MIGRATIONS, readConfig } from '../main/index.ts'
import { createLogger, systemClock } from '../shared/index.ts'
import { createDataKeyStore, openStore } from '../storage/index.ts'
import { keySigner } from '../trust/index.ts'
import { createTreeReader } from '../ledger/index.ts'

interface FileConfig extends Omit<
  StandaloneGatewayConfig,
  'members' | 'anchors' | 'tls' | 'services' | 'dataDir'
> {
  readonly members: readonly {
    readonly id: string
    readonly key: string
    readonly certificate: string
  }[]
  readonly anchors: readonly string[]
  readonly tls: {
    readonly key: string
    readonly certificate: string
    readonly ca: readonly string[]
  }
  readonly services?: readonly (StandaloneGatewayConfig['services'][number] & {
    openapiFile?: string
  })[]
  readonly dataDir: string
  /** Where the log is anchored (default: `/exchange/anchors` at the first source's host). */
  readonly anchorUrl?: string
  /** How often the log is anchored, in seconds (default 10). */
  readonly anchorIntervalSeconds?: number
}

const USAGE = `usage: e-state gateway --member INSTANCE/CLASS/MEMBER --config gateway.json
       e-state gateway evidence LOG_ID --member INSTANCE/CLASS/MEMBER --config gateway.json [--out FILE]`

/** The gateway's JSON file, its paths read relative to it. */
function readGatewayFile(
  configPath: string,
  member: string,
): { file: FileConfig; config: StandaloneGatewayConfig; dataDir: string } | string {
  const path = resolve(configPath)
  const base = dirname(path)
  const file = JSON.parse(readFileSync(path, 'utf8')) as FileConfig
  const read = (relative: string) => readFileSync(resolve(base, relative), 'utf8')
  if (!file.members.some((candidate) => candidate.id === member))
    return `${member} is not among the configuration's members`
  const dataDir = resolve(base, file.dataDir)
  const config: StandaloneGatewayConfig = {
    ...file,
    members: file.members.map((candidate) => ({
      id: candidate.id,
      key: read(candidate.key),
      certificate: read(candidate.certificate),
    })),
    anchors: file.anchors.map(read),
    tls: {
      key: read(file.tls.key),
      certificate: read(file.tls.certificate),
      ca: file.tls.ca.map(read),
    },
    services: (file.services ?? []).map((service) => ({
      ...service,
      ...(service.openapiFile === undefined ? {} : { openapi: read(service.openapiFile) }),
    })),
    dataDir,
  }
  return { file, config, dataDir }
}

export async function runGateway(args: string[]): Promise<number> {
  if (args[0] === 'evidence') return gatewayEvidence(args.slice(1))
  const { values } = parseArgs({
    args,
    options: { member: { type: 'string' }, config: { type: 'string' } },
    strict: true,
  })
  if (values.config === undefined || values.member === undefined) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const loaded = readGatewayFile(values.config, values.member)
  if (typeof loaded === 'string') {
    process.stderr.write(`e-state gateway: ${loaded}\n`)
    return 2
  }
  const { file, config, dataDir } = loaded
  const environment = readConfig({ ...process.env, E_STATE_DATA_DIR: dataDir })
  const logger = createLogger(environment.logLevel)
  const store = await openStore({ url: join(dataDir, 'gateway.db') })
  await store.migrate(MIGRATIONS)
  const envelope = await openEnvelope(
    environment.masterKeys,
    createDataKeyStore(store.db, systemClock.now),
    [EXCHANGE_AGENCY],
  )
  const messageLog = createThreadedMessageLog({
    path: join(dataDir, 'gateway.db'),
    envelope,
    clock: systemClock,
  })
  const running = await startStandaloneGateway(config, {
    clock: systemClock,
    logger,
    log: (record) => messageLog.log(record),
  })
  const member = config.members.find((candidate) => candidate.id === values.member)
  const anchorUrl = file.anchorUrl ?? new URL('/exchange/anchors', file.sources[0]).toString()
  const anchoring = startAnchoring({
    outbox: messageLog,
    dataDir,
    instance: config.instance,
    gateway: config.gatewayId,
    member: values.member,
    signer: keySigner(createPrivateKey(member?.key ?? '')),
    certificate: Buffer.from(new X509Certificate(member?.certificate ?? '').raw),
    intervalMs: (file.anchorIntervalSeconds ?? 10) * 1000,
    now: () => systemClock.now(),
    logger,
    async post(batch) {
      const response = await fetch(anchorUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(10_000),
      })
      if (response.status !== 200 && response.status !== 201)
        throw new Error(`${anchorUrl} answered ${response.status}: ${await response.text()}`)
    },
  })
  logger.info(
    {
      gateway: config.gatewayId,
      client: running.clientUrl,
      provider: running.providerUrl,
      version: running.version(),
    },
    'gateway ready',
  )
  process.stdout.write(
    `gateway ${config.gatewayId} ready: clients ${running.clientUrl}, gateways ${running.providerUrl}\n`,
  )
  await new Promise<void>((done) => {
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
  })
  await running.close()
  await anchoring.anchorNow().catch(() => undefined) // what was logged last, if the node answers
  await anchoring.close()
  await messageLog.close()
  await store.close()
  return 0
}

/**
 * `e-state gateway evidence LOG_ID`: signed evidence of one message from this gateway's log,
 * with the batch it was anchored in, its inclusion proof and — once the central ledger has
 * published it — the batch's receipt; `e-state exchange verify-evidence` checks it offline.
 */
async function gatewayEvidence(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      member: { type: 'string' },
      config: { type: 'string' },
      out: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const logId = Number(positionals[0])
  if (
    values.config === undefined ||
    values.member === undefined ||
    positionals.length !== 1 ||
    !Number.isSafeInteger(logId) ||
    logId < 1
  ) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const loaded = readGatewayFile(values.config, values.member)
  if (typeof loaded === 'string') {
    process.stderr.write(`e-state gateway evidence: ${loaded}\n`)
    return 2
  }
  const { file, config, dataDir } = loaded
  const environment = readConfig({ ...process.env, E_STATE_DATA_DIR: dataDir })
  const store = await openStore({ url: join(dataDir, 'gateway.db') })
  try {
    const envelope = await openEnvelope(
      environment.masterKeys,
      createDataKeyStore(store.db, systemClock.now),
      [EXCHANGE_AGENCY],
    )
    // The last good configuration this gateway verified: the members' certificates.
    const signed = JSON.parse(
      readFileSync(join(dataDir, 'globalconf.json'), 'utf8'),
    ) as SignedGlobalConfiguration
    const generatedAt = (
      JSON.parse(Buffer.from(signed.configuration, 'base64').toString('utf8')) as {
        generatedAt: string
      }
    ).generatedAt
    const configuration = verifyGlobalConfiguration(signed, {
      anchors: config.anchors.map((pem) => Buffer.from(new X509Certificate(pem).raw)),
      instance: config.instance,
      now: new Date(generatedAt),
    })
    const anchorBase = file.anchorUrl ?? new URL('/exchange/anchors', file.sources[0]).toString()
    const evidence = await exportEvidence(
      {
        db: store.db,
        envelope,
        tree: createTreeReader(store.db),
        configuration,
        now: systemClock.now(),
        async keyOf(member) {
          const entry = config.members.find((candidate) => candidate.id === member)
          if (entry === undefined) throw new Error(`this gateway holds no key of ${member}`)
          const key = createPrivateKey(entry.key)
          return {
            key,
            signer: keySigner(key),
            certificate: Buffer.from(new X509Certificate(entry.certificate).raw),
          }
        },
        anchorOf: gatewayAnchorOf({
          db: store.db,
          dataDir,
          async receiptOf(batch) {
            const url = new URL(`${anchorBase}/receipt`)
            url.searchParams.set('gateway', batch.gateway)
            url.searchParams.set('sequence', String(batch.sequence))
            try {
              const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
              return response.status === 200 ? ((await response.json()) as unknown) : null
            } catch {
              return null
            }
          },
        }),
      },
      logId,
    )
    const text = `${JSON.stringify(evidence, null, 2)}\n`
    if (values.out === undefined) process.stdout.write(text)
    else writeFileSync(values.out, text, { mode: 0o600 })
    return 0
  } finally {
    await store.close()
  }
}
