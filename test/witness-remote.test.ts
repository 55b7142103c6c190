/**
 * The embassy's witness over HTTP (C2SP tlog-witness): the primary publishes a checkpoint only
 * once its own witness and the embassy's have cosigned it; while the embassy is unreachable the
 * log keeps appending but publishes nothing new; when it is back, publication resumes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  generateCosigner,
  generateSigner,
  openNote,
  parseCheckpoint,
  parseCosignerVerifierKey,
  verifyCosignatures,
} from '../src/ledger/index.ts'
import { createApp, readConfig, type EStateApp } from '../src/main/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'

describe('a remote witness at the embassy', () => {
  const log = generateSigner('primary.example/ledger')
  const embassyWitness = generateCosigner('embassy.example/witness')
  let root: string
  let embassy: EStateApp | undefined
  let port = 0
  let primary: TestApp

  const startEmbassy = async (): Promise<void> => {
    embassy = await createApp(
      readConfig({
        E_STATE_ENV: 'development',
        E_STATE_DATA_DIR: path.join(root, 'embassy'),
        E_STATE_POPULATION: '100',
        E_STATE_LOG_LEVEL: 'silent',
        E_STATE_WITNESS_KEY: embassyWitness.text,
        E_STATE_WITNESS_LOGS: log.signer.verifier.text,
      }),
      { drainIntervalMs: 0 },
    )
    await embassy.start()
    await embassy.server.listen({ host: '127.0.0.1', port })
    const address = embassy.server.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    port = address.port
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'estate-embassy-'))
    await startEmbassy()
    primary = await startTestApp('sqlite', {
      env: {
        E_STATE_LEDGER_KEY: log.text,
        E_STATE_WITNESSES: `${embassyWitness.cosigner.verifier.text}@http://127.0.0.1:${port}/witness`,
      },
      options: { drainIntervalMs: 0 },
    })
  }, 120_000)
  afterAll(async () => {
    await primary?.close()
    await embassy?.close()
    await rm(root, { recursive: true, force: true })
  })

  const published = async () => {
    const reply = await primary.inject({ url: '/ledger/checkpoint' })
    expect(reply.statusCode).toBe(200)
    return {
      note: reply.body,
      ...parseCheckpoint(openNote(reply.body, [log.signer.verifier]).text),
    }
  }

  it('publishes checkpoints cosigned by both its own and the embassy witness', async () => {
    await primary.app.platform().ledger.append('test', Buffer.from('one'))
    await primary.app.platform().ledger.publish()
    const keys = (await primary.inject({ url: '/ledger/witness-keys' })).body
      .trim()
      .split('\n')
      .map((line) => parseCosignerVerifierKey(line))
    expect(keys.map((key) => key.name).sort()).toEqual([
      'embassy.example/witness',
      'localhost/witness',
    ])
    const checkpoint = await published()
    expect(
      verifyCosignatures(checkpoint.note, keys)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['embassy.example/witness', 'localhost/witness'])
    const seen = await embassy?.platform().witness?.latest('primary.example/ledger')
    expect(seen?.size).toBe(checkpoint.size)
  })

  it('publishes nothing new while the embassy is unreachable, and catches up when it is back', async () => {
    const before = await published()
    await embassy?.close()
    embassy = undefined
    await primary.app.platform().ledger.append('test', Buffer.from('while the embassy is down'))
    await expect(primary.app.platform().ledger.publish()).rejects.toThrow()
    expect((await published()).size).toBe(before.size)

    await startEmbassy()
    const back = embassy as EStateApp | undefined
    await primary.app.platform().ledger.append('test', Buffer.from('back again'))
    const next = await primary.app.platform().ledger.publish()
    expect(next?.size).toBe(before.size + 2)
    expect((await published()).size).toBe(before.size + 2)
    expect((await back?.platform().witness?.latest('primary.example/ledger'))?.size).toBe(
      before.size + 2,
    )
  })
})
