/**
 * What the composition root hands the portal shell: every module's pages bound to the
 * platform, the person logged in (with the audiences their roles open), logging out, and the
 * newest checkpoint for the ledger page.
 */
import { createHmac } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { cookiesOf, rolesOf, sessionCookie, SESSION_COOKIE } from '../identity/index.ts'
import { latestPublished } from '../ledger/index.ts'
import type { Audience, ModuleInstance } from '../platform/index.ts'
import { mountPage, type PortalOptions, type PortalSession } from '../portal/index.ts'
import type { Config } from './config.ts'
import { ERROR_CATALOGUE } from './modules.ts'
import type { Platform } from './platform.ts'

export function portalOptions(
  config: Config,
  platform: () => Platform,
  instances: readonly ModuleInstance<Platform>[],
): PortalOptions {
  return {
    environment: config.environment,
    publicUrl: config.publicUrl,
    secret: portalSecret(config),
    errorStatuses: ERROR_CATALOGUE,
    // A development shortcut is not mounted at all in production: its path is a 404 there.
    pages: instances.flatMap((instance) =>
      instance
        .pages()
        .filter((page) => page.developmentOnly !== true || config.environment === 'development')
        .map((page) => mountPage(page, platform)),
    ),
    checkpoint: async () => (await latestPublished(platform().store.db))?.note,
    session: (request) => portalSession(request, platform()),
    logout: async (request: FastifyRequest, reply: FastifyReply) => {
      const id = cookiesOf(request).get(SESSION_COOKIE)
      if (id !== undefined) await platform().sessions.end(id)
      reply.header('set-cookie', sessionCookie(SESSION_COOKIE, '', 0))
    },
  }
}

/** The live session of the request, and what the person's roles let them open. */
async function portalSession(
  request: FastifyRequest,
  platform: Platform,
): Promise<PortalSession | undefined> {
  const id = cookiesOf(request).get(SESSION_COOKIE)
  if (id === undefined) return undefined
  const session = await platform.sessions.find(id)
  if (session === undefined) return undefined
  const roles = await rolesOf(platform.store.db, session.personalCode)
  const audiences: Audience[] = ['resident']
  if (roles.length > 0) audiences.push('official')
  if (roles.some((role) => role.role === 'clerk')) audiences.push('clerk')
  return {
    personalCode: session.personalCode,
    givenName: session.givenName,
    surname: session.surname,
    audiences,
  }
}

/** The portal's CSRF key, derived from the master key (a key of its own, never the master). */
function portalSecret(config: Config): Buffer {
  return createHmac('sha256', config.masterKeys.current.key).update('e-state portal csrf').digest()
}
