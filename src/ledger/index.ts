export { startOutboxDrain, type OutboxDrain, type OutboxDrainOptions } from './outbox-drain.ts'
export { hashLeaf, hashChildren } from './merkle-hash.ts'
