import type { AppOptions, EStateApp } from './app.ts'
import type { Config } from './config.ts'

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
