export { IdentityError, type IdentityErrorCode } from './errors.ts'
export {
  createWebEidValidator,
  type TrustedCa,
  type WebEidIdentity,
  type WebEidValidator,
} from './web-eid.ts'
export {
  createSessionStore,
  CHALLENGE_SECONDS,
  IDLE_SECONDS,
  ABSOLUTE_SECONDS,
  type Session,
  type SessionStore,
} from './sessions.ts'
export { rolesOf, requireRole, type Mandate } from './roles.ts'
export { verifyKeyPossession, possessionMessage } from './possession.ts'
export {
  createOidcProvider,
  registerOidcClient,
  oidcCookieKeys,
  type OidcProvider,
  type OidcOptions,
} from './oidc.ts'
export { createPasskeys, type Passkeys } from './passkeys.ts'
export {
  createSoftwareToken,
  openSoftwareToken,
  type OpenedToken,
  type TokenKey,
} from './software-token.ts'
export { IDENTITY_ERRORS } from './errors.ts'
export {
  cookiesOf,
  createRateLimiter,
  decodedCookie,
  refuseCrossSite,
  requireSession,
  requireStepUp,
  sessionCookie,
  SESSION_COOKIE,
  type SessionNeeds,
} from './session-http.ts'
export type { IdentityNeeds, Mandates } from './routes.ts'
export type { OidcNeeds } from './oidc-routes.ts'
export { identityModule } from './module.ts'
