/**
 * The message log of a standalone gateway, written by a thread of its own: a commit waits for
 * its fsync (and, now and then, a WAL checkpoint), and on the gateway's event loop that wait
 * would hold up every other message in flight. Records are sealed and committed to on the
 * calling thread; the writer thread inserts them, with their ledger-outbox rows, in one
 * transaction per batch, and each caller is answered once its record is durable.
 */
import { Worker } from 'node:worker_threads'
import type { Envelope } from '../crypto/index.ts'
import type { Clock } from '../shared/index.ts'
import type { MessageRecord } from './gateway.ts'
import { logRowOf, type LogRow } from './message-log.ts'

export interface ThreadedMessageLog {
  log(record: MessageRecord): Promise<void>
  /** The log's commitments still in the outbox, after a log id (for anchoring). */
  pending(after: number, limit: number): Promise<{ ref_id: number; entry: Uint8Array }[]>
  /** Removes anchored commitments from the outbox. */
  anchored(first: number, last: number): Promise<void>
  close(): Promise<void>
}

export function createThreadedMessageLog(options: {
  readonly path: string
  readonly envelope: Envelope
  readonly clock: Clock
}): ThreadedMessageLog {
  const worker = new Worker(new URL('./message-log-writer.ts', import.meta.url), {
    workerData: { path: options.path },
  })
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>()
  let next = 0
  let queue: { id: number; row: LogRow; recordedAt: string }[] = []
  let scheduled = false
  const asked = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >()
  let nextAsk = 0
  const ask = <T>(message: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextAsk++
      asked.set(id, { resolve: resolve as (value: unknown) => void, reject })
      worker.postMessage({ ...message, ask: id })
    })
  worker.on(
    'message',
    (
      message: { ids: number[]; error?: string } | { ask: number; rows?: unknown; error?: string },
    ) => {
      if ('ask' in message) {
        const entry = asked.get(message.ask)
        asked.delete(message.ask)
        if (message.error === undefined) entry?.resolve(message.rows)
        else entry?.reject(new Error(message.error))
        return
      }
      for (const id of message.ids) {
        const entry = waiting.get(id)
        waiting.delete(id)
        if (message.error === undefined) entry?.resolve()
        else entry?.reject(new Error(message.error))
      }
    },
  )
  const failAll = (error: Error) => {
    for (const entry of [...waiting.values(), ...asked.values()]) entry.reject(error)
    waiting.clear()
    asked.clear()
  }
  worker.on('error', failAll)
  worker.on('exit', () => failAll(new Error('the message-log writer stopped')))
  return {
    log(record) {
      const row = logRowOf(options.envelope, record)
      return new Promise<void>((resolve, reject) => {
        const id = next++
        waiting.set(id, { resolve, reject })
        queue.push({ id, row, recordedAt: options.clock.now().toISOString() })
        if (!scheduled) {
          scheduled = true
          setImmediate(() => {
            scheduled = false
            const batch = queue
            queue = []
            worker.postMessage(batch)
          })
        }
      })
    },
    pending: (after, limit) => ask({ outbox: 'pending', after, limit }),
    anchored: (first, last) => ask({ outbox: 'anchored', first, last }),
    async close() {
      await worker.terminate()
    },
  }
}
