// The whole migration history (every module's), for tests that open and migrate a store
// themselves. From the composition root's list, not `src/main/index.ts`: the modules without the
// app (its portal and pages) load in half the time.
export { MIGRATIONS } from '../../src/main/modules.ts'
