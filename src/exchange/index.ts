export {
  issueMemberCredential,
  verifyMemberCredential,
  revokeMemberCredential,
  MemberAuthError,
  type MemberAuthErrorCode,
} from './member-credentials.ts'
export {
  ExchangeError,
  EXCHANGE_ERROR_STATUS,
  errorTypeFor,
  type ExchangeErrorType,
} from './errors.ts'
export { isAllowed, pathMatches, validPathPattern, type AccessRight } from './access-rights.ts'
export {
  signGlobalConfiguration,
  verifyGlobalConfiguration,
  certificatePin,
  type GlobalConfiguration,
  type SignedGlobalConfiguration,
} from './global-conf.ts'
export {
  backendHeaders,
  createGateway,
  passedHeaders,
  refusalResponse,
  SIGNATURE_HEADER,
  type Gateway,
  type GatewayPorts,
  type HttpRequest,
  type HttpResponse,
  type BackendRequest,
  type MessageRecord,
  type ServiceRecord,
} from './gateway.ts'
export {
  parseRequestPath,
  parseClientHeader,
  formatServiceId,
  validIdentifier,
  PROTOCOL_VERSION,
  type ServiceId,
} from './request-path.ts'
export {
  ANCHOR_BATCH_MAX,
  ANCHOR_FORMAT,
  anchorBytes,
  anchorLedgerIndex,
  anchorRoot,
  recordAnchor,
  startAnchoring,
  verifyAnchor,
  type AnchorBatch,
} from './anchoring.ts'
export {
  createPeerAgents,
  createProviderServer,
  sendToGateway,
  type GatewayTls,
} from './gateway-transport.ts'
export { bytesInMemory, SpooledBody, type Body } from './body.ts'
export { EXCHANGE_AGENCY, commitmentOf } from './message-log.ts'
export { openExchangeNode, type ExchangeNode } from './exchange-node.ts'
export { IN_PROCESS, recordExchangeAct } from './exchange-store.ts'
export {
  allowRight,
  denyRight,
  listRights,
  ownService,
  setOpenApi,
  validClient,
  type RightChange,
} from './management.ts'
export { listClients, METASERVICES } from './metaservices.ts'
export {
  startStandaloneGateway,
  type StandaloneGatewayConfig,
  type RunningGateway,
} from './standalone-gateway.ts'
export { createThreadedMessageLog, type ThreadedMessageLog } from './message-log-thread.ts'
export {
  EVIDENCE_FORMAT,
  verifyEvidence,
  type Evidence,
  type VerifiedEvidence,
} from './evidence.ts'
export { exportEvidence, gatewayAnchorOf } from './evidence-export.ts'
export {
  monitoringRecords,
  exchangeStatistics,
  STATISTICS_DELAY_DAYS,
  type MonitoringRecord,
  type StatisticsRow,
} from './operations.ts'
export { ExchangeCallerError, EXCHANGE_ERRORS, type ExchangeCallerErrorCode } from './errors.ts'
export {
  agencyCallerOf,
  bearerToken,
  callerOf,
  fromGateway,
  portalCallerOf,
  GATEWAY_TOKEN_HEADER,
  type CallerNeeds,
} from './caller.ts'
export {
  createExchangeClient,
  EXCHANGE_BODY_LIMIT,
  RemoteRefusal,
  type ExchangeCall,
  type ExchangeClient,
  type ExchangeClientOptions,
  type InProcessProvider,
} from './client.ts'
export type { ExchangeNeeds } from './routes.ts'
export { injectProvider } from './in-process.ts'
export { exchangeModule } from './module.ts'
