/** The engine's own bulk-insert rate on a bare table: the baseline the seeding rate is read against. */
import { rmSync } from 'node:fs'
import { CompiledQuery } from 'kysely'
import { openStore } from '../src/storage/index.ts'

const ROWS = 200_000

export async function measureRawInserts(
  engine: 'sqlite' | 'postgres',
  url: string,
): Promise<number> {
  const store = await openStore(
    engine === 'sqlite' ? { url, sqlite: { journalMode: 'OFF', synchronous: 'OFF' } } : { url },
  )
  try {
    const started = performance.now()
    if (engine === 'sqlite') {
      const sqlite = store.sqlite as NonNullable<typeof store.sqlite>
      sqlite.exec(
        'CREATE TABLE raw (code TEXT NOT NULL, name TEXT NOT NULL, born TEXT NOT NULL, n INTEGER NOT NULL)',
      )
      sqlite.exec('BEGIN')
      const insert = sqlite.prepare('INSERT INTO raw VALUES (?, ?, ?, ?)')
      for (let index = 0; index < ROWS; index++)
        insert.run(String(30000000000 + index), 'Name', '1980-01-01', index)
      sqlite.exec('COMMIT')
    } else {
      await store.admin.executeQuery(
        CompiledQuery.raw(
          'CREATE TABLE raw (code text NOT NULL, name text NOT NULL, born text NOT NULL, n integer NOT NULL)',
        ),
      )
      await store.admin.transaction().execute(async (trx) => {
        for (let start = 0; start < ROWS; start += 1000) {
          const parameters: unknown[] = []
          const groups: string[] = []
          for (let index = start; index < start + 1000; index++) {
            const base = parameters.length
            groups.push(`($${base + 1},$${base + 2},$${base + 3},$${base + 4})`)
            parameters.push(String(30000000000 + index), 'Name', '1980-01-01', index)
          }
          await trx.executeQuery(
            CompiledQuery.raw(`INSERT INTO raw VALUES ${groups.join(',')}`, parameters),
          )
        }
      })
    }
    return ROWS / ((performance.now() - started) / 1000)
  } finally {
    if (engine === 'postgres')
      await store.admin.executeQuery(CompiledQuery.raw('DROP TABLE IF EXISTS raw'))
    await store.close()
    if (engine === 'sqlite') rmSync(url, { force: true })
  }
}
