export { startOutboxDrain, type OutboxDrain, type OutboxDrainOptions } from './outbox-drain.ts'
export { hashLeaf, hashChildren } from './merkle-hash.ts'
export {
  rootHash,
  inclusionProof,
  consistencyProof,
  verifyInclusion,
  verifyConsistency,
} from './merkle.ts'
export { LedgerError, type LedgerErrorCode } from './errors.ts'
