/**
 * An embassy's e-state node on the standby: while the primary is up it serves the public
 * ledger, the trust services' certificates and the global configuration from the replica, and
 * answers acts with READ_ONLY_SITE (never a 500); once the standby is promoted the node stops
 * with exit code 75, so that its supervisor starts it again as a node of the new primary —
 * which then serves acts.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, killServer, promoteEmbassy, type Site } from '../src/cloud/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { cliOn } from './support/cli.ts'
import { openSiteLab, waitFor, type SiteLab } from './support/sites.ts'

let lab: SiteLab
let primary: Site
let embassy: Site
let primaryNode: TestApp
const children: ChildProcess[] = []
/** The master keys the embassy's nodes run with after the rotation (new current, old previous). */
let rotatedKeys: Record<string, string> = {}

function keysOf(t: TestApp): Record<string, string> {
  const ring = t.config.masterKeys
  return {
    E_STATE_MASTER_KEY: `${ring.current.id}:${Buffer.from(ring.current.key).toString('base64')}`,
    E_STATE_LEDGER_KEY: t.config.ledger.signerKey,
    ...(t.config.witness.key === undefined ? {} : { E_STATE_WITNESS_KEY: t.config.witness.key }),
  }
}

beforeAll(async () => {
  lab = await openSiteLab('embassy-node')
  ;({ primary, embassy } = await lab.startPair())
  // The primary's node seeds the country and writes; the embassy receives it all.
  primaryNode = await startTestApp('sqlite', {
    population: 300,
    env: { E_STATE_DATABASE_URL: primary.adminUrl },
  })
}, 180_000)

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  await primaryNode?.close().catch(() => undefined)
  await lab?.close()
})

/** An e-state node on the embassy's store, with the primary's keys (provisioned at both sites). */
function startNode(
  port: number,
  stdio: StdioOptions,
  settings: Record<string, string> = rotatedKeys,
): ChildProcess {
  return spawn(process.execPath, ['bin/e-state.js', 'start'], {
    env: {
      ...process.env,
      ...keysOf(primaryNode),
      E_STATE_ENV: 'development',
      E_STATE_DATA_DIR: path.join(lab.root, 'embassy-node'),
      E_STATE_DATABASE_URL: embassy.adminUrl,
      E_STATE_LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...settings,
    },
    stdio,
  })
}

describe("an embassy's node on the standby", () => {
  it('serves the public reads, refuses acts cleanly, and restarts itself on promotion', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    // A master-key rotation across the sites, before the embassy's node starts: the new key is
    // made and given to the primary's tools as an extra key, the primary re-wraps every data
    // key, and the re-wrap replicates. The embassy's node runs with both keys (the new one
    // current); one that has only the old key is refused at start, not half-working.
    const oldKey = keysOf(primaryNode).E_STATE_MASTER_KEY
    const file = path.join(lab.root, 'new-master.key')
    expect((await cliOn(primaryNode, ['keys', 'new-master', '--out', file])).code).toBe(0)
    const newKey = readFileSync(file, 'utf8').trim()
    const rotated = await cliOn(primaryNode, ['keys', 'rotate-master', '--new-key-file', file], {
      E_STATE_DATABASE_URL: primary.adminUrl,
      E_STATE_MASTER_KEY: oldKey,
      E_STATE_MASTER_KEYS_PREVIOUS: newKey,
    })
    expect(rotated.code).toBe(0)
    rotatedKeys = { E_STATE_MASTER_KEY: newKey, E_STATE_MASTER_KEYS_PREVIOUS: oldKey }
    // The primary's node, started before the rotation with the old key only, keeps serving.
    expect((await primaryNode.inject({ url: '/health/ready' })).statusCode).toBe(200)
    const unprepared = startNode(await freePort(), ['ignore', 'ignore', 'pipe'], {
      E_STATE_MASTER_KEY: oldKey,
    })
    children.push(unprepared)
    const refusal: Buffer[] = []
    unprepared.stderr?.on('data', (chunk: Buffer) => refusal.push(chunk))
    const exitCode = await Promise.race([
      new Promise((resolve) => unprepared.once('exit', resolve)),
      new Promise((resolve) => setTimeout(() => resolve('still running'), 30_000)),
    ])
    expect(exitCode).toBe(1)
    expect(Buffer.concat(refusal).toString()).toMatch(/CRYPTO_/)

    const node = startNode(port, ['ignore', 'ignore', 'pipe'])
    children.push(node)
    const stderr: Buffer[] = []
    node.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))
    const exited = new Promise<number | null>((resolve) => node.once('exit', resolve))
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200, 60_000)

    // The public ledger, as the primary published it.
    await waitFor(async () => (await fetch(`${base}/ledger/checkpoint`)).status === 200)
    const checkpoint = await (await fetch(`${base}/ledger/checkpoint`)).text()
    expect(checkpoint.split('\n')[0]).toBe(primaryNode.config.ledger.origin)
    const tile = await fetch(`${base}/ledger/tile/0/000.p/1`)
    expect([200, 404]).toContain(tile.status)
    // The configuration the primary signed, and the state's CA certificates.
    const conf = await fetch(`${base}/exchange/globalconf`)
    expect(conf.status).toBe(200)
    const primaryConf = (await primaryNode.inject({ url: '/exchange/globalconf' })).json()
    expect((await conf.json()).signature).toEqual(primaryConf.signature)
    expect((await fetch(`${base}/trust/ca/root.crt`)).status).toBe(200)
    // Its witness runs (its state is a file, not the replica).
    const witnesses = await fetch(`${base}/ledger/witness-keys`)
    expect(witnesses.status).toBe(200)
    expect((await witnesses.text()).trim()).not.toBe('')
    // A CRL is a new signed act of the CA (its number goes up): the primary's to issue.
    const crl = await fetch(`${base}/trust/crl/citizen.crl`)
    expect([200, 503]).toContain(crl.status)
    if (crl.status === 503) expect((await crl.json()).code).toBe('READ_ONLY_SITE')

    // An act: a clear refusal, not a 500.
    const act = await fetch(`${base}/auth/challenge`, { method: 'POST' })
    expect(act.status).toBe(503)
    expect(act.headers.get('content-type')).toContain('application/problem+json')
    expect((await act.json()).code).toBe('READ_ONLY_SITE')
    const credentials = primaryNode.credentials('PPA')
    const call = await fetch(`${base}/r1/EE/GOV/70000013/population-register/population/1.0`, {
      headers: { authorization: credentials.authorization, 'x-road-client': credentials.client },
    })
    expect(call.status).toBe(503)
    expect(call.headers.get('x-road-error')).toBe('Server.ClientProxy.ServiceFailed')

    // Given the primary's address, an embassy's node serves personal reads through the
    // exchange: read on the replica, the access record and the message log written at the
    // primary before the answer.
    const readerPort = await freePort()
    const reader = startNode(readerPort, ['ignore', 'ignore', 'inherit'], {
      ...rotatedKeys,
      E_STATE_DATA_DIR: path.join(lab.root, 'embassy-reader'),
      E_STATE_PRIMARY_DATABASE_URL: primary.adminUrl,
    })
    children.push(reader)
    const readerBase = `http://127.0.0.1:${readerPort}`
    await waitFor(async () => (await fetch(`${readerBase}/health/ready`)).status === 200, 60_000)
    const police = primaryNode.credentials('PPA')
    const read = await fetch(
      `${readerBase}/r1/EE/GOV/70000013/population-register/population/1.0/read`,
      {
        method: 'POST',
        headers: {
          authorization: police.authorization,
          'x-road-client': police.client,
          'x-road-userid': 'EE39001010000',
          'x-road-issue': 'case 24-1234',
          'x-road-id': 'embassy-read-1',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ query: { content: { personalCode: '38001085718' } } }),
      },
    )
    expect(read.headers.get('x-road-error')).toBeNull()
    expect(read.status).toBe(200)
    expect((await read.json()).content.personalCode).toBe('38001085718')
    const atPrimary = primaryNode.app.platform().store.admin
    const records = await atPrimary
      .selectFrom('access_records')
      .select(['subject_code', 'actor_code', 'purpose'])
      .where('subject_code', '=', '38001085718')
      .where('purpose', '=', 'case 24-1234')
      .execute()
    expect(records).toContainEqual({
      subject_code: '38001085718',
      actor_code: '39001010000',
      purpose: 'case 24-1234',
    })
    const logged = await atPrimary
      .selectFrom('exchange_message_log')
      .select('side')
      .where('message_id', '=', 'embassy-read-1')
      .execute()
    expect(logged.map((row) => row.side).sort()).toEqual(['consumer', 'provider'])
    reader.kill('SIGTERM')

    // The primary dies; the embassy is promoted; its node stops to come back as the primary's.
    await primaryNode.close()
    killServer(primary.server)
    await promoteEmbassy(embassy)
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000)),
    ])
    expect(code).toBe(75)
    expect(Buffer.concat(stderr).toString()).not.toMatch(/"level":(50|60)/)

    // Started again on the promoted store, it serves acts.
    const again = startNode(port, ['ignore', 'ignore', 'inherit'])
    children.push(again)
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 200, 60_000)
    expect((await fetch(`${base}/auth/challenge`, { method: 'POST' })).status).toBe(200)
  }, 180_000)
})
