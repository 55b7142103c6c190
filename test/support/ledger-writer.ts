// A process that appends to the ledger as fast as it can and reports each acknowledgement on
// stdout (`ack <index> <entry>`), for the kill -9 test. Arguments: store URL, log signer key,
// witness cosigner key, witness state file, a prefix making this run's entries distinct.
import { writeSync } from 'node:fs'
import {
  createWitness,
  openFileWitnessState,
  openLedger,
  parseCosignerKey,
  parseSignerKey,
} from '../../src/ledger/index.ts'
import { systemClock } from '../../src/shared/index.ts'
import { openStore } from '../../src/storage/index.ts'
import { MIGRATIONS } from './migrations.ts'

const [url, signerKey, witnessKey, statePath, prefix] = process.argv.slice(2)
const store = await openStore({ url })
await store.migrate(MIGRATIONS)
const signer = parseSignerKey(signerKey)
const witness = createWitness({
  cosigner: parseCosignerKey(witnessKey),
  logs: [{ origin: signer.name, verifiers: [signer.verifier] }],
  state: await openFileWitnessState(statePath),
  clock: systemClock,
})
const ledger = await openLedger({
  store,
  clock: systemClock,
  origin: signer.name,
  signer,
  witnesses: [witness],
  intervalMs: 5,
  checkpointIntervalMs: 20,
  onError: (error) => writeSync(2, `ledger error: ${String(error)}\n`),
})
writeSync(1, 'ready\n')
let counter = 0
const appender = async (): Promise<void> => {
  for (;;) {
    const entry = `${prefix}-${counter++}`
    const index = await ledger.append('crash-test', Buffer.from(entry))
    // Synchronous: once written, the parent may count this acknowledgement.
    writeSync(1, `ack ${index} ${entry}\n`)
  }
}
await Promise.all(Array.from({ length: 16 }, appender))
