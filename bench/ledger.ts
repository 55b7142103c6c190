/**
 * The integrity ledger's figures: durable appends per second with 64 concurrent appenders and
 * their acknowledgement latency (an append is acknowledged only once committed: SQLite
 * `synchronous=FULL`, PostgreSQL commit), beside the machine's raw SHA-256 rate and raw fsync
 * rate; inclusion proofs generated and verified per second from the stored tree; receipt size.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import {
  buildReceipt,
  createTreeReader,
  createWitness,
  generateCosigner,
  generateSigner,
  hashLeaf,
  memoryWitnessState,
  openLedger,
  storedInclusionProof,
  verifyInclusion,
} from '../src/ledger/index.ts'
import { systemClock } from '../src/shared/index.ts'
import { MIGRATIONS } from '../src/main/index.ts'
import { openStore } from '../src/storage/index.ts'

const APPENDERS = 64

export async function benchLedger(
  engine: 'sqlite' | 'postgres',
  url: string,
  seconds: number,
  scratch: string,
): Promise<void> {
  if (engine === 'sqlite') {
    console.log(
      `baseline       raw SHA-256 ${fmt(rawSha256Rate())} leaf hashes/s (100-byte entries, one core)`,
    )
    console.log(
      `baseline       raw fsync ${fmt(rawFsyncRate(join(scratch, 'fsync.bin')))} write+fsync/s (this disk)`,
    )
  }
  const store = await openStore({ url })
  await store.migrate(MIGRATIONS)
  const origin = 'bench.example/ledger'
  const signer = generateSigner(origin).signer
  const witness = createWitness({
    cosigner: generateCosigner('bench.example/witness').cosigner,
    logs: [{ origin, verifiers: [signer.verifier] }],
    state: memoryWitnessState(),
    clock: systemClock,
  })
  const ledger = await openLedger({
    store,
    clock: systemClock,
    origin,
    signer,
    witnesses: [witness],
    intervalMs: 100,
    checkpointIntervalMs: 1000,
  })
  try {
    const entry = (n: number) =>
      Buffer.from(JSON.stringify({ kind: 'bench', commitment: n.toString(16).padStart(64, '0') }))
    const latencies: number[] = []
    let counter = 0
    let measured = 0
    const warmUntil = performance.now() + 500
    const deadline = warmUntil + seconds * 1000
    const appender = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const started = performance.now()
        await ledger.append('bench', entry(counter++))
        if (started >= warmUntil) {
          latencies.push(performance.now() - started)
          measured++
        }
      }
    }
    await Promise.all(Array.from({ length: APPENDERS }, appender))
    latencies.sort((a, b) => a - b)
    const rate = measured / seconds
    console.log(
      `ledger append  ${fmt(rate)} durable appends/s, ${APPENDERS} appenders, ack p50 ${pct(latencies, 0.5)} ms, p99 ${pct(latencies, 0.99)} ms`,
    )
    const published = await ledger.publish()
    const size = published?.size ?? 0
    console.log(
      `               ${fmt(counter)} entries appended; checkpoint of ${fmt(size)} published with the witness's cosignature`,
    )

    // Proofs from the stored tree: first with every tile cold (a fresh reader, 500 entries in
    // distinct tiles), then as the server runs (full tiles cached; random entries for 2 s).
    const cold = createTreeReader(store.db, { cachedTiles: 2048 })
    const tiles = Math.floor(size / 256)
    const coldStart = performance.now()
    for (let n = 0; n < 500; n++) {
      const index = ((n * 7919) % tiles) * 256 + (n % 256)
      await storedInclusionProof(cold, index, size)
    }
    const coldRate = 500 / ((performance.now() - coldStart) / 1000)
    const started = performance.now()
    let proofs = 0
    const samples: { index: number; proof: Buffer[] }[] = []
    while (performance.now() - started < 2000) {
      const index = Math.floor(Math.random() * size)
      const proof = await storedInclusionProof(ledger.tree, index, size)
      if (samples.length < 2000) samples.push({ index, proof })
      proofs++
    }
    const generation = proofs / ((performance.now() - started) / 1000)
    // The same entries again: their tiles cached (a tracker page read again).
    const warmStart = performance.now()
    for (const sample of samples) await storedInclusionProof(ledger.tree, sample.index, size)
    const warm = samples.length / ((performance.now() - warmStart) / 1000)
    const leaves = new Map<number, Buffer>()
    for (const sample of samples)
      leaves.set(
        sample.index,
        (await ledger.tree.levelHashes(0, sample.index, sample.index + 1))[0],
      )
    const verifyStart = performance.now()
    let verified = 0
    while (performance.now() - verifyStart < 1000) {
      for (const sample of samples) {
        verifyInclusion(
          leaves.get(sample.index) as Buffer,
          sample.index,
          size,
          sample.proof,
          published?.rootHash as Buffer,
        )
        verified++
      }
    }
    const verification = verified / ((performance.now() - verifyStart) / 1000)
    const receipt = await buildReceipt(store.db, ledger.tree, size - 1)
    console.log(
      `proofs         ${fmt(coldRate)} inclusion proofs/s with cold tiles, ${fmt(generation)}/s at random over ${fmt(size)} entries as the server runs, ${fmt(warm)}/s for entries just proved; ${fmt(verification)} verified/s`,
    )
    console.log(
      `receipt        ${JSON.stringify(receipt).length} bytes (entry, ${receipt.proof.length} proof hashes, cosigned checkpoint)`,
    )
  } finally {
    await ledger.stop()
    await store.close()
  }
}

function rawSha256Rate(): number {
  const entry = Buffer.alloc(100, 7)
  const started = performance.now()
  let count = 0
  while (performance.now() - started < 1000) {
    for (let i = 0; i < 1000; i++) hashLeaf(entry)
    count += 1000
  }
  return count / ((performance.now() - started) / 1000)
}

function rawFsyncRate(path: string): number {
  const fd = openSync(path, 'w')
  try {
    const block = Buffer.alloc(100, 1)
    const started = performance.now()
    let count = 0
    while (performance.now() - started < 1000) {
      writeSync(fd, block)
      fsyncSync(fd)
      count++
    }
    return count / ((performance.now() - started) / 1000)
  } finally {
    closeSync(fd)
  }
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en')
}

function pct(sorted: readonly number[], quantile: number): string {
  return (sorted[Math.floor(sorted.length * quantile)] ?? 0).toFixed(2)
}
