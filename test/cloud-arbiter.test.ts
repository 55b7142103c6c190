/**
 * Automatic promotion with an arbiter, on real PostgreSQL servers (loopback, mutual TLS,
 * synchronous): the embassy promotes itself when the primary dies and the arbiter agrees (the
 * arbiter and the watcher run as `e-state site arbiter` and `e-state site watch` processes),
 * and not when only the embassy's link to the primary is cut. The vote protocol refuses forged
 * and replayed requests and answers, and the arbiter never votes for two promotions.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  arbiterKeys,
  macOf,
  ARBITER_MAC_HEADER,
  type VoteRequest,
} from '../src/cloud/arbiter-protocol.ts'
import {
  commitAct,
  createArbiter,
  freePort,
  killServer,
  openSite,
  postgresProbe,
  requestVote,
  serveArbiter,
  siteStatus,
  watchPrimary,
  type PrimarySeen,
  type Site,
} from '../src/cloud/index.ts'
import { openSiteLab, type SiteLab } from './support/sites.ts'
import { fixedClock } from '../src/shared/index.ts'

let lab: SiteLab
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  lab = await openSiteLab('cloud-arbiter')
})

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  await lab?.close()
})

const startPair = () => lab.startPair()

async function writeAct(site: Site, key: string, generation: number): Promise<void> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: site.config.port,
    user: 'postgres',
    database: 'estate',
  })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await commitAct(client, { key, generation, commitTimeoutMs: 2_000 })
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await sleep(25)
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** `e-state …` as its own process; its output collected; killed at the end whatever happens. */
function cli(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['bin/e-state.js', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const chunks: Buffer[] = []
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk))
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk))
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, output: () => Buffer.concat(chunks).toString() }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe('automatic promotion', () => {
  it('promotes the embassy when the primary dies and the arbiter agrees; a write lands within 30 s', async () => {
    const { primary, embassy } = await startPair()
    const arbiterDir = path.join(lab.root, 'arbiter-a')
    const arbiterPort = await freePort()
    const init = cli([
      'site',
      'arbiter-init',
      ...['--dir', arbiterDir, '--host', '127.0.0.1', '--port', String(arbiterPort)],
      ...['--primary-host', 'localhost', '--primary-address', '127.0.0.1'],
      ...['--primary-port', String(primary.config.port), '--probe-user', 'postgres'],
      ...['--primary-ca', primary.tls.ca, '--grace-s', '10'],
    ])
    expect(await exitOf(init.child), init.output()).toBe(0)
    const arbiter = cli(['site', 'arbiter', '--dir', arbiterDir])
    await waitFor(async () => arbiter.output().includes('arbiter listening at'))
    const watch = cli([
      'site',
      'watch',
      ...['--dir', embassy.dir, '--arbiter', `http://127.0.0.1:${arbiterPort}`],
      ...['--arbiter-secret', path.join(arbiterDir, 'arbiter.secret'), '--grace-s', '10'],
    ])
    await waitFor(async () => watch.output().includes('watching the primary'))
    await sleep(1_500) // both have probed the live primary
    expect(arbiter.output()).not.toContain('primary silent')

    killServer(primary.server)
    const killedAt = performance.now()
    let firstWriteMs: number | undefined
    for (let attempt = 0; firstWriteMs === undefined; attempt++) {
      try {
        await writeAct(embassy, `after-failover-${attempt}`, 2)
        firstWriteMs = performance.now() - killedAt
      } catch {
        if (performance.now() - killedAt > 45_000) break
        await sleep(100)
      }
    }
    expect(await exitOf(watch.child), watch.output()).toBe(0)
    console.log(
      `automatic failover: primary killed -> first write on the embassy in ${Math.round(firstWriteMs ?? NaN)} ms; ` +
        `${watch.output().match(/promoted: .*?; (\d+) ms/)?.[1]} ms of it the promotion`,
    )
    expect(firstWriteMs).toBeLessThanOrEqual(30_000)
    expect(Number(watch.output().match(/promoted: generation 2, .*?; (\d+) ms/)?.[1])).toBeLessThan(
      10_000,
    )
    expect(watch.output()).toMatch(/arbiter: dead/)
    expect(await siteStatus(embassy)).toMatchObject({ role: 'primary', generation: 2 })
    const vote = JSON.parse(await readFile(path.join(arbiterDir, 'vote.json'), 'utf8'))
    expect(vote).toMatchObject({ candidate: 'localhost', term: 2 })

    arbiter.child.kill('SIGTERM')
    expect(await exitOf(arbiter.child), arbiter.output()).toBe(0)
  }, 60_000)

  it('does not promote an embassy cut off from a primary the arbiter still sees', async () => {
    const { primary, embassy } = await startPair()
    const secret = randomBytes(32)
    const voteFile = path.join(lab.root, 'vote-b.json')
    const arbiter = createArbiter({
      secret,
      voteFile,
      probe: postgresProbe({
        host: 'localhost',
        address: '127.0.0.1',
        port: primary.config.port,
        user: 'postgres',
        ca: await readFile(primary.tls.ca),
      }),
      graceMs: 10_000,
    })
    arbiter.start()
    cleanups.push(() => arbiter.close())
    const server = await serveArbiter(arbiter, { host: '127.0.0.1', port: 0 })
    cleanups.push(() => server.close())
    // The embassy reaches its primary (for probes and promotion) through a link we can cut.
    const link = await startLink(primary.config.port)
    cleanups.push(() => link.close())
    const primaryConfig = embassy.config.primary as NonNullable<Site['config']['primary']>
    const behindLink = openSite(embassy.dir, {
      ...embassy.config,
      primary: { ...primaryConfig, port: link.port },
    })
    const lines: string[] = []
    const watcher = watchPrimary({
      site: behindLink,
      arbiter: { url: server.url, secret },
      graceMs: 5_000,
      log: (line) => lines.push(line),
    })
    cleanups.push(() => watcher.stop())
    await sleep(1_500)
    expect(lines).toEqual([])

    link.cut()
    const cutAt = Date.now()
    let writes = 0
    const write = async () => {
      await writeAct(primary, `while-cut-${writes}`, 1) // synchronous: the embassy confirms it
      writes += 1
    }
    // Until the embassy, its grace over, has asked the arbiter and been told the primary lives;
    // the primary goes on acknowledging all along, and a few acts more after the refusal.
    const refused = () => lines.some((line) => /arbiter: alive/.test(line))
    while (!refused() && Date.now() - cutAt < 40_000) {
      await write()
      await sleep(500)
    }
    for (let more = 0; more < 3; more++) {
      await write()
      await sleep(300)
    }
    expect(lines).toContain('primary silent')
    expect(lines.some((line) => /arbiter: alive \(the primary answers\)/.test(line))).toBe(true)
    expect(lines.some((line) => /^promoted/.test(line))).toBe(false)
    expect(await siteStatus(embassy)).toMatchObject({ role: 'replica', generation: 1 })
    expect(await siteStatus(primary)).toMatchObject({
      role: 'primary',
      embassy: { syncState: 'sync' },
    })
    expect(writes).toBeGreaterThan(5)
    expect(existsSync(voteFile)).toBe(false)
    await watcher.stop()
    expect(await watcher.done).toEqual({ outcome: 'stopped' })
  }, 60_000)
})

/** A TCP link to the primary that can be cut: after `cut`, connections go nowhere, silently. */
async function startLink(
  targetPort: number,
): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  let isCut = false
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    if (isCut) return // a black hole: accepted, never answered
    const upstream = net.connect(targetPort, '127.0.0.1')
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => socket.destroy())
    socket.on('close', () => upstream.destroy())
    upstream.on('close', () => socket.destroy())
    socket.pipe(upstream).pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    port,
    cut: () => {
      isCut = true
      for (const socket of sockets) socket.destroy()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

describe('the vote', () => {
  const start = new Date('2030-01-01T00:00:00Z')

  /** An arbiter that has seen the primary silent for longer than its grace. */
  async function deadArbiter(secret: Buffer, voteFile: string, clock = fixedClock(start)) {
    let seen: PrimarySeen = 'dead'
    const arbiter = createArbiter({ secret, voteFile, probe: async () => seen, clock })
    for (let probe = 0; probe < 12; probe++) {
      await arbiter.probeOnce()
      clock.advance(1_000)
    }
    return { arbiter, clock, see: (now: PrimarySeen) => (seen = now) }
  }

  function signed(secret: Buffer, fields: Partial<VoteRequest> & { at: number }) {
    const request: VoteRequest = {
      kind: 'estate-arbiter-vote-request',
      candidate: 'embassy-a',
      term: 2,
      nonce: randomBytes(16).toString('base64url'),
      ...fields,
    }
    const body = JSON.stringify(request)
    return { body, mac: macOf(arbiterKeys(secret).request, body) }
  }

  const voteOf = (reply: { body: string }): unknown => JSON.parse(reply.body).vote

  it('refuses forged, altered, stale and replayed requests, and requests older than itself', async () => {
    const secret = randomBytes(32)
    const voteFile = path.join(lab.root, 'vote-c.json')
    const { arbiter, clock } = await deadArbiter(secret, voteFile)
    const at = clock.now().getTime()

    const forged = signed(randomBytes(32), { at })
    expect((await arbiter.handleVote(forged.body, forged.mac)).status).toBe(401)
    const genuine = signed(secret, { at })
    const altered = genuine.body.replace('"term":2', '"term":3')
    expect((await arbiter.handleVote(altered, genuine.mac)).status).toBe(401)
    expect((await arbiter.handleVote(genuine.body, undefined)).status).toBe(401)
    const stale = signed(secret, { at: at - 60_000 })
    expect(voteOf(await arbiter.handleVote(stale.body, stale.mac))).toBe('refused')
    expect(existsSync(voteFile)).toBe(false)

    const first = await arbiter.handleVote(genuine.body, genuine.mac)
    expect(first.mac).toBe(macOf(arbiterKeys(secret).answer, first.body))
    expect(voteOf(first)).toBe('dead')
    const replayed = await arbiter.handleVote(genuine.body, genuine.mac)
    expect(JSON.parse(replayed.body)).toMatchObject({ vote: 'refused', reason: 'replayed request' })

    // Captured before a restart, replayed into the new process: it predates it.
    const captured = signed(secret, { at: clock.now().getTime() })
    clock.advance(5_000)
    const { arbiter: restarted } = await deadArbiter(secret, voteFile, clock)
    const reply = await restarted.handleVote(captured.body, captured.mac)
    expect(JSON.parse(reply.body)).toMatchObject({ vote: 'refused' })
    expect(JSON.parse(reply.body).reason).toMatch(/predates/)
  })

  it('lets the embassy accept only a signed answer to its own request', async () => {
    const secret = randomBytes(32)
    const { arbiter, clock } = await deadArbiter(secret, path.join(lab.root, 'vote-c2.json'))
    const alive = createArbiter({
      secret,
      voteFile: path.join(lab.root, 'vote-c3.json'),
      probe: async () => 'alive',
      clock,
    })
    await alive.probeOnce()
    const client = (url: string) => ({ url, secret, now: () => clock.now() })
    const real = await serveArbiter(arbiter, { host: '127.0.0.1', port: 0 })
    cleanups.push(() => real.close())
    const answer = await requestVote(client(real.url), 'embassy-a', 2)
    expect(answer.vote).toBe('dead')
    const earlier = signed(secret, { at: clock.now().getTime() })
    const captured = await arbiter.handleVote(earlier.body, earlier.mac)
    expect(voteOf(captured)).toBe('dead')

    type Forge = (body: string, mac: string) => Promise<{ body: string; mac?: string }>
    const forgeries: Record<string, Forge> = {
      'an old answer replayed': async () => captured,
      'a "dead" answer under another key': async (body) => {
        const text = JSON.stringify({ ...answerTo(body), vote: 'dead' })
        return { body: text, mac: macOf(arbiterKeys(randomBytes(32)).answer, text) }
      },
      'an "alive" answer turned "dead"': async (body, mac) => {
        const honest = await alive.handleVote(body, mac)
        return { body: honest.body.replace('"vote":"alive"', '"vote":"dead"'), mac: honest.mac }
      },
      'the request reflected as its answer': async (body, mac) => ({ body, mac }),
      'an unsigned "dead"': async (body) => ({ body: JSON.stringify({ ...answerTo(body) }) }),
    }
    for (const [name, forge] of Object.entries(forgeries)) {
      const mitm = await serveForgery(forge)
      cleanups.push(() => mitm.close())
      await expect(requestVote(client(mitm.url), 'embassy-a', 2), name).rejects.toMatchObject({
        code: 'CLOUD_NO_QUORUM',
      })
      await mitm.close()
    }
  })

  it('never votes for two promotions, before or after a restart', async () => {
    const secret = randomBytes(32)
    const voteFile = path.join(lab.root, 'vote-d.json')
    const { arbiter, clock } = await deadArbiter(secret, voteFile)
    const ask = async (target: typeof arbiter, candidate: string, term: number) => {
      const request = signed(secret, { at: clock.now().getTime(), candidate, term })
      return voteOf(await target.handleVote(request.body, request.mac))
    }
    // Two competing requests at once: exactly one vote.
    const raced = await Promise.all([ask(arbiter, 'embassy-a', 2), ask(arbiter, 'embassy-b', 2)])
    expect(raced.filter((vote) => vote === 'dead')).toHaveLength(1)
    const winner = raced[0] === 'dead' ? 'embassy-a' : 'embassy-b'
    const loser = winner === 'embassy-a' ? 'embassy-b' : 'embassy-a'
    expect(await ask(arbiter, winner, 3)).toBe('refused')
    expect(await ask(arbiter, loser, 3)).toBe('refused')
    expect(await ask(arbiter, winner, 2)).toBe('dead') // the same promotion, asked again

    clock.advance(1_000)
    const { arbiter: restarted } = await deadArbiter(secret, voteFile, clock)
    expect(await ask(restarted, loser, 2)).toBe('refused')
    expect(await ask(restarted, winner, 4)).toBe('refused')
    expect(await ask(restarted, winner, 2)).toBe('dead')
    expect(JSON.parse(await readFile(voteFile, 'utf8'))).toMatchObject({
      candidate: winner,
      term: 2,
    })
  })
})

function answerTo(body: string): Record<string, unknown> {
  const request = JSON.parse(body) as VoteRequest
  return {
    kind: 'estate-arbiter-vote-answer',
    candidate: request.candidate,
    term: request.term,
    nonce: request.nonce,
    vote: 'dead',
    reason: 'forged',
    at: request.at,
  }
}

/** A man in the middle: answers the vote request with whatever `forge` makes of it. */
async function serveForgery(
  forge: (body: string, mac: string) => Promise<{ body: string; mac?: string }>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const mac = String(request.headers[ARBITER_MAC_HEADER])
      void forge(Buffer.concat(chunks).toString(), mac).then((reply) => {
        response.writeHead(200, reply.mac === undefined ? {} : { [ARBITER_MAC_HEADER]: reply.mac })
        response.end(reply.body)
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  let closed = false
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      if (closed) return
      closed = true
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
