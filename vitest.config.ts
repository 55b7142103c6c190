import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One worker process runs many files in turn, importing the platform once rather than once
    // per file (about a minute of a suite run). Nothing a test file keeps at module level may
    // outlive it: its PostgreSQL cluster is stopped by test/support/setup.ts.
    isolate: false,
    // Storage tests start their own PostgreSQL clusters; two cores, so keep the fan-out small.
    maxWorkers: 2,
  },
})
