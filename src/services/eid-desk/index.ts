export { eidDeskModule } from './module.ts'
export { EID_DESK_ERRORS, EidDeskError, type EidDeskErrorCode } from './errors.ts'
export {
  commandLineVisit,
  issueAtDesk,
  ISSUE_EID,
  renewalMessage,
  registerEidDeskRoutes,
  type EidDeskNeeds,
} from './routes.ts'
export {
  demoClient,
  demoHolder,
  demoResident,
  demoStart,
  type DemoClient,
  type DemoHolder,
} from './demo-client.ts'
