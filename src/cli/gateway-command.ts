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
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openEnvelope } from '../crypto/index.ts'
import {
  createThreadedMessageLog,
  EXCHANGE_AGENCY,
  startAnchoring,
  startStandaloneGateway,
  type StandaloneGatewayConfig,
} from '../exchange/index.ts'
import { readConfig } from '../main/index.ts'
import { createLogger, systemClock } from '../shared/index.ts'
import { createDataKeyStore, openStore } from '../storage/index.ts'
import { keySigner } from '../trust/index.ts'

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

export async function runGateway(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { member: { type: 'string' }, config: { type: 'string' } },
    strict: true,
  })
  if (values.config === undefined || values.member === undefined) {
    process.stderr.write(
      'usage: e-state gateway --member INSTANCE/CLASS/MEMBER --config gateway.json\n',
    )
    return 2
  }
  const path = resolve(values.config)
  const base = dirname(path)
  const file = JSON.parse(readFileSync(path, 'utf8')) as FileConfig
  const read = (relative: string) => readFileSync(resolve(base, relative), 'utf8')
  if (!file.members.some((member) => member.id === values.member)) {
    process.stderr.write(
      `e-state gateway: ${values.member} is not among the configuration's members\n`,
    )
    return 2
  }
  const dataDir = resolve(base, file.dataDir)
  const config: StandaloneGatewayConfig = {
    ...file,
    members: file.members.map((member) => ({
      id: member.id,
      key: read(member.key),
      certificate: read(member.certificate),
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
  const environment = readConfig({ ...process.env, E_STATE_DATA_DIR: dataDir })
  const logger = createLogger(environment.logLevel)
  const store = await openStore({ url: join(dataDir, 'gateway.db') })
  await store.migrate()
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
