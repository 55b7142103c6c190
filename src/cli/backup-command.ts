/**
 * `e-state backup create [--out DIR] | list [--dir DIR] | verify FILE | restore FILE --to TARGET
 * [--replace]`: encrypted backups of the whole state (SQLite or PostgreSQL, whichever
 * E_STATE_DATABASE_URL names), sealed by the installation's master key. `--out`/`--dir` default
 * to E_STATE_BACKUP_DIR (a folder at the other site). A restore rebuilds a SQLite file or an
 * empty PostgreSQL database; run `e-state ledger audit` on the restored site afterwards.
 */
import { parseArgs } from 'node:util'
import { createBackup, listBackups, restoreBackup, verifyBackup } from '../cloud/index.ts'
import { readConfig } from '../main/index.ts'

const USAGE =
  'usage: e-state backup create [--out DIR] | list [--dir DIR] | verify FILE | restore FILE --to (SQLITE_FILE | postgres://…) [--replace]'

export async function runBackup(args: string[]): Promise<number> {
  const [action, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      out: { type: 'string' },
      dir: { type: 'string' },
      to: { type: 'string' },
      replace: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  })
  const config = readConfig()
  const folder = values.out ?? values.dir ?? config.backup?.folder
  switch (action) {
    case 'create': {
      if (folder === undefined || positionals.length > 0) break
      const report = await createBackup({
        databaseUrl: config.databaseUrl,
        masterKeys: config.masterKeys,
        folder,
      })
      process.stdout.write(
        `backup ${report.path}: ${report.engine}, ${report.bytes} bytes, taken ${report.createdAt}, sealed by master key ${config.masterKeys.current.id}\n`,
      )
      return 0
    }
    case 'list': {
      if (folder === undefined || positionals.length > 0) break
      for (const path of listBackups(folder)) process.stdout.write(`${path}\n`)
      return 0
    }
    case 'verify': {
      if (positionals.length !== 1) break
      const checked = await verifyBackup(positionals[0], config.masterKeys)
      process.stdout.write(
        `backup ${positionals[0]}: ${checked.engine}, taken ${checked.createdAt}, every frame authentic (${checked.plainBytes} bytes)\n`,
      )
      return 0
    }
    case 'restore': {
      if (positionals.length !== 1 || values.to === undefined) break
      const restored = await restoreBackup({
        path: positionals[0],
        masterKeys: config.masterKeys,
        target: values.to,
        replace: values.replace,
      })
      process.stdout.write(
        `restored the ${restored.engine} backup of ${restored.createdAt}; now run e-state ledger audit against it\n`,
      )
      return 0
    }
  }
  process.stderr.write(`${USAGE}\n`)
  return 2
}
