/**
 * Identity as a module: e-ID login (Web eID), sessions, passkeys, mandates and the OpenID
 * Connect provider over HTTP; the tables that hold them and their errors. The session checks
 * every other module uses (`requireSession`, `requireStepUp`) are in `session-http.ts`.
 */
import { defineModule } from '../platform/index.ts'
import { IDENTITY_ERRORS } from './errors.ts'
import { identityMigration } from './migrations/0014-identity.ts'
import { oidcMigration } from './migrations/0016-oidc.ts'
import { passkeysMigration } from './migrations/0018-passkeys.ts'
import type { OidcNeeds } from './oidc-routes.ts'
import type { IdentityNeeds } from './routes.ts'

export const identityModule = defineModule<IdentityNeeds & OidcNeeds>({
  name: 'identity',
  summary: 'Login with e-ID and passkeys, sessions, mandates, and an OpenID Connect provider',
  // The routes load when the node registers them: a command or a worker thread that imports
  // this context does not load its HTTP side.
  routes: async (app, { platform }) => {
    ;(await import('./routes.ts')).registerIdentityRoutes(app, platform)
    ;(await import('./oidc-routes.ts')).registerOidcRoutes(app, platform)
  },
  migrations: [
    { name: '0014-identity', migration: identityMigration },
    { name: '0016-oidc', migration: oidcMigration },
    { name: '0018-passkeys', migration: passkeysMigration },
  ],
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
  // The person's mandates, asked of the registers that keep them (`mandatesOf`).
  exchange: { consumes: ['population', 'business'] },
})
