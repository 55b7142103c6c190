// Storage tests run on both engines. A test file does:
//
//   usePostgresCluster()
//   describe.each(ENGINES)('%s', (engine) => {
//     it('…', async () => {
//       const location = await freshLocation(engine)
//       const store = await openStore({ url: location.url })
//       try { … } finally { await store.close(); await location.cleanup() }
//     })
//   })
//
// PostgreSQL: one throwaway cluster per test file (vitest runs each file in its own forked
// process, so "per file" is "per module instance"), started lazily on the first postgres
// location, so a file that only touches SQLite pays nothing. Each location is a new database in
// that cluster. The cluster is stopped in two ways, so it never outlives the file:
//   1. `usePostgresCluster()` registers an `afterAll` that stops it (the normal path, and it
//      reports a failing stop);
//   2. `startPgCluster` itself registers a process-exit hook that stops every cluster it
//      started, which covers files that forget (1) and workers that end abruptly.
// Roles (`estate_app`, `estate_door`) are cluster-wide while grants are per database; the
// migration creates the roles only when missing, so databases in one cluster coexist, but two
// migrations must not run concurrently in the same cluster (tests in a file run sequentially).
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll } from 'vitest'
import { startPgCluster, type PgCluster } from './pg-cluster.ts'

export const ENGINES = ['sqlite', 'postgres'] as const
export type EngineName = (typeof ENGINES)[number]

export interface FreshLocation {
  readonly url: string
  cleanup(): Promise<void>
}

let cluster: Promise<PgCluster> | undefined
let databases = 0

/** Registers an `afterAll` that stops this file's PostgreSQL cluster, if one was started. */
export function usePostgresCluster(): void {
  afterAll(stopPostgresCluster)
}

/** Stops this file's cluster (if started); the next postgres location starts a new one. */
export async function stopPostgresCluster(): Promise<void> {
  const running = cluster
  cluster = undefined
  if (running === undefined) return
  const started = await running.catch(() => undefined)
  await started?.stop()
}

/** This file's cluster, started on first use. A failed start is not cached: the next call retries. */
export function postgresCluster(): Promise<PgCluster> {
  if (cluster === undefined) {
    const starting = startPgCluster()
    cluster = starting
    starting.catch(() => {
      if (cluster === starting) cluster = undefined
    })
  }
  return cluster
}

/**
 * A fresh store location for the engine: a temp SQLite file path, or a new database in a shared
 * per-test-file PostgreSQL cluster.
 */
export async function freshLocation(engine: EngineName): Promise<FreshLocation> {
  return engine === 'postgres' ? freshPostgresDatabase() : freshSqliteFile()
}

async function freshSqliteFile(): Promise<FreshLocation> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'estate-sqlite-'))
  return {
    url: path.join(dir, 'estate.db'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

async function freshPostgresDatabase(): Promise<FreshLocation> {
  const owner = postgresCluster()
  const { port } = await owner
  const name = `db_${++databases}`
  await onMaintenanceDatabase(port, (client) =>
    client.query(`CREATE DATABASE ${name} STRATEGY = FILE_COPY`),
  )
  let cleaned = false
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${name}`,
    async cleanup() {
      if (cleaned) return
      cleaned = true
      // The cluster may already be gone (stopped in afterAll): then so is the database.
      if (cluster !== owner) return
      // FORCE ends sessions a test left open (PostgreSQL 13+).
      await onMaintenanceDatabase(port, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      )
    },
  }
}

async function onMaintenanceDatabase(
  port: number,
  action: (client: pg.Client) => Promise<unknown>,
): Promise<void> {
  const client = new pg.Client({
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    connectionTimeoutMillis: 10_000,
  })
  await client.connect()
  try {
    await action(client)
  } finally {
    await client.end()
  }
}
