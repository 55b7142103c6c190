export { CloudError, CLOUD_ERRORS, type CloudErrorCode } from './errors.ts'
export { cloudModule } from './module.ts'
export {
  commitAct,
  readSiteGeneration,
  type Act,
  type ActOutcome,
  type SiteGeneration,
} from './acts.ts'
export {
  initPrimary,
  initEmbassy,
  openSite,
  replicationConninfo,
  EMBASSY_NAME,
  type Site,
  type SiteConfig,
  type InitPrimaryOptions,
  type InitEmbassyOptions,
} from './site.ts'
export {
  issueSiteTls,
  siteCaIssuer,
  statePkiIssuer,
  tlsFilesIn,
  REPLICATION_ROLE,
  type CertificateIssuer,
  type SiteTlsFiles,
} from './site-tls.ts'
export { promoteEmbassy, probePrimary, type PromoteOptions, type PromoteReport } from './promote.ts'
export { siteStatus, degradeSite, restoreSync, type SiteStatus } from './site-operations.ts'
export {
  startServer,
  stopServer,
  killServer,
  postmasterPid,
  serverOwner,
  freePort,
  findPostgresBinDir,
} from './postgres-server.ts'
export {
  runFailoverDrill,
  abandonDrill,
  describeRun,
  type DrillOptions,
  type DrillReport,
  type RunReport,
} from './drill.ts'
export {
  BACKUP_FORMAT,
  createBackup,
  listBackups,
  readBackupHeader,
  restoreBackup,
  scheduleBackups,
  verifyBackup,
  type BackupHeader,
  type BackupReport,
} from './backup.ts'
export {
  createArbiter,
  type Arbiter,
  type ArbiterOptions,
  type ArbiterReply,
  type PrimarySeen,
} from './arbiter.ts'
export {
  requestVote,
  createArbiterSecret,
  readArbiterSecret,
  ARBITER_MAC_HEADER,
  ARBITER_VOTE_PATH,
  type VoteAnswer,
  type VoteRequest,
  type ArbiterClientOptions,
} from './arbiter-protocol.ts'
export {
  initArbiter,
  startArbiter,
  serveArbiter,
  postgresProbe,
  type ArbiterConfig,
  type ArbiterServer,
} from './arbiter-process.ts'
export {
  watchPrimary,
  enableAutomaticMode,
  automaticModeOf,
  type Watcher,
  type WatchOptions,
  type WatchOutcome,
} from './auto-failover.ts'
