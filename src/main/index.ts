export { createApp, type EStateApp, type AppOptions } from './app.ts'
export { readConfig, parseMasterKey, ConfigError, type Config, type Environment } from './config.ts'
export { isStandby, type Platform } from './platform.ts'
export { issueAtDesk } from './routes/eid.ts'
