import type { AppOptions, EStateApp } from './app.ts'
import type { Config } from './config.ts'
import { createMetrics } from './metrics.ts'
import { openPlatform, type Platform } from './platform.ts'
import { createLogger, systemClock } from '../shared/index.ts'

export type { EStateApp, AppOptions } from './app.ts'

/**
 * Builds the node's HTTP app (`app.ts`), loaded when a command asks for it: an operator's
 * command that only opens the store (migrate, ca, eid, keys…) does not load Fastify, the portal
 * and every route.
 */
export async function createApp(config: Config, options: AppOptions = {}): Promise<EStateApp> {
  const app = await import('./app.ts')
  return app.createApp(config, options)
}
/**
 * The platform without the HTTP app, for a command that acts on the node's domain and calls no
 * exchange service (an in-process provider answers through the app's routes): `e-state sign`
 * uses the PKI, the TSA and OCSP, and so starts without Fastify, the portal and every route.
 */
export async function openPlatformOnly(
  config: Config,
  options: { readonly drainIntervalMs?: number } = {},
): Promise<Platform> {
  return openPlatform({
    config,
    clock: systemClock,
    logger: createLogger(config.logLevel),
    metrics: createMetrics(),
    drainIntervalMs: options.drainIntervalMs,
    providers: new Map(),
  })
}
export {
  readConfig,
  publicUrl,
  parseMasterKey,
  ConfigError,
  type Config,
  type Environment,
} from './config.ts'
export { isStandby, type Platform } from './platform.ts'
export { commandLineVisit, issueAtDesk } from '../services/eid-desk/index.ts'
export { MODULES, ERROR_CATALOGUE, MIGRATIONS, DATA_KEYS } from './modules.ts'
