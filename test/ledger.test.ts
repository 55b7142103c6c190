/**
 * The integrity ledger over HTTP, on both engines: cosigned checkpoints, tiles, proofs and
 * receipts that verify offline, the witness endpoint refusing bad input, group-committed
 * appends, and a second writer continuing the same tree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  consistencyProof,
  entryBundle,
  generateCosigner,
  generateSigner,
  hashLeaf,
  inclusionProof,
  openLedger,
  openNote,
  parseCheckpoint,
  parseCosignerVerifierKey,
  parseSignerKey,
  parseVerifierKey,
  rootHash,
  verifyConsistency,
  verifyCosignatures,
  verifyInclusion,
  verifyReceipt,
} from '../src/ledger/index.ts'
import { systemClock } from '../src/shared/index.ts'
import { ENGINES, usePostgresCluster } from './support/engines.ts'
import { startTestApp, type TestApp } from './support/app.ts'

usePostgresCluster()

describe.each(ENGINES)('the ledger on %s', (engine) => {
  let t: TestApp
  beforeAll(async () => {
    // No background drain: each test drains explicitly, so none races another drain for entries.
    t = await startTestApp(engine, { options: { drainIntervalMs: 0 } })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  const read = () =>
    t.inject({
      url: '/data/population/1.0?query.personalCode=38001085718',
      headers: { ...t.headers('PPA'), 'x-road-userid': 'EE39001010000', 'x-road-issue': 'case 1' },
    })
  const keys = async () => ({
    log: parseVerifierKey((await t.inject({ url: '/ledger/verifier-key' })).body),
    witnesses: (await t.inject({ url: '/ledger/witness-keys' })).body
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => parseCosignerVerifierKey(line)),
  })
  const leaves = async () =>
    (
      await t.app
        .platform()
        .store.admin.selectFrom('ledger_entries')
        .select(['entry', 'leaf_hash'])
        .orderBy('idx')
        .execute()
    ).map((row) => ({ entry: Buffer.from(row.entry), leaf: Buffer.from(row.leaf_hash) }))
  const published = async () => {
    const { log } = await keys()
    const reply = await t.inject({ url: '/ledger/checkpoint' })
    expect(reply.statusCode).toBe(200)
    return { note: reply.body, ...parseCheckpoint(openNote(reply.body, [log]).text) }
  }

  it('publishes only checkpoints cosigned by the witness, over every entry', async () => {
    expect((await read()).statusCode).toBe(200)
    await t.app.platform().ledger.drainOnce()
    const { witnesses } = await keys()
    expect(witnesses).toHaveLength(1)
    const checkpoint = await published()
    expect(checkpoint.origin).toBe(t.config.ledger.origin)
    const cosigned = verifyCosignatures(checkpoint.note, witnesses)
    expect(cosigned.map((c) => c.name)).toEqual([witnesses[0].name])
    const rows = await leaves()
    expect(checkpoint.size).toBe(rows.length)
    expect(rows.every((row) => row.leaf.equals(hashLeaf(row.entry)))).toBe(true)
    expect(checkpoint.rootHash).toEqual(rootHash(rows.map((row) => row.leaf)))
    // The witness's state follows the published size.
    expect((await t.app.platform().witness?.latest(t.config.ledger.origin))?.size).toBe(
      checkpoint.size,
    )
  })

  it('serves the tiles of the published tree, immutable, and refuses others', async () => {
    expect((await read()).statusCode).toBe(200)
    await t.app.platform().ledger.drainOnce()
    const { size } = await published()
    const rows = (await leaves()).slice(0, size)
    const width = Math.min(size, 255)
    const hashes = await t.inject({ url: `/ledger/tile/0/000.p/${width}` })
    expect(hashes.statusCode).toBe(200)
    expect(hashes.headers['cache-control']).toMatch(/immutable/)
    expect(hashes.rawPayload).toEqual(Buffer.concat(rows.slice(0, width).map((row) => row.leaf)))
    const bundle = await t.inject({ url: `/ledger/tile/entries/000.p/${width}` })
    expect(bundle.rawPayload).toEqual(entryBundle(rows.slice(0, width).map((row) => row.entry)))
    for (const url of [
      `/ledger/tile/0/000.p/${width + 1}`,
      '/ledger/tile/0/001',
      '/ledger/tile/0/0.p/1',
      '/ledger/tile/9/../x',
      '/ledger/tile/0/000.p/0',
    ]) {
      const reply = await t.inject({ url })
      expect(reply.statusCode, url).toBe(404)
      expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
  })

  it('groups concurrent appends into durable batches with distinct, gapless indices', async () => {
    const ledger = t.app.platform().ledger
    const before = (await leaves()).length
    const indices = await Promise.all(
      Array.from({ length: 300 }, (_, n) => ledger.append('test', Buffer.from(`entry ${n}`))),
    )
    expect([...indices].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 300 }, (_, n) => before + n),
    )
    const rows = await leaves()
    indices.forEach((index, n) => expect(rows[index].entry.toString()).toBe(`entry ${n}`))
    // 300 entries cross a 256-leaf tile: its level-1 hash is stored.
    const tileHashes = await t.app
      .platform()
      .store.admin.selectFrom('ledger_tile_hashes')
      .selectAll()
      .execute()
    expect(tileHashes.length).toBe(Math.floor(rows.length / 256))
    expect(Buffer.from(tileHashes[0].hash)).toEqual(
      rootHash(rows.slice(0, 256).map((row) => row.leaf)),
    )
  })

  it('proves inclusion and consistency over HTTP, and refuses sizes it never had', async () => {
    const before = await published()
    await t.app.platform().ledger.append('test', Buffer.from('after'))
    await t.app.platform().ledger.publish()
    const after = await published()
    expect(after.size).toBeGreaterThan(before.size)
    const rows = (await leaves()).map((row) => row.leaf)
    for (const index of [0, 1, 255, 256, after.size - 1].filter((i) => i < after.size)) {
      const reply = await t.inject({ url: `/ledger/proof/inclusion?index=${index}` })
      expect(reply.statusCode).toBe(200)
      const body = reply.json()
      const proof = body.proof.map((hash: string) => Buffer.from(hash, 'base64'))
      expect(proof).toEqual(inclusionProof(rows, index, after.size))
      verifyInclusion(rows[index], index, after.size, proof, after.rootHash)
    }
    const consistency = await t.inject({
      url: `/ledger/proof/consistency?from=${before.size}&to=${after.size}`,
    })
    expect(consistency.statusCode).toBe(200)
    const proof = consistency.json().proof.map((hash: string) => Buffer.from(hash, 'base64'))
    expect(proof).toEqual(consistencyProof(rows, before.size, after.size))
    verifyConsistency(before.size, after.size, proof, before.rootHash, after.rootHash)

    for (const [url, status, code] of [
      [`/ledger/proof/inclusion?index=${after.size}`, 404, 'LEDGER_UNKNOWN_ENTRY'],
      [`/ledger/proof/inclusion?index=0&size=${after.size + 1}`, 404, 'LEDGER_UNKNOWN_SIZE'],
      [`/ledger/proof/consistency?from=1&to=${after.size + 5}`, 404, 'LEDGER_UNKNOWN_SIZE'],
      ['/ledger/proof/consistency?from=0', 400, 'LEDGER_INVALID_ARGUMENT'],
      ['/ledger/proof/inclusion?index=-1', 400, 'INVALID_INPUT'],
      ['/ledger/proof/inclusion?index=abc', 400, 'INVALID_INPUT'],
      ['/ledger/proof/inclusion?index=1e400', 400, 'INVALID_INPUT'],
      ['/ledger/receipt/99999999', 404, 'LEDGER_UNKNOWN_ENTRY'],
    ] as const) {
      const reply = await t.inject({ url })
      expect(reply.statusCode, url).toBe(status)
      expect(reply.json().code, url).toBe(code)
    }
  })

  it('hands out receipts that verify offline, and any change to one fails', async () => {
    await t.app.platform().ledger.publish()
    const { size } = await published()
    const reply = await t.inject({ url: `/ledger/receipt/${size - 1}` })
    expect(reply.statusCode).toBe(200)
    const receipt = reply.json()
    expect(reply.body.length).toBeLessThan(4096)
    const trusted = await keys()
    const verified = verifyReceipt(receipt, trusted)
    expect(verified.index).toBe(size - 1)
    expect(verified.cosignedBy).toHaveLength(1)

    const flip = (text: string) => {
      const bytes = Buffer.from(text, 'base64')
      bytes[0] ^= 1
      return bytes.toString('base64')
    }
    const forged = [
      { ...receipt, entry: flip(receipt.entry) },
      { ...receipt, index: receipt.index - 1 },
      { ...receipt, proof: receipt.proof.map(flip) },
      { ...receipt, proof: receipt.proof.slice(1) },
      { ...receipt, checkpoint: receipt.checkpoint.replace(/\n\d+\n/, `\n${size + 1}\n`) },
      // Stripped of the witness's cosignature: not published.
      { ...receipt, checkpoint: receipt.checkpoint.split('\n').slice(0, -2).join('\n') + '\n' },
      { ...receipt, format: 'other' },
      'not even an object',
    ]
    for (const candidate of forged) {
      expect(() => verifyReceipt(candidate, trusted), JSON.stringify(candidate)).toThrow()
    }
    // Only the log's own key and the configured witnesses will do.
    const stranger = generateSigner(t.config.ledger.origin).signer.verifier
    expect(() => verifyReceipt(receipt, { ...trusted, log: stranger })).toThrow()
    const otherWitness = generateCosigner(trusted.witnesses[0].name).cosigner.verifier
    expect(() => verifyReceipt(receipt, { ...trusted, witnesses: [otherWitness] })).toThrow(
      /0 of the 1/,
    )
  })

  it('runs a C2SP witness that refuses bad, forged and inconsistent checkpoints', async () => {
    const post = (payload: string) =>
      t.inject({ method: 'POST', url: '/witness/add-checkpoint', payload })
    const { note, size } = await published()
    expect((await post('garbage')).statusCode).toBe(400)
    expect((await post('x'.repeat(70_000))).statusCode).toBe(413)
    // Right old size, forged signature.
    const forged = note.replace(/\u2014 (\S+) (\S+)\n/, (_m, name: string, sig: string) => {
      const bytes = Buffer.from(sig, 'base64')
      bytes[bytes.length - 1] ^= 1
      return `\u2014 ${name} ${bytes.toString('base64')}\n`
    })
    expect((await post(`old ${size}\n\n${forged}`)).statusCode).toBe(403)
    // A stale old size: 409 with the size the witness holds.
    const stale = await post(`old 1\n\n${note}`)
    expect(stale.statusCode).toBe(409)
    expect(stale.headers['content-type']).toMatch(/^text\/x\.tlog\.size/)
    expect(stale.body).toBe(`${size}\n`)
    // The witness kept its state: the log still gets the next checkpoint cosigned.
    await t.app.platform().ledger.append('test', Buffer.from('still going'))
    const next = await t.app.platform().ledger.publish()
    expect(next?.size).toBe(size + 1)
  })

  it('continues the same tree from a second writer (another process), one checkpoint per size', async () => {
    const platform = t.app.platform()
    const other = await openLedger({
      store: platform.store,
      clock: systemClock,
      intervalMs: 0,
      origin: t.config.ledger.origin,
      signer: parseSignerKey(t.config.ledger.signerKey),
      witnesses: platform.witness === undefined ? [] : [platform.witness],
    })
    expect((await read()).statusCode).toBe(200)
    expect(await other.drainOnce()).toBeGreaterThan(0)
    await platform.ledger.append('test', Buffer.from('from the first'))
    await other.append('test', Buffer.from('from the second'))
    await platform.ledger.publish()
    await other.publish()
    await other.stop()
    const checkpoints = await platform.store.admin
      .selectFrom('ledger_checkpoints')
      .select(['size', 'root_hash'])
      .orderBy('size')
      .execute()
    const sizes = checkpoints.map((row) => Number(row.size))
    expect(new Set(sizes).size).toBe(sizes.length)
    const rows = (await leaves()).map((row) => row.leaf)
    for (const row of checkpoints)
      expect(Buffer.from(row.root_hash)).toEqual(rootHash(rows, 0, Number(row.size)))
    expect((await published()).size).toBe(rows.length)
  })
})
