/**
 * The demo desk, in development only: a newcomer's browser has no e-ID, so the front page
 * offers one. The browser makes its two keys (never leaving it) and the demo clerk — the demo
 * resident who holds the `clerk` role — issues the certificates through the real issuance
 * path: a desk visit of that clerk, the population register read through the exchange as the
 * clerk's agency, the act recorded for the resident in the ledger and their tracker.
 * Production refuses it (DEVELOPMENT_ONLY) and does not even mount its page.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { refuseCrossSite } from '../../identity/index.ts'
import { PlatformError, type Environment } from '../../platform/index.ts'
import { DEFAULT_PROFILE } from '../../registries/index.ts'
import { deskVisitOf } from '../desk/index.ts'
import { ISSUE_EID, issueAtDesk, issuedReply, provenKeys, type EidDeskNeeds } from './routes.ts'

const Key = Type.Object(
  { publicKey: Type.String({ maxLength: 400 }), proof: Type.String({ maxLength: 300 }) },
  { additionalProperties: false },
)

/** The demo residents a newcomer may get an e-ID for. */
export const DEMO_RESIDENTS = DEFAULT_PROFILE.demoPersons

export function registerDemoDesk(
  app: FastifyInstance,
  platform: () => EidDeskNeeds,
  environment: Environment,
): void {
  app.post(
    '/dev/desk/issue',
    {
      schema: {
        tags: ['e-ID'],
        summary: 'Development only: the demo clerk issues an e-ID to a demo resident',
        body: Type.Object(
          {
            personalCode: Type.String({ pattern: '^[1-8][0-9]{10}$' }),
            auth: Key,
            sign: Key,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      if (environment !== 'development')
        throw new PlatformError('DEVELOPMENT_ONLY', 'the demo desk exists in development only')
      const body = request.body as { personalCode: string } & Parameters<typeof provenKeys>[1]
      if (!DEMO_RESIDENTS.some((person) => person.personalCode === body.personalCode))
        throw new PlatformError('INVALID_INPUT', 'the demo desk serves the demo residents only', {
          field: 'personalCode',
        })
      // It issues credentials: a browser's post from another site is refused.
      refuseCrossSite(request, platform())
      const clerk = await demoClerk(platform())
      const visit = await deskVisitOf(platform(), clerk, {
        resident: body.personalCode,
        act: ISSUE_EID,
      })
      const { authKey, signKey } = provenKeys(body.personalCode, body)
      const [auth, sign] = await issueAtDesk(platform(), visit, { authKey, signKey })
      request.log.info({ clerk: 'demo', agency: visit.mandate.agency }, 'demo e-ID issued')
      return issuedReply(auth, sign, visit.mandate)
    },
  )
}

/** The demo resident who is a service-desk clerk. */
async function demoClerk(platform: EidDeskNeeds): Promise<string> {
  const row = await platform.store.db
    .selectFrom('officials')
    .select('personal_code')
    .where('role', '=', 'clerk')
    .where(
      'personal_code',
      'in',
      DEMO_RESIDENTS.map((person) => person.personalCode),
    )
    .executeTakeFirst()
  if (row === undefined)
    throw new PlatformError('DEVELOPMENT_ONLY', 'no demo resident is a clerk in this country')
  return row.personal_code
}
