export { createApp, type EStateApp, type AppOptions } from './app.ts'
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
export { MODULES, ERROR_CATALOGUE, MIGRATIONS } from './modules.ts'
