/**
 * The OpenID Connect provider on the HTTP edge: discovery at the root and the protocol under
 * `/oidc/*` go straight to `oidc-provider` (raw request, body unread); `/oidc/interaction/<uid>`
 * is e-state's login step — the e-ID session answers it, or the person is sent to log in first.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { OidcProvider } from './oidc.ts'
import { cookiesOf, SESSION_COOKIE } from './session-http.ts'
import type { SessionStore } from './sessions.ts'

/** What the OpenID Connect provider's routes ask of the platform. */
export interface OidcNeeds {
  readonly oidc: OidcProvider
  readonly sessions: SessionStore
}

export function registerOidcRoutes(app: FastifyInstance, platform: () => OidcNeeds): void {
  void app.register(async (scope) => {
    // Leave bodies unread: the provider parses its own (form-encoded) requests.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null))
    const passThrough = async (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack()
      await platform().oidc.handle(request.raw, reply.raw)
    }
    const hidden = { schema: { hide: true } }
    scope.all('/.well-known/openid-configuration', hidden, passThrough)
    scope.get('/oidc/interaction/:uid', hidden, async (request, reply) => {
      const { uid } = request.params as { uid: string }
      const id = cookiesOf(request).get(SESSION_COOKIE)
      const session = id === undefined ? undefined : await platform().sessions.find(id)
      reply.hijack()
      let outcome: 'finished' | 'login-needed'
      try {
        outcome = await platform().oidc.interaction(request.raw, reply.raw, session)
      } catch {
        // No (or an expired) interaction for this browser: answer, never leave the socket open.
        if (!reply.raw.headersSent) {
          reply.raw.writeHead(400, { 'content-type': 'application/problem+json' })
          reply.raw.end(
            JSON.stringify({
              type: 'urn:e-state:problem:oidc_invalid_request',
              title: 'OpenID Connect request refused',
              status: 400,
              code: 'OIDC_INVALID_REQUEST',
              detail: 'no login is in progress here: start again from the application',
            }),
          )
        } else reply.raw.end()
        return
      }
      if (outcome === 'login-needed') {
        reply.raw.writeHead(303, {
          location: `/login?next=${encodeURIComponent(`/oidc/interaction/${uid}`)}`,
          'cache-control': 'no-store',
        })
        reply.raw.end()
      }
    })
    scope.all('/oidc/*', hidden, passThrough)
  })
}
