/**
 * The arbiter as a process (`e-state site arbiter --dir DIR`): its directory, its HTTP(S)
 * listener, and its probe of the primary. The vote itself is decided in `arbiter.ts`.
 *
 *   <dir>/arbiter.json    where to listen, which primary to watch, the grace
 *   <dir>/arbiter.secret  the MAC secret; a copy goes to the embassy (`site watch`)
 *   <dir>/primary-ca.crt  CA certificates the primary's certificate is verified against
 *   <dir>/tls.crt, .key   the arbiter's own certificate when it serves HTTPS
 *   <dir>/vote.json       the one vote it has given, if any
 *
 * One directory serves one pair of sites until one failover: after it, the new pair gets a new
 * directory (a new secret and the new primary to watch), so the old vote can never be reused.
 */
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import pg from 'pg'
import {
  ARBITER_BODY_LIMIT,
  ARBITER_MAC_HEADER,
  ARBITER_VOTE_PATH,
  createArbiterSecret,
  readArbiterSecret,
} from './arbiter-protocol.ts'
import {
  createArbiter,
  errorReply,
  type Arbiter,
  type ArbiterReply,
  type PrimarySeen,
} from './arbiter.ts'
import { CloudError } from './errors.ts'
import { isSilence } from './promote.ts'

export interface ArbiterConfig {
  readonly listen: { readonly host: string; readonly port: number }
  readonly primary: {
    readonly host: string
    readonly address?: string
    readonly port: number
    readonly user?: string
  }
  readonly graceMs: number
  readonly intervalMs: number
  readonly probeTimeoutMs: number
  readonly https: boolean
  readonly verifyPrimary: boolean
}

export interface InitArbiterOptions {
  readonly dir: string
  readonly listen: ArbiterConfig['listen']
  readonly primary: ArbiterConfig['primary']
  readonly graceMs?: number
  readonly intervalMs?: number
  readonly probeTimeoutMs?: number
  /** A CA bundle (PEM file) for the primary's certificate; without it the probe is plain TCP. */
  readonly primaryCaFile?: string
  /** Certificate and key (PEM files) to serve HTTPS with. */
  readonly tls?: { readonly certificateFile: string; readonly keyFile: string }
}

const FILES = {
  config: 'arbiter.json',
  secret: 'arbiter.secret',
  primaryCa: 'primary-ca.crt',
  certificate: 'tls.crt',
  key: 'tls.key',
  vote: 'vote.json',
} as const

/** Makes the directory and its secret; returns the secret's path, for the operator to carry. */
export async function initArbiter(options: InitArbiterOptions): Promise<string> {
  const dir = path.resolve(options.dir)
  if (existsSync(path.join(dir, FILES.config)))
    throw new CloudError('CLOUD_SITE_INVALID', `${dir} already holds an arbiter`)
  const graceMs = options.graceMs ?? 10_000
  if (graceMs < 3_000) throw new TypeError('the grace must be at least 3 s')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  if (options.primaryCaFile !== undefined)
    await copyFile(options.primaryCaFile, path.join(dir, FILES.primaryCa))
  if (options.tls !== undefined) {
    await copyFile(options.tls.certificateFile, path.join(dir, FILES.certificate))
    await writeFile(path.join(dir, FILES.key), await readFile(options.tls.keyFile), { mode: 0o600 })
  }
  const secret = path.join(dir, FILES.secret)
  await createArbiterSecret(secret)
  const config: ArbiterConfig = {
    listen: options.listen,
    primary: options.primary,
    graceMs,
    intervalMs: options.intervalMs ?? 1_000,
    probeTimeoutMs: options.probeTimeoutMs ?? 1_000,
    https: options.tls !== undefined,
    verifyPrimary: options.primaryCaFile !== undefined,
  }
  await writeFile(path.join(dir, FILES.config), `${JSON.stringify(config, null, 2)}\n`)
  return secret
}

export interface RunningArbiter extends ArbiterServer {
  readonly config: ArbiterConfig
}

/** Starts probing and serving from the directory; `close` stops both. */
export async function startArbiter(
  dir: string,
  log?: (line: string) => void,
): Promise<RunningArbiter> {
  const absolute = path.resolve(dir)
  const file = (name: string): string => path.join(absolute, name)
  if (!existsSync(file(FILES.config)))
    throw new CloudError('CLOUD_SITE_INVALID', `${absolute} is not an arbiter directory`)
  const config = JSON.parse(await readFile(file(FILES.config), 'utf8')) as ArbiterConfig
  const arbiter = createArbiter({
    secret: await readArbiterSecret(file(FILES.secret)),
    voteFile: file(FILES.vote),
    probe: postgresProbe({
      ...config.primary,
      ca: config.verifyPrimary ? await readFile(file(FILES.primaryCa)) : undefined,
      timeoutMs: config.probeTimeoutMs,
    }),
    graceMs: config.graceMs,
    intervalMs: config.intervalMs,
    log,
  })
  arbiter.start()
  try {
    const server = await serveArbiter(arbiter, {
      ...config.listen,
      tls: config.https
        ? {
            certificate: await readFile(file(FILES.certificate)),
            key: await readFile(file(FILES.key)),
          }
        : undefined,
    })
    return {
      config,
      url: server.url,
      close: async () => {
        await server.close()
        await arbiter.close()
      },
    }
  } catch (error) {
    await arbiter.close()
    throw error
  }
}

export interface ArbiterListen {
  readonly host: string
  readonly port: number
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly certificate: Buffer; readonly key: Buffer }
}

export interface ArbiterServer {
  readonly url: string
  close(): Promise<void>
}

/** Serves `POST /v1/vote`; nothing else. Bodies are bounded, slow clients cut off. */
export function serveArbiter(arbiter: Arbiter, listen: ArbiterListen): Promise<ArbiterServer> {
  const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const send = (reply: ArbiterReply): void => {
      response.writeHead(reply.status, {
        'content-type': 'application/json',
        ...(reply.mac === undefined ? {} : { [ARBITER_MAC_HEADER]: reply.mac }),
      })
      response.end(reply.body)
    }
    if (request.method !== 'POST' || request.url !== ARBITER_VOTE_PATH) {
      send(errorReply(404, 'not found'))
      request.resume()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= ARBITER_BODY_LIMIT) chunks.push(chunk)
    })
    request.on('end', () => {
      if (size > ARBITER_BODY_LIMIT) return send(errorReply(413, 'too large'))
      const mac = request.headers[ARBITER_MAC_HEADER]
      arbiter
        .handleVote(
          Buffer.concat(chunks).toString('utf8'),
          typeof mac === 'string' ? mac : undefined,
        )
        .then(send, () => send(errorReply(503, 'the arbiter cannot decide now')))
    })
  }
  const limits = { requestTimeout: 5_000, headersTimeout: 5_000, keepAliveTimeout: 1_000 }
  const server =
    listen.tls === undefined
      ? http.createServer(limits, handler)
      : https.createServer(
          { ...limits, cert: listen.tls.certificate, key: listen.tls.key },
          handler,
        )
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => {
      const { port } = server.address() as AddressInfo
      const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host
      resolve({
        url: `${listen.tls === undefined ? 'http' : 'https'}://${host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}

export interface PostgresProbeTarget {
  /** The name in the primary's certificate. */
  readonly host: string
  /** Where to connect, when `host` does not resolve there. */
  readonly address?: string
  readonly port: number
  /** A role the arbiter may log in as; a refused login still proves the server alive. */
  readonly user?: string
  /** CA certificates (PEM): the primary's certificate is verified against them and `host`. */
  readonly ca?: Buffer
  readonly timeoutMs?: number
}

/** A connection and `SELECT 1`; refused, unreachable or silent past the timeout is dead. */
export function postgresProbe(target: PostgresProbeTarget): () => Promise<PrimarySeen> {
  const timeoutMs = target.timeoutMs ?? 1_000
  return async () => {
    const client = new pg.Client({
      host: target.address ?? target.host,
      port: target.port,
      user: target.user ?? 'estate_arbiter',
      database: 'postgres',
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      ssl:
        target.ca === undefined
          ? undefined
          : { ca: target.ca, servername: target.host, rejectUnauthorized: true },
    })
    client.on('error', () => undefined)
    try {
      await client.connect()
      await client.query('SELECT 1')
      return 'alive'
    } catch (error) {
      return isSilence(error) ? 'dead' : 'alive'
    } finally {
      await client.end().catch(() => undefined)
    }
  }
}
