/**
 * Encrypted backups and restore, on both engines: a backup taken while the node runs restores
 * into a working store whose ledger audit passes (with the same keys, provisioned at the other
 * site); a changed, cut-off, extended or foreign-key backup is refused and nothing takes the
 * target's place.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createBackup,
  listBackups,
  restoreBackup,
  scheduleBackups,
  verifyBackup,
} from '../src/cloud/index.ts'
import { generateMasterKey, type MasterKeyRing } from '../src/crypto/index.ts'
import { openStore } from '../src/storage/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { cliOn } from './support/cli.ts'
import { ENGINES } from './support/engines.ts'

const keyText = (ring: MasterKeyRing) =>
  `${ring.current.id}:${Buffer.from(ring.current.key).toString('base64')}`

/** `e-state ledger audit` against a restored store, with the original site's keys. */
function auditRestored(t: TestApp, databaseUrl: string, site: string) {
  // The keys are provisioned at the other site, not carried in the backup.
  cpSync(join(dirname(t.dataDir), 'keys'), join(site, 'keys'), { recursive: true })
  const result = spawnSync(process.execPath, ['bin/e-state.js', 'ledger', 'audit'], {
    env: {
      ...process.env,
      E_STATE_ENV: 'development',
      E_STATE_DATA_DIR: join(site, 'data'),
      E_STATE_DATABASE_URL: databaseUrl,
      E_STATE_MASTER_KEY: keyText(t.config.masterKeys),
      E_STATE_LOG_LEVEL: 'silent',
    },
    encoding: 'utf8',
    timeout: 120_000,
  })
  return result
}

describe.each(ENGINES)('backups on %s', (engine) => {
  let t: TestApp
  let work: string
  beforeAll(async () => {
    t = await startTestApp(engine, { population: 300 })
    work = mkdtempSync(join(tmpdir(), `estate-backup-${engine}-`))
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    if (work !== undefined) rmSync(work, { recursive: true, force: true })
  })

  it('restores a backup taken while running into a store whose ledger audit passes', async () => {
    // Acts keep coming while the backup is taken.
    const busy = (async () => {
      for (let index = 0; index < 20; index++)
        await t.inject({
          method: 'POST',
          url: '/auth/challenge',
          remoteAddress: `198.51.100.${index}`,
        })
    })()
    const report = await createBackup({
      databaseUrl: t.config.databaseUrl,
      masterKeys: t.config.masterKeys,
      folder: join(work, 'embassy'),
    })
    await busy
    expect(report.path).toMatch(new RegExp(`estate-${engine}-.+\\.backup$`))
    const bytes = readFileSync(report.path)
    // Nothing readable inside: not the country's names, not SQLite's or pg_dump's header.
    expect(bytes.includes(Buffer.from('SQLite format 3'))).toBe(false)
    expect(bytes.includes(Buffer.from('PGDMP'))).toBe(false)
    expect((await verifyBackup(report.path, t.config.masterKeys)).engine).toBe(engine)

    const site = join(work, 'restored')
    const target =
      engine === 'sqlite' ? join(site, 'data', 'estate.db') : await emptyDatabase(t, 'restored')
    await restoreBackup({ path: report.path, masterKeys: t.config.masterKeys, target })
    const audit = auditRestored(t, target, site)
    expect(audit.stderr).toBe('')
    expect(audit.status).toBe(0)
    expect(audit.stdout).toMatch(/pass|ok|intact/i)

    // The restored store holds the same country.
    const count = async (url: string) => {
      const store = await openStore({ url })
      try {
        const row = await store.admin
          .selectFrom('persons')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
        return Number(row.n)
      } finally {
        await store.close()
      }
    }
    expect(await count(target)).toBe(await count(t.config.databaseUrl))
  }, 180_000)

  it('refuses a backup that was changed, cut off, extended, or sealed by another key', async () => {
    const report = await createBackup({
      databaseUrl: t.config.databaseUrl,
      masterKeys: t.config.masterKeys,
      folder: join(work, 'hostile'),
    })
    const original = readFileSync(report.path)
    const variant = (name: string, bytes: Buffer) => {
      const path = join(work, 'hostile', `${name}.backup`)
      writeFileSync(path, bytes)
      return path
    }
    const flipped = Buffer.from(original)
    flipped[Math.floor(flipped.length / 2)] ^= 0x01
    const cases = [
      ['changed', variant('changed', flipped), 'CLOUD_BACKUP_CORRUPT'],
      [
        'cut off',
        variant('cut', original.subarray(0, original.length - 40)),
        'CLOUD_BACKUP_CORRUPT',
      ],
      [
        'extended',
        variant('extended', Buffer.concat([original, original.subarray(-200)])),
        'CLOUD_BACKUP_CORRUPT',
      ],
      [
        'header changed',
        variant(
          'header',
          Buffer.from(
            original.toString('latin1').replace(`"engine":"${engine}"`, `"engine":"${engine}" `),
            'latin1',
          ),
        ),
        'CLOUD_BACKUP',
      ],
      ['not a backup', variant('plain', Buffer.from('SQLite format 3\0')), 'CLOUD_BACKUP_INVALID'],
    ] as const
    for (const [what, path, code] of cases) {
      const target =
        engine === 'sqlite'
          ? join(work, `target-${what.replaceAll(' ', '-')}.db`)
          : await emptyDatabase(t, `target_${what.replaceAll(' ', '_')}`)
      await expect(
        restoreBackup({ path, masterKeys: t.config.masterKeys, target }),
        what,
      ).rejects.toMatchObject({ code: expect.stringContaining(code) })
      // Nothing half-restored.
      if (engine === 'sqlite') expect(existsSync(target)).toBe(false)
      else expect(await tableCount(target)).toBe(0)
    }
    const stranger = { current: generateMasterKey('other'), previous: [] }
    await expect(verifyBackup(report.path, stranger)).rejects.toMatchObject({
      code: 'CLOUD_BACKUP_WRONG_KEY',
    })
    const sameIdOtherKey = {
      current: generateMasterKey(t.config.masterKeys.current.id),
      previous: [],
    }
    await expect(verifyBackup(report.path, sameIdOtherKey)).rejects.toMatchObject({
      code: 'CLOUD_BACKUP_WRONG_KEY',
    })
    // After a master-key rotation the old key, kept as previous, still opens it.
    const rotated = { current: generateMasterKey('next'), previous: [t.config.masterKeys.current] }
    expect((await verifyBackup(report.path, rotated)).engine).toBe(engine)
    // A restore never overwrites a store it was not told to replace.
    await expect(
      restoreBackup({
        path: report.path,
        masterKeys: t.config.masterKeys,
        target: t.config.databaseUrl,
      }),
    ).rejects.toMatchObject({ code: 'CLOUD_SITE_INVALID' })
  }, 180_000)
})

async function emptyDatabase(t: TestApp, name: string): Promise<string> {
  const url = new URL(t.config.databaseUrl)
  const database = `${url.pathname.slice(1)}_${name}`
  const client = new pg.Client({ connectionString: t.config.databaseUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${database}`)
  } finally {
    await client.end()
  }
  url.pathname = `/${database}`
  return url.toString()
}

async function tableCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const result = await client.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
    )
    return (result.rows[0] as { n: number }).n
  } finally {
    await client.end()
  }
}

describe('scheduled backups', () => {
  it('take a backup at every interval and keep the newest', async () => {
    const t = await startTestApp('sqlite', { population: 100 })
    const folder = mkdtempSync(join(tmpdir(), 'estate-backup-schedule-'))
    const logged: string[] = []
    const logger = {
      info: (_: unknown, message: string) => void logged.push(message),
      error: (_: unknown, message: string) => void logged.push(message),
    }
    const schedule = scheduleBackups({
      databaseUrl: t.config.databaseUrl,
      masterKeys: t.config.masterKeys,
      folder,
      intervalMs: 150,
      keep: 2,
      logger: logger as never,
    })
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500))
      await schedule.close()
      const kept = listBackups(folder)
      expect(kept).toHaveLength(2)
      expect(logged.filter((message) => message === 'backup written').length).toBeGreaterThan(2)
      expect(logged).not.toContain('backup failed')
      for (const path of kept)
        expect((await verifyBackup(path, t.config.masterKeys)).engine).toBe('sqlite')
    } finally {
      await schedule.close()
      rmSync(folder, { recursive: true, force: true })
      await t.close()
    }
  }, 120_000)
})

describe('the backup command', () => {
  it('creates, lists, verifies and restores, and refuses bad usage', async () => {
    const t = await startTestApp('sqlite', { population: 100 })
    const folder = mkdtempSync(join(tmpdir(), 'estate-backup-cli-'))
    try {
      const env = { E_STATE_BACKUP_DIR: folder }
      const created = await cliOn(t, ['backup', 'create'], env)
      expect(created.stderr).toBe('')
      expect(created.code).toBe(0)
      const path = /^backup (\S+): sqlite,/.exec(created.stdout)?.[1] as string
      expect(existsSync(path)).toBe(true)
      expect((await cliOn(t, ['backup', 'list'], env)).stdout.trim()).toBe(path)
      const verified = await cliOn(t, ['backup', 'verify', path])
      expect(verified.stdout).toMatch(/every frame authentic/)
      const target = join(folder, 'restored', 'estate.db')
      const restored = await cliOn(t, ['backup', 'restore', path, '--to', target])
      expect(restored.code).toBe(0)
      expect(existsSync(target)).toBe(true)
      const again = await cliOn(t, ['backup', 'restore', path, '--to', target])
      expect(again.code).toBe(1)
      expect(again.stderr).toMatch(/CLOUD_SITE_INVALID/)
      expect((await cliOn(t, ['backup', 'restore', path])).code).toBe(2)
      // Another installation's master key cannot open it.
      const stranger = await cliOn(t, ['backup', 'verify', path], {
        E_STATE_MASTER_KEY: `other:${Buffer.alloc(32, 7).toString('base64')}`,
      })
      expect(stranger.code).toBe(1)
      expect(stranger.stderr).toMatch(/CLOUD_BACKUP_WRONG_KEY/)
    } finally {
      rmSync(folder, { recursive: true, force: true })
      await t.close()
    }
  }, 120_000)
})
