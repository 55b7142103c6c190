/**
 * Managing a provider's side of the exchange over HTTP, after the GovStack Information
 * Mediator configuration-management API: `GET|PATCH /api/v1/rights/allow`,
 * `PATCH /api/v1/rights/deny`, `GET /api/v1/config`, `GET /api/v1/status`; and
 * `PUT /api/v1/openapi/{applicationId}/{serviceId}` for a service's OpenAPI description.
 * The caller is a member, by its API key, and manages only its own services; every change of
 * a right is an act in the ledger. Rights may also name an endpoint (`method`, `path`), which
 * the GovStack schema leaves out: the default is every method and path.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ERRORS, ProblemSchema } from '../shared/index.ts'
import { bearerToken } from './caller.ts'
import { ExchangeError } from './errors.ts'
import {
  allowRight,
  denyRight,
  listRights,
  ownService,
  setOpenApi,
  type RightChange,
} from './management.ts'
import { verifyMemberCredential } from './member-credentials.ts'
import { exchangeStatistics, monitoringRecords, STATISTICS_DELAY_DAYS } from './operations.ts'
import type { ExchangeNeeds } from './routes.ts'

const Identifier = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^/\\\\:;%\\s]+$' })
const AllowedApplication = Type.Object(
  {
    memberClass: Type.Optional(Identifier),
    memberCode: Identifier,
    applicationId: Type.Optional(Identifier),
    method: Type.Optional(Type.String({ maxLength: 10 })),
    path: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
)
const ServiceAccessRights = Type.Array(
  Type.Object(
    {
      memberClass: Identifier,
      memberCode: Identifier,
      applicationId: Identifier,
      serviceId: Identifier,
      rights: Type.Array(AllowedApplication, { maxItems: 1000 }),
    },
    { additionalProperties: false },
  ),
  { maxItems: 100 },
)
type Rights = {
  memberClass: string
  memberCode: string
  applicationId: string
  serviceId: string
  rights: {
    memberClass?: string
    memberCode: string
    applicationId?: string
    method?: string
    path?: string
  }[]
}[]

export function registerExchangeManagementRoutes(
  app: FastifyInstance,
  platform: () => ExchangeNeeds,
): void {
  const memberOf = async (request: FastifyRequest) =>
    verifyMemberCredential(platform().store.db, bearerToken(request.headers.authorization))
  const record = async (changes: readonly RightChange[]) => {
    for (const change of changes)
      await platform().ledger.append(
        'exchange-right',
        Buffer.from(JSON.stringify({ ...change, at: platform().clock.now().toISOString() })),
      )
  }
  /** The provider's service id and the client (subsystem or group) a GovStack entry names. */
  const resolve = async (member: string, entry: Rights[number]) => {
    const instance = platform().instance
    const service = await ownService(
      platform().store.db,
      member,
      `${instance}/${entry.memberClass}/${entry.memberCode}/${entry.applicationId}/${entry.serviceId}`,
    )
    return entry.rights.map((right) => ({
      service,
      client:
        right.memberClass === undefined || right.applicationId === undefined
          ? `group:${right.memberCode}`
          : `${instance}/${right.memberClass}/${right.memberCode}/${right.applicationId}`,
      method: right.method ?? '*',
      path: right.path ?? '/**',
    }))
  }

  app.get(
    '/api/v1/rights/allow',
    {
      schema: {
        tags: ['Exchange management'],
        summary: "Access rights on the caller's services (paged)",
        querystring: Type.Object({
          applicationId: Type.Optional(Identifier),
          serviceId: Type.Optional(Identifier),
          pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          nextPageToken: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
        }),
        response: { 401: ProblemSchema, 400: ProblemSchema },
      },
    },
    async (request) => {
      const member = await memberOf(request)
      const query = request.query as {
        applicationId?: string
        serviceId?: string
        pageSize?: number
        nextPageToken?: string
      }
      const service =
        query.applicationId === undefined || query.serviceId === undefined
          ? undefined
          : `${member}/${query.applicationId}/${query.serviceId}`
      const page = await listRights(
        platform().store.db,
        { member, ...(service === undefined ? {} : { service }) },
        { after: Number(query.nextPageToken ?? 0), size: query.pageSize ?? 100 },
      )
      const grouped = new Map<string, Rights[number]>()
      for (const right of page.rights) {
        const [, memberClass, memberCode, applicationId, serviceId] = right.service.split('/')
        const key = right.service
        const entry = grouped.get(key) ?? {
          memberClass,
          memberCode,
          applicationId,
          serviceId,
          rights: [],
        }
        const [, clientClass, clientCode, clientApplication] = right.client.split('/')
        entry.rights.push(
          right.client.startsWith('group:')
            ? { memberCode: right.client.slice(6), method: right.method, path: right.path }
            : {
                memberClass: clientClass,
                memberCode: clientCode,
                applicationId: clientApplication,
                method: right.method,
                path: right.path,
              },
        )
        grouped.set(key, entry)
      }
      return {
        allowList: [...grouped.values()],
        ...(page.next === undefined ? {} : { nextPageToken: String(page.next) }),
      }
    },
  )

  for (const action of ['allow', 'deny'] as const) {
    app.patch(
      `/api/v1/rights/${action}`,
      {
        schema: {
          tags: ['Exchange management'],
          summary:
            action === 'allow'
              ? 'Allow subsystems or groups to call services (optionally one endpoint)'
              : 'Withdraw access rights',
          body: ServiceAccessRights,
          response: {
            200: Type.Object({ changed: Type.Integer() }),
            ...ERRORS,
          },
        },
      },
      async (request) => {
        const member = await memberOf(request)
        const changes: RightChange[] = []
        for (const entry of request.body as Rights) {
          for (const right of await resolve(member, entry)) {
            if (action === 'allow') {
              const made = await allowRight(platform().store.db, platform().clock, right, member)
              if (made !== undefined) changes.push(made)
            } else {
              const explicit = entry.rights.find(
                (candidate) => candidate.method !== undefined || candidate.path !== undefined,
              )
              changes.push(
                ...(await denyRight(
                  platform().store.db,
                  explicit === undefined ? { service: right.service, client: right.client } : right,
                  member,
                )),
              )
            }
          }
        }
        await record(changes)
        return { changed: changes.length }
      },
    )
  }

  app.get(
    '/exchange/monitoring',
    {
      schema: {
        tags: ['Exchange management'],
        summary:
          "Monitoring records of the caller's messages (ids, sizes, durations, outcome; no payload)",
        querystring: Type.Object({
          after: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: { 401: ProblemSchema, 400: ProblemSchema },
      },
    },
    async (request) => {
      const member = await memberOf(request)
      const { after, limit } = request.query as { after?: number; limit?: number }
      return {
        records: await monitoringRecords(platform().store.db, member, after ?? 0, limit ?? 100),
      }
    },
  )

  app.get(
    '/exchange/statistics',
    {
      schema: {
        tags: ['Exchange'],
        summary: `Open data: messages per day, client member and service, published ${STATISTICS_DELAY_DAYS} days late, small counts suppressed`,
        querystring: Type.Object({
          from: Type.String({ format: 'date' }),
          to: Type.String({ format: 'date' }),
        }),
        response: { 400: ProblemSchema },
      },
    },
    async (request) => {
      const { from, to } = request.query as { from: string; to: string }
      const start = new Date(`${from}T00:00:00Z`)
      const end = new Date(`${to}T00:00:00Z`)
      if (!(end > start) || end.getTime() - start.getTime() > 366 * 86_400_000)
        throw new ExchangeError('InvalidRequest', 'from must be before to, at most a year apart')
      return exchangeStatistics(platform().store.db, {
        from: start,
        to: end,
        now: platform().clock.now(),
      })
    },
  )

  app.get(
    '/api/v1/status',
    {
      schema: {
        tags: ['Exchange management'],
        summary: 'Is the gateway configured and its configuration current?',
      },
    },
    async () => {
      const configuration = platform().exchange.configuration()
      return {
        status: 'ok',
        instance: configuration.instance,
        configurationVersion: configuration.version,
        configurationExpiresAt: configuration.expiresAt,
      }
    },
  )

  app.get(
    '/api/v1/config',
    {
      schema: {
        tags: ['Exchange management'],
        summary: "The caller's member, applications (subsystems), services and their rights",
      },
    },
    async (request) => {
      const member = await memberOf(request)
      const { db } = platform().store
      const configuration = platform().exchange.configuration()
      const subsystems = configuration.subsystems.filter((entry) => entry.member === member)
      const [, memberClass, code] = member.split('/')
      return {
        domain: new URL(configuration.sources[0] ?? 'http://localhost').host,
        instance: configuration.instance,
        members: [
          {
            name: configuration.members.find((entry) => entry.id === member)?.name ?? member,
            class: memberClass,
            code,
            applications: await Promise.all(
              subsystems.map(async (subsystem) => {
                const services = await db
                  .selectFrom('exchange_services')
                  .select(['service_id', 'service_code', 'backend'])
                  .where('subsystem_id', '=', subsystem.id)
                  .execute()
                return {
                  id: subsystem.id.split('/')[3],
                  services: await Promise.all(
                    services.map(async (service) => ({
                      id: service.service_code,
                      specUrl: `${subsystem.id}/getOpenAPI?serviceCode=${service.service_code}`,
                      serviceUrl: service.backend,
                      rights: (await platform().exchange.rights(service.service_id)).map(
                        (right) => {
                          const [, rightClass, rightCode, application] = right.client.split('/')
                          return right.client.startsWith('group:')
                            ? { member: right.client, application: '' }
                            : { member: `${rightClass}/${rightCode}`, application }
                        },
                      ),
                    })),
                  ),
                }
              }),
            ),
          },
        ],
      }
    },
  )

  app.put(
    '/api/v1/openapi/:applicationId/:serviceId',
    {
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        tags: ['Exchange management'],
        summary: "Upload a service's OpenAPI 3.0/3.1 description (JSON)",
        params: Type.Object({ applicationId: Identifier, serviceId: Identifier }),
        response: { 200: Type.Object({ service: Type.String() }), ...ERRORS },
      },
    },
    async (request) => {
      const member = await memberOf(request)
      const { applicationId, serviceId } = request.params as {
        applicationId: string
        serviceId: string
      }
      const service = await ownService(
        platform().store.db,
        member,
        `${member}/${applicationId}/${serviceId}`,
      )
      if (!isShallowObject(request.body, 64))
        throw new ExchangeError(
          'InvalidRequest',
          'an OpenAPI description is a JSON object nested at most 64 levels deep',
        )
      await setOpenApi(platform().store.db, service, JSON.stringify(request.body))
      await platform().ledger.append(
        'exchange-openapi',
        Buffer.from(
          JSON.stringify({ service, by: member, at: platform().clock.now().toISOString() }),
        ),
      )
      return { service }
    },
  )
}

/** A JSON object (not an array) whose nesting stays within `depth`, walked without recursion. */
function isShallowObject(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }]
  while (stack.length > 0) {
    const next = stack.pop() as { value: unknown; depth: number }
    if (next.value === null || typeof next.value !== 'object') continue
    if (next.depth > depth) return false
    for (const child of Object.values(next.value))
      stack.push({ value: child, depth: next.depth + 1 })
  }
  return true
}
