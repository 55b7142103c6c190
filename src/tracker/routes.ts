/**
 * The data tracker over HTTP: `/tracker/usage` (e-state's full view, each read with its ledger
 * receipt) and `/tracker/findUsage` (the shape of Estonia's data-tracker protocol: `logtime`,
 * `action`, `receiver`). Only the person themself — logged in with their e-ID (session cookie),
 * or the acting user of the state portal's member system — or a data protection officer with a
 * stated purpose gets an answer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { callerOf, portalCallerOf, type CallerNeeds } from '../exchange/index.ts'
import { requireSession, type SessionNeeds } from '../identity/index.ts'
import { CLIENT_HEADER, ERRORS } from '../shared/index.ts'
import { TrackerError } from './errors.ts'
import { MAX_USAGE_PAGE, type Tracker } from './tracker.ts'

/** What the tracker's routes ask of the platform. */
export interface TrackerNeeds extends SessionNeeds, CallerNeeds {
  readonly tracker: Tracker
}

const Paging = Type.Object(
  {
    userId: Type.Optional(
      Type.String({
        maxLength: 20,
        description: 'Whose data: EE + personal code (default: the acting user)',
      }),
    ),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
    limit: Type.Integer({ minimum: 1, maximum: MAX_USAGE_PAGE, default: 20 }),
  },
  { additionalProperties: false },
)

const Receipt = Type.Union([
  Type.Null(),
  Type.Object(
    {
      format: Type.String(),
      index: Type.Integer(),
      kind: Type.String(),
      entry: Type.String(),
      proof: Type.Array(Type.String()),
      checkpoint: Type.String(),
      opening: Type.Object({ salt: Type.String(), values: Type.Array(Type.Unknown()) }),
    },
    { description: 'Verify offline with `e-state ledger verify-receipt`' },
  ),
])

export function registerTrackerRoutes(app: FastifyInstance, platform: () => TrackerNeeds): void {
  const usage = async (request: FastifyRequest) => {
    const query = request.query as { userId?: string; offset: number; limit: number }
    // A member system (with its API key) or the person logged in with their e-ID.
    const caller =
      request.headers.authorization === undefined && request.headers.cookie !== undefined
        ? await portalCallerOf((await requireSession(request, platform())).personalCode, platform())
        : await callerOf(request, platform())
    const userId =
      query.userId ?? (caller.userCode === undefined ? undefined : `EE${caller.userCode}`)
    if (userId === undefined) {
      throw new TrackerError('ACCESS_ACTOR_REQUIRED', 'name the person in X-Road-UserId', {
        field: 'X-Road-UserId',
      })
    }
    return platform().tracker.usage(caller, userId, { offset: query.offset, limit: query.limit })
  }

  app.get(
    '/tracker/usage',
    {
      schema: {
        tags: ['Data tracker'],
        summary: 'Who read my data: newest first, paged, each read with its ledger receipt',
        headers: CLIENT_HEADER,
        querystring: Paging,
        response: {
          200: Type.Object({
            authorisedAs: Type.String({ description: 'self, parent or data protection officer' }),
            offset: Type.Integer(),
            limit: Type.Integer(),
            total: Type.Integer(),
            records: Type.Array(
              Type.Object({
                id: Type.String(),
                at: Type.String({ format: 'date-time' }),
                official: Type.String(),
                agency: Type.String(),
                agencyCode: Type.String(),
                application: Type.String(),
                registry: Type.String(),
                data: Type.String(),
                purpose: Type.String(),
                covertUntil: Type.Union([Type.String(), Type.Null()]),
                ledger: Type.Object({
                  index: Type.Union([Type.Integer(), Type.Null()]),
                  receipt: Receipt,
                }),
              }),
            ),
          }),
          ...ERRORS,
        },
        security: [{ apiKey: [] }],
      },
    },
    usage,
  )

  app.get(
    '/tracker/findUsage',
    {
      schema: {
        tags: ['Data tracker'],
        summary: "Who read my data, in the shape of Estonia's data-tracker protocol",
        headers: CLIENT_HEADER,
        querystring: Paging,
        response: {
          200: Type.Object({
            offset: Type.Integer(),
            limit: Type.Integer(),
            total: Type.Integer(),
            usage: Type.Array(
              Type.Object({
                logtime: Type.String({ format: 'date-time' }),
                action: Type.String(),
                receiver: Type.String(),
              }),
            ),
          }),
          ...ERRORS,
        },
        security: [{ apiKey: [] }],
      },
    },
    async (request) => {
      const list = await usage(request)
      return {
        offset: list.offset,
        limit: list.limit,
        total: list.total,
        usage: list.records.map((record) => ({
          logtime: record.at,
          action: `${record.registry}: ${record.data} (${record.purpose})`,
          receiver: `${record.agency}, ${record.official}`,
        })),
      }
    },
  )
}
