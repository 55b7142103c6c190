/**
 * The main thread's half of the two-core seeder: hashes generated rows in JSON chunks (see
 * `createSnapshotHasher`) and hands those strings to the seed worker in batches, with a bounded
 * number of batches in flight so memory stays flat.
 */
import { Worker } from 'node:worker_threads'
import type { MasterKeyRing } from '../../crypto/index.ts'
import type { SeedWorkerData, SeedWorkerMessage, SeedWorkerReply } from './seed-worker.ts'
import type { BulkWriter } from './bulk-writer.ts'
import { createSnapshotHasher } from './seed-sink.ts'
import type { RowSink } from './sink.ts'
import type { SeedTable } from './tables.ts'

const BATCH_ROWS = 20_000
const MAX_IN_FLIGHT = 3

export interface WorkerSink extends RowSink {
  flushIfFull(): Promise<void> | void
  /** Hands the worker the household tables to index while the main thread writes companies. */
  householdsDone(): Promise<void>
  /** Sends what is left, waits for the worker to commit, returns the row counts and hash. */
  finish(): Promise<{ counts: Record<string, number>; snapshotHash: string }>
  /** Stops the worker (after a failure elsewhere). */
  abort(): Promise<void>
}

/**
 * Tables the generating thread writes itself, into a side file of its own, instead of shipping
 * them to the storing thread, which is the busier of the two. They hold nothing confidential.
 * The storing thread copies them in before it builds the household indexes.
 */
export interface LocalTables {
  readonly tables: ReadonlySet<SeedTable>
  readonly path: string
  readonly writer: BulkWriter
  /** Commits and closes the side file. */
  close(): void
}

export function createWorkerSink(
  path: string,
  masterKeys: MasterKeyRing,
  keepers: Record<string, string>,
  local?: LocalTables,
): WorkerSink {
  const data: SeedWorkerData = {
    path,
    masterKeys: { current: masterKeys.current, previous: [...masterKeys.previous] },
    keepers,
  }
  const worker = new Worker(new URL('./seed-worker.ts', import.meta.url), {
    workerData: data,
    // It holds a few batches at a time; a bounded heap keeps the seeder well under 1 GB.
    resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 64 },
  })
  let outgoing: Array<[SeedTable, string]> = []
  let pending = 0
  let inFlight = 0
  // While the worker indexes, the company rows queue up instead of waiting for acknowledgements.
  let maxInFlight = MAX_IN_FLIGHT
  let failure: Error | null = null
  let finished = false
  let wakeSender: (() => void) | null = null
  let resolveDone: () => void = () => {}
  let rejectDone: (error: Error) => void = () => {}
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve
    rejectDone = reject
  })
  done.catch(() => {})

  const fail = (error: Error): void => {
    failure ??= error
    wakeSender?.()
    rejectDone(error)
  }
  worker.on('error', fail)
  worker.on('exit', (code) => {
    if (!finished) fail(new Error(`seed worker exited early with code ${code}`))
  })
  worker.on('message', (reply: SeedWorkerReply) => {
    if (reply.type === 'ack') {
      inFlight--
      wakeSender?.()
    } else if (reply.type === 'done') {
      finished = true
      resolveDone()
    } else {
      fail(new Error(`seed worker failed: ${reply.message}`))
    }
  })

  const hasher = createSnapshotHasher((table, rows, json) => {
    if (local?.tables.has(table) === true) {
      void local.writer.write(table, rows)
      return
    }
    outgoing.push([table, json])
    pending += rows.length
  })

  const send = async (message: SeedWorkerMessage): Promise<void> => {
    while (inFlight >= maxInFlight && failure === null) {
      await new Promise<void>((resolve) => (wakeSender = resolve))
    }
    if (failure !== null) throw failure
    if (message.type === 'rows') inFlight++
    worker.postMessage(message)
  }

  const sendOutgoing = async (): Promise<void> => {
    if (outgoing.length === 0) return
    const batch = outgoing
    outgoing = []
    pending = 0
    await send({ type: 'rows', batch })
  }

  return {
    add: hasher.add,
    flushIfFull() {
      return pending >= BATCH_ROWS ? sendOutgoing() : undefined
    },
    async householdsDone() {
      if (local !== undefined) {
        hasher.completeTables(local.tables)
        local.close()
      }
      await sendOutgoing()
      await send({ type: 'index', localPath: local?.path, localTables: [...(local?.tables ?? [])] })
      maxInFlight = Number.POSITIVE_INFINITY
    },
    async finish() {
      const snapshotHash = hasher.snapshotHash()
      await sendOutgoing()
      await send({ type: 'finish' })
      await done
      await worker.terminate()
      return { counts: hasher.counts(), snapshotHash }
    },
    async abort() {
      finished = true
      await worker.terminate()
    },
  }
}
