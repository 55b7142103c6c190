import { existsSync } from 'node:fs'
import pg from 'pg'
import { describe, it, expect } from 'vitest'
import { findPgBinDir, startPgCluster } from './pg-cluster.ts'

describe('pg-cluster', () => {
  it('finds the PostgreSQL server binaries', () => {
    expect(existsSync(`${findPgBinDir()}/initdb`)).toBe(true)
  })

  it('starts a throwaway cluster on 127.0.0.1 and removes it on stop', async () => {
    const started = Date.now()
    const cluster = await startPgCluster()
    const startMs = Date.now() - started
    console.log(`pg cluster started in ${startMs} ms on port ${cluster.port}`)

    try {
      expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/estate`)
      expect(existsSync(cluster.dataDir)).toBe(true)

      const client = new pg.Client({ connectionString: cluster.url })
      await client.connect()
      try {
        const one = await client.query<{ x: number }>('select 1 as x')
        expect(one.rows).toEqual([{ x: 1 }])

        const version = await client.query<{ server_version: string }>('show server_version')
        expect(version.rows[0].server_version).toMatch(/^\d+/)

        const listen = await client.query<{ listen_addresses: string }>('show listen_addresses')
        expect(listen.rows[0].listen_addresses).toBe('127.0.0.1')

        const db = await client.query<{ db: string }>('select current_database() as db')
        expect(db.rows[0].db).toBe('estate')
      } finally {
        await client.end()
      }
    } finally {
      await cluster.stop()
    }

    expect(existsSync(cluster.dataDir)).toBe(false)
    await cluster.stop() // idempotent

    const after = new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 2000 })
    await expect(after.connect()).rejects.toThrow()
    await after.end().catch(() => {})
  })

  it('creates the requested database', async () => {
    const cluster = await startPgCluster({ database: 'other_db' })
    try {
      expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/other_db`)
      const client = new pg.Client({ connectionString: cluster.url })
      await client.connect()
      try {
        const db = await client.query<{ db: string }>('select current_database() as db')
        expect(db.rows[0].db).toBe('other_db')
      } finally {
        await client.end()
      }
    } finally {
      await cluster.stop()
    }
  })
})
