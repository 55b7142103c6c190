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
    // Three workers on two cores: a third of a two-worker run was spent waiting (on PostgreSQL,
    // child processes, the browser). Measured on this machine: 2 workers 311-319 s, 3 workers
    // 278 s, 4 workers 303 s (load 8: contention).
    maxWorkers: 3,
  },
})
