import { MIGRATIONS, readConfig } from '../main/index.ts'
import { openStore } from '../storage/index.ts'

export async function runMigrate(args: string[]): Promise<number> {
  if (args.length > 0) {
    process.stderr.write('e-state migrate takes no arguments\n')
    return 2
  }
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
    process.stdout.write(`migrated ${store.engine} store to the latest schema\n`)
    return 0
  } finally {
    await store.close()
  }
}
