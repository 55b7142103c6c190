/**
 * The Kysely factory: one schema, two engines. The embedded default is a `node:sqlite` file under
 * the data directory; `postgres://…` selects PostgreSQL. `admin` runs migrations and bulk loads
 * as the database owner; `db` is what the application uses, and on PostgreSQL it runs as the
 * `estate_app` role, which holds no privilege on personal tables.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import pg from 'pg'
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration'
import type { Engine } from '../platform/index.ts'
import type { MigrationHistory } from './migration-history.ts'
import { APP_ROLE } from './role-grants.ts'
import type { Schema } from './schema.ts'
import { adaptSqliteForKysely, openSqlite, type SqliteOptions } from './sqlite-database.ts'
import { StorageError } from './errors.ts'

export interface Store {
  readonly engine: Engine
  /** The application's handle (least privilege on PostgreSQL). */
  readonly db: Kysely<Schema>
  /** The owner's handle: migrations, bulk loading, the access gate's role switch. */
  readonly admin: Kysely<Schema>
  /** The raw SQLite handle for bulk loading; undefined on PostgreSQL. */
  readonly sqlite: DatabaseSync | undefined
  /** The raw pool for bulk loading; undefined on SQLite. */
  readonly pool: pg.Pool | undefined
  /**
   * Applies the history (every module's migrations, `combineMigrations`) up to `to`, or all of
   * it. A fresh store may take a shorter history that ends where it migrates to.
   */
  migrate(history: MigrationHistory, to?: string): Promise<void>
  close(): Promise<void>
}

export interface StoreLocation {
  /** `postgres://…`, or a path to a SQLite file. */
  readonly url: string
  readonly poolSize?: number
  readonly sqlite?: SqliteOptions
  /**
   * PostgreSQL: the site generation this node has seen (the highest), declared on every
   * connection (`estate.generation`); the site fence refuses acts of another generation.
   */
  readonly generation?: number
}

export function engineOf(url: string): Engine {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite'
}

export async function openStore(location: StoreLocation): Promise<Store> {
  return engineOf(location.url) === 'postgres'
    ? openPostgresStore(location)
    : openSqliteStore(location)
}

function openSqliteStore(location: StoreLocation): Store {
  mkdirSync(dirname(location.url), { recursive: true })
  const sqlite = openSqlite(location.url, location.sqlite)
  const db = new Kysely<Schema>({
    dialect: new SqliteDialect({ database: adaptSqliteForKysely(sqlite) }),
  })
  return {
    engine: 'sqlite',
    db,
    admin: db,
    sqlite,
    pool: undefined,
    migrate: (history, to) => runMigrations(db, history.forEngine('sqlite'), to),
    close: () => db.destroy(),
  }
}

async function openPostgresStore(location: StoreLocation): Promise<Store> {
  const makePool = (max: number): pg.Pool =>
    new pg.Pool({
      connectionString: location.url,
      ...(location.generation === undefined
        ? {}
        : { options: `-c estate.generation=${Math.trunc(location.generation)}` }),
      max,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: 10_000,
      // 64-bit integers as numbers: ids and sizes stay below 2^53.
      types: {
        getTypeParser: (oid: number, format?: 'text' | 'binary') =>
          oid === 20
            ? (value: string) => Number(value)
            : pg.types.getTypeParser(oid, format as 'text'),
      },
    } as pg.PoolConfig)
  const adminPool = makePool(location.poolSize ?? 16)
  const pool = makePool(location.poolSize ?? 16)
  // An idle connection the server drops (restart, failover, shutdown) is discarded by the pool
  // and the next query opens a new one; unhandled, the event would crash the process.
  for (const each of [adminPool, pool]) each.on('error', () => undefined)
  const admin = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: adminPool }) })
  try {
    await sql`select 1`.execute(admin)
  } catch (error) {
    await admin.destroy()
    await pool.end()
    throw new StorageError('STORAGE_UNAVAILABLE', 'cannot connect to PostgreSQL', { cause: error })
  }
  const db = new Kysely<Schema>({
    dialect: new PostgresDialect({
      pool,
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw(`SET ROLE ${APP_ROLE}`))
      },
    }),
  })
  return {
    engine: 'postgres',
    db,
    admin,
    sqlite: undefined,
    pool: adminPool,
    migrate: (history, to) => runMigrations(admin, history.forEngine('postgres'), to),
    close: async () => {
      await db.destroy()
      await admin.destroy()
    },
  }
}

async function runMigrations(
  db: Kysely<Schema>,
  migrations: Record<string, Migration>,
  to?: string,
): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: async (): Promise<Record<string, Migration>> => migrations,
  }
  const migrator = new Migrator({ db, provider })
  const result = to === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(to)
  if (result.error !== undefined) {
    throw new StorageError(
      'STORAGE_MIGRATION_FAILED',
      `migration failed: ${String(result.error)}`,
      {
        cause: result.error,
      },
    )
  }
}
