// Runs in every test file (vitest `setupFiles`): the file's PostgreSQL cluster, if it started
// one, is stopped when the file ends — also in files that forget `usePostgresCluster()`. The
// process-exit hook in pg-cluster.ts is not enough: vitest ends a file's worker process without
// Node's exit handlers running, and the server would outlive the run.
import { afterAll } from 'vitest'
import { stopPostgresCluster } from './engines.ts'

afterAll(stopPostgresCluster)
