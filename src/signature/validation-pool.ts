/**
 * Validation off the event loop: a container takes milliseconds of CPU (inflating, hashing,
 * a dozen signature checks) and a 50 MB one a good part of a second, which would stall every
 * other request of the node. The pool runs validators in worker threads, one per core by
 * default, started on first use; each request goes to the least busy worker. A worker that
 * dies fails only its own requests and is replaced. A validation that runs past its time limit
 * (a container built to cost, beyond what the structural limits catch) is refused as
 * CONTAINER_TOO_COSTLY: its worker is terminated and replaced, and the other requests it held
 * go to the new one.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { EStateError } from '../shared/index.ts'
import type { ContainerLimits } from './container.ts'
import type { ValidationReport } from './report.ts'
import type { TrustList } from './trust-list.ts'

export interface ValidationPool {
  /** The report for `container` as of `at`, within `timeLimitMs` (default the pool's). */
  validate(container: Uint8Array, at: Date, timeLimitMs?: number): Promise<ValidationReport>
  close(): Promise<void>
}

/** What a worker needs to build the same validator: the trust list as bytes. */
export interface WorkerSetup {
  readonly cas: Uint8Array[]
  readonly ocspResponders: Uint8Array[]
  readonly tsas: Uint8Array[]
  readonly qualified: string[]
  readonly limits?: ContainerLimits
}

interface Waiting {
  readonly container: Uint8Array
  readonly at: Date
  readonly timeLimitMs: number
  resolve(report: ValidationReport): void
  reject(error: Error): void
}

interface Slot {
  worker: Worker
  readonly pending: Map<number, Waiting>
  /** Terminated for overrunning: its other requests are sent again, not failed. */
  retired: boolean
}

export function createValidationPool(options: {
  readonly trust: TrustList
  readonly workers?: number
  readonly limits?: ContainerLimits
  /** How long one validation may run (default 30 s). */
  readonly timeLimitMs?: number
}): ValidationPool {
  const defaultLimit = options.timeLimitMs ?? 30_000
  const size = Math.max(1, options.workers ?? availableParallelism())
  const setup: WorkerSetup = {
    cas: options.trust.cas.map((entry) => entry.der),
    ocspResponders: options.trust.ocspResponders.map((entry) => entry.der),
    tsas: options.trust.tsas.map((entry) => entry.der),
    qualified: [...options.trust.qualified],
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  }
  const slots: Slot[] = []
  let next = 0
  let closed = false

  const spawn = (): Slot => {
    const slot: Slot = {
      worker: new Worker(new URL('./validation-worker.ts', import.meta.url), { workerData: setup }),
      pending: new Map(),
      retired: false,
    }
    slot.worker.on(
      'message',
      (message: { id: number; report?: ValidationReport; error?: string }) => {
        const waiting = slot.pending.get(message.id)
        if (waiting === undefined) return
        slot.pending.delete(message.id)
        if (message.report !== undefined) waiting.resolve(message.report)
        else waiting.reject(new Error(message.error ?? 'validation failed'))
      },
    )
    const fail = (error: Error) => {
      const orphans = [...slot.pending.values()]
      slot.pending.clear()
      if (!closed) {
        const index = slots.indexOf(slot)
        if (index >= 0) slots[index] = spawn()
      }
      for (const waiting of orphans)
        if (slot.retired && !closed)
          dispatch(waiting.container, waiting.at, waiting.timeLimitMs).then(
            waiting.resolve,
            waiting.reject,
          )
        else waiting.reject(error)
    }
    slot.worker.on('error', fail)
    slot.worker.on('exit', (code) => {
      if (!closed) fail(new Error(`a validation worker exited (${code})`))
    })
    slot.worker.unref()
    return slot
  }

  const dispatch = (
    container: Uint8Array,
    at: Date,
    timeLimitMs: number,
  ): Promise<ValidationReport> => {
    if (closed) return Promise.reject(new Error('the validation pool is closed'))
    while (slots.length < size) slots.push(spawn())
    const slot = slots.reduce((best, candidate) =>
      candidate.pending.size < best.pending.size ? candidate : best,
    )
    const id = next++
    // A copy the worker owns (the request's buffer may be a slice of a shared pool).
    const bytes = new Uint8Array(container)
    return new Promise<ValidationReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!slot.pending.delete(id)) return
        reject(
          new EStateError(
            'CONTAINER_TOO_COSTLY',
            `the container took longer than ${timeLimitMs} ms to validate`,
          ),
        )
        slot.retired = true
        void slot.worker.terminate()
      }, timeLimitMs)
      slot.pending.set(id, {
        container,
        at,
        timeLimitMs,
        resolve(report) {
          clearTimeout(timer)
          resolve(report)
        },
        reject(error) {
          clearTimeout(timer)
          reject(error)
        },
      })
      slot.worker.ref()
      slot.worker.postMessage({ id, container: bytes, at: at.toISOString() }, [bytes.buffer])
    }).finally(() => {
      if (slot.pending.size === 0) slot.worker.unref()
    })
  }

  return {
    validate: (container, at, timeLimitMs) => dispatch(container, at, timeLimitMs ?? defaultLimit),
    async close() {
      closed = true
      await Promise.all(slots.map((slot) => slot.worker.terminate()))
      slots.length = 0
    },
  }
}
