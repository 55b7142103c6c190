// Two sites on loopback for tests: a root folder the `postgres` OS user can traverse, TLS for
// each site from a throwaway site CA, and pairs of a primary and a synchronous embassy, all
// stopped and removed by `close()`.
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  freePort,
  initEmbassy,
  initPrimary,
  issueSiteTls,
  killServer,
  serverOwner,
  siteCaIssuer,
  siteStatus,
  stopServer,
  type Site,
} from '../../src/cloud/index.ts'
import { MIGRATIONS } from './migrations.ts'

export interface SiteLab {
  readonly root: string
  /** A primary and its synchronous embassy, replicating; `setup` SQL runs on the primary. */
  startPair(setup?: readonly string[]): Promise<{ primary: Site; embassy: Site }>
  close(): Promise<void>
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('timed out')
}

export async function openSiteLab(name: string): Promise<SiteLab> {
  const root = await mkdtemp(path.join(os.tmpdir(), `estate-${name}-`))
  await chmod(root, 0o711)
  const issuer = await siteCaIssuer('e-state test')
  await issueSiteTls(issuer, path.join(root, 'tls-primary'), ['localhost'], serverOwner())
  await issueSiteTls(issuer, path.join(root, 'tls-embassy'), ['localhost'], serverOwner())
  const started: Site[] = []
  let pairs = 0
  return {
    root,
    async startPair(setup) {
      const n = ++pairs
      const loopback = { host: 'localhost', address: '127.0.0.1', listen: '127.0.0.1' }
      const primaryPort = await freePort()
      const primary = await initPrimary({
        dir: path.join(root, `primary-${n}`),
        tlsDir: path.join(root, 'tls-primary'),
        config: { ...loopback, port: primaryPort, loopbackTrust: true },
        migrations: MIGRATIONS,
        ...(setup === undefined ? {} : { setup: [...setup] }),
      })
      started.push(primary)
      const embassy = await initEmbassy({
        dir: path.join(root, `embassy-${n}`),
        tlsDir: path.join(root, 'tls-embassy'),
        config: {
          ...loopback,
          port: await freePort(),
          loopbackTrust: true,
          primary: { host: 'localhost', address: '127.0.0.1', port: primaryPort },
        },
      })
      started.push(embassy)
      await waitFor(async () => (await siteStatus(primary)).embassy?.syncState === 'sync')
      return { primary, embassy }
    },
    async close() {
      for (const site of started.reverse())
        await stopServer(site.server, 'immediate').catch(() => killServer(site.server))
      await rm(root, { recursive: true, force: true })
    },
  }
}
