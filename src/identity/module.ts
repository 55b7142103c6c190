/**
 * Identity as a module: e-ID login (Web eID), sessions, passkeys, mandates and the OpenID
 * Connect provider over HTTP; the tables that hold them and their errors. The session checks
 * every other module uses (`requireSession`, `requireStepUp`) are in `session-http.ts`.
 */
import { defineModule } from '../platform/index.ts'
import { IDENTITY_ERRORS } from './errors.ts'
import { registerOidcRoutes, type OidcNeeds } from './oidc-routes.ts'
import { registerIdentityRoutes, type IdentityNeeds } from './routes.ts'

export const identityModule = defineModule<IdentityNeeds & OidcNeeds>({
  name: 'identity',
  summary: 'Login with e-ID and passkeys, sessions, mandates, and an OpenID Connect provider',
  routes: (app, { platform }) => {
    registerIdentityRoutes(app, platform)
    registerOidcRoutes(app, platform)
  },
  tables: [
    { name: 'auth_challenges', notPersonalBecause: 'single-use random nonces' },
    {
      name: 'sessions',
      notPersonalBecause: "a person's own login sessions, read only with their session cookie",
    },
    { name: 'passkeys', notPersonalBecause: "a person's own passkeys, used only to log them in" },
    { name: 'oidc_payloads', notPersonalBecause: "the OpenID provider's short-lived state" },
  ],
  errors: IDENTITY_ERRORS,
})
