/**
 * Automatic promotion at the embassy: the watcher. Promotion is manual by default; a site is in
 * automatic mode when its `site.json` names an arbiter (`enableAutomaticMode`), and then the
 * watcher runs beside it (`e-state site watch`).
 *
 * Every second the watcher probes the primary as the replication link would (`probePrimary`).
 * When its probes have failed without a break for the grace period, it promotes through the
 * ordinary path (`promoteEmbassy`) with the arbiter's vote as the deciding condition: the
 * promotion checks again that the primary is silent, then asks the arbiter, and changes nothing
 * unless the arbiter also sees the primary dead (`CLOUD_NO_QUORUM` otherwise). Refused, the
 * watcher keeps probing and asks again a second later while the silence lasts; a primary that
 * answers again resets the count. So an embassy cut off from the primary alone never promotes
 * while the arbiter still sees the primary.
 *
 * The term asked for is the generation the promotion will create (the replica's generation + 1),
 * so the arbiter's record names exactly this promotion.
 */
import { existsSync } from 'node:fs'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { systemClock, type Clock } from '../shared/index.ts'
import { readSiteGeneration } from './acts.ts'
import { readArbiterSecret, requestVote } from './arbiter-protocol.ts'
import { CloudError } from './errors.ts'
import { probePrimary, promoteEmbassy, type PromoteReport } from './promote.ts'
import { openSite, withAdmin, type Site } from './site.ts'

export interface WatchOptions {
  readonly site: Site
  readonly arbiter: {
    readonly url: string
    readonly secret: Uint8Array
    /** CA certificates (PEM) of an `https:` arbiter. */
    readonly ca?: Buffer
  }
  /** Silence needed before asking for the vote (10 s). */
  readonly graceMs?: number
  readonly intervalMs?: number
  readonly probeTimeoutMs?: number
  /** The name this embassy asks under (its host). */
  readonly candidate?: string
  readonly clock?: Clock
  readonly log?: (line: string) => void
}

export type WatchOutcome =
  { readonly outcome: 'promoted'; readonly report: PromoteReport } | { readonly outcome: 'stopped' }

export interface Watcher {
  /** Settles when the embassy has been promoted or the watcher stopped; rejects on failure. */
  readonly done: Promise<WatchOutcome>
  stop(): Promise<void>
}

const MIN_FAILURES = 3

export function watchPrimary(options: WatchOptions): Watcher {
  const clock = options.clock ?? systemClock
  const graceMs = options.graceMs ?? 10_000
  const intervalMs = options.intervalMs ?? 1_000
  const probeTimeoutMs = options.probeTimeoutMs ?? 1_000
  const log = options.log ?? (() => undefined)
  const state = { stopped: false, wake: undefined as (() => void) | undefined }

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      state.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  const done = (async (): Promise<WatchOutcome> => {
    await termOfPromotion(options.site)
    let failingSince: number | undefined
    let failures = 0
    while (!state.stopped) {
      const began = clock.now().getTime()
      const seen = await probePrimary(options.site, probeTimeoutMs)
      if (seen === 'alive') {
        if (failingSince !== undefined) log('primary answers again')
        failingSince = undefined
        failures = 0
      } else {
        if (failingSince === undefined) log('primary silent')
        failingSince ??= began
        failures += 1
      }
      const silentMs = clock.now().getTime() - (failingSince ?? Infinity)
      if (!state.stopped && failures >= MIN_FAILURES && silentMs >= graceMs) {
        const report = await tryPromotion(options, log)
        if (report === 'primary-alive') failingSince = undefined
        else if (report !== 'no-vote') return { outcome: 'promoted', report }
      }
      if (!state.stopped) await pause(Math.max(0, intervalMs - (clock.now().getTime() - began)))
    }
    return { outcome: 'stopped' }
  })()

  return {
    done,
    stop: async () => {
      state.stopped = true
      state.wake?.()
      await done.catch(() => undefined)
    },
  }
}

/** The generation a promotion of this replica creates; `CLOUD_NOT_REPLICA` on a primary. */
async function termOfPromotion(site: Site): Promise<number> {
  const current = await withAdmin(site, readSiteGeneration)
  if (!current.inRecovery)
    throw new CloudError('CLOUD_NOT_REPLICA', `${site.dir} is a primary already: nothing to watch`)
  return current.generation + 1
}

/**
 * One attempt: the promotion path with the arbiter's vote. Until the vote is given nothing has
 * changed, so a refusal or a failure (the local server briefly unreachable) is logged and the
 * watcher tries again; a failure after the vote means a promotion began, and is thrown.
 */
async function tryPromotion(
  options: WatchOptions,
  log: (line: string) => void,
): Promise<PromoteReport | 'no-vote' | 'primary-alive'> {
  const site = options.site
  const candidate = options.candidate ?? site.config.host
  let voted = false
  try {
    const term = await termOfPromotion(site)
    const report = await promoteEmbassy(site, {
      vote: async () => {
        const answer = await requestVote(options.arbiter, candidate, term)
        log(`arbiter: ${answer.vote} (${answer.reason})`)
        voted = answer.vote === 'dead'
        return voted
      },
    })
    log(`promoted to generation ${report.generation} in ${report.tookMs} ms`)
    return report
  } catch (error) {
    const code = (error as { code?: string }).code
    if (voted || code === 'CLOUD_NOT_REPLICA') throw error
    if (code === 'CLOUD_PRIMARY_ALIVE') {
      log('no promotion: the primary answered the promotion probe')
      return 'primary-alive'
    }
    log(`no promotion: ${(error as Error).message}`)
    return 'no-vote'
  }
}

const SECRET_FILE = 'arbiter.secret'
const CA_FILE = 'arbiter-ca.crt'

/**
 * Puts the site in automatic mode: the arbiter's URL in `site.json`, its secret (and CA, for
 * HTTPS) copied into the site directory. Returns the site as reopened.
 */
export async function enableAutomaticMode(
  site: Site,
  arbiter: { readonly url: string; readonly secretFile: string; readonly caFile?: string },
): Promise<Site> {
  await readArbiterSecret(arbiter.secretFile)
  const url = new URL(arbiter.url)
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CloudError('CLOUD_SITE_INVALID', `the arbiter URL must be http: or https:`)
  await writeFile(path.join(site.dir, SECRET_FILE), await readFile(arbiter.secretFile), {
    mode: 0o600,
  })
  if (arbiter.caFile !== undefined) await copyFile(arbiter.caFile, path.join(site.dir, CA_FILE))
  const config = { ...site.config, arbiter: url.toString() }
  await writeFile(path.join(site.dir, 'site.json'), `${JSON.stringify(config, null, 2)}\n`)
  return openSite(site.dir)
}

/** The arbiter a site in automatic mode uses; `CLOUD_SITE_INVALID` in manual mode. */
export async function automaticModeOf(site: Site): Promise<WatchOptions['arbiter']> {
  if (site.config.arbiter === undefined)
    throw new CloudError(
      'CLOUD_SITE_INVALID',
      `${site.dir} is in manual mode: give --arbiter URL --arbiter-secret FILE to make it automatic`,
    )
  const caFile = path.join(site.dir, CA_FILE)
  return {
    url: site.config.arbiter,
    secret: await readArbiterSecret(path.join(site.dir, SECRET_FILE)),
    ca: existsSync(caFile) ? await readFile(caFile) : undefined,
  }
}
