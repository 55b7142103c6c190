/**
 * One validation worker of the pool (`validation-pool.ts`): builds the validator from the trust
 * list it is given and answers each container with its report.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createTrustList } from './trust-list.ts'
import { createSignatureValidator } from './validate.ts'
import type { WorkerSetup } from './validation-pool.ts'

const setup = workerData as WorkerSetup
const validator = createSignatureValidator({
  trust: {
    ...createTrustList({
      cas: setup.cas.map((der) => Buffer.from(der)),
      ocspResponders: setup.ocspResponders.map((der) => Buffer.from(der)),
      tsas: setup.tsas.map((der) => Buffer.from(der)),
    }),
    qualified: new Set(setup.qualified),
  },
  now: () => new Date(),
  ...(setup.limits === undefined ? {} : { limits: setup.limits }),
})

parentPort?.on('message', (message: { id: number; container: Uint8Array; at: string }) => {
  try {
    const report = validator.validate(message.container, { at: new Date(message.at) })
    parentPort?.postMessage({ id: message.id, report })
  } catch (error) {
    parentPort?.postMessage({ id: message.id, error: (error as Error).message })
  }
})
