export { signingModule } from './module.ts'
export { SIGNING_ERRORS, SigningError, type SigningErrorCode } from './errors.ts'
export { registerSigningRoutes, ValidationReportSchema, type SigningNeeds } from './routes.ts'
