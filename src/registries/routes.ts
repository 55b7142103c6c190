/**
 * The GovStack Digital Registries Data API 1.3.0 (`/data/{registryName}/{versionNumber}/…`) for
 * every base registry. Each registry gets its own routes, so the OpenAPI document and the
 * response serialisation know its exact record shape; a parametric fallback answers unknown
 * registries and versions with a problem document.
 */
import type {} from '@fastify/swagger'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { CLIENT_HEADER, ERRORS, ProblemSchema } from '../shared/index.ts'
import { RegistryError } from './errors.ts'
import { REGISTRIES, type RegistryDefinition } from './records/index.ts'
import {
  MANDATE_REGISTRIES,
  MAX_PAGE_SIZE,
  type Caller,
  type ListQuery,
  type RegistryService,
} from './registry-service.ts'

/** What the Data API's routes ask of the platform. */
export interface RegistriesNeeds {
  readonly registries: RegistryService
  /**
   * Who calls, from the exchange's verified headers (the exchange tells; the registries only
   * answer): `gatewayOnly` refuses anyone but this node's provider gateway.
   */
  readonly callerOf: (
    request: FastifyRequest,
    options?: { readonly gatewayOnly?: boolean },
  ) => Promise<Caller>
}

export function registerRegistriesRoutes(
  app: FastifyInstance,
  platform: () => RegistriesNeeds,
): void {
  for (const definition of Object.values(REGISTRIES)) registerRegistry(app, platform, definition)
  registerFallbacks(app)
  registerPersonalDataUsage(app, platform)
}

function registerRegistry(
  app: FastifyInstance,
  platform: () => RegistriesNeeds,
  definition: RegistryDefinition,
): void {
  const base = `/data/${definition.name}/${definition.version}`
  const tags = [definition.title]
  const record = definition.recordSchema
  const content = Type.Object(
    Object.fromEntries(
      Object.keys(definition.fields).map((field) => [
        field,
        Type.Optional(Type.String({ maxLength: 200 })),
      ]),
    ),
    { additionalProperties: false },
  )
  const queryBody = Type.Object(
    { query: Type.Object({ content }, { additionalProperties: false }) },
    { additionalProperties: false },
  )
  const listQuery = Type.Object(
    {
      search: Type.Optional(
        Type.String({
          maxLength: 200,
          description: `Prefix search on \`filter\` (default ${definition.defaultSearchField})`,
        }),
      ),
      filter: Type.Optional(
        Type.Union(Object.keys(definition.fields).map((field) => Type.Literal(field))),
      ),
      ordering: Type.Optional(Type.Union([Type.Literal('ascending'), Type.Literal('descending')])),
      page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_001 })),
      pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
      ...Object.fromEntries(
        Object.keys(definition.fields).map((field) => [
          `query.${field}`,
          Type.Optional(Type.String({ maxLength: 200 })),
        ]),
      ),
    },
    { additionalProperties: false },
  )

  app.get(
    base,
    {
      schema: {
        tags,
        summary: `List or search the ${definition.title.toLowerCase()}`,
        headers: CLIENT_HEADER,
        querystring: listQuery,
        response: {
          200: Type.Object({
            count: Type.Integer(),
            next: Type.Union([Type.String(), Type.Null()]),
            previous: Type.Union([Type.String(), Type.Null()]),
            results: Type.Array(record),
          }),
          ...ERRORS,
        },
        security: [{ apiKey: [] }],
      },
    },
    async (request) => {
      const query = request.query as Record<string, string | number | undefined>
      const equals: Record<string, string> = {}
      for (const [key, value] of Object.entries(query)) {
        if (key.startsWith('query.') && value !== undefined) equals[key.slice(6)] = String(value)
      }
      const list: ListQuery = {
        search: query.search as string | undefined,
        filter: query.filter as string | undefined,
        ordering: query.ordering as string | undefined,
        page: query.page as number | undefined,
        pageSize: query.pageSize as number | undefined,
        equals,
      }
      const result = await platform().registries.list(
        await platform().callerOf(request, { gatewayOnly: true }),
        definition.name,
        definition.version,
        list,
      )
      const pages = Math.ceil(result.count / result.pageSize)
      return {
        count: result.count,
        next: result.page < pages ? pageLink(request, result.page + 1) : null,
        previous: result.page > 1 ? pageLink(request, result.page - 1) : null,
        results: result.results,
      }
    },
  )

  app.post(
    `${base}/read`,
    {
      schema: {
        tags,
        summary: `Read one record of the ${definition.title.toLowerCase()}`,
        headers: CLIENT_HEADER,
        body: queryBody,
        response: { 200: Type.Object({ content: record }), ...ERRORS },
        security: [{ apiKey: [] }],
      },
    },
    async (request) => {
      const body = request.body as { query: { content: Record<string, unknown> } }
      const found = await platform().registries.read(
        await platform().callerOf(request, { gatewayOnly: true }),
        definition.name,
        definition.version,
        body.query.content,
      )
      return { content: found }
    },
  )

  if ((MANDATE_REGISTRIES as readonly string[]).includes(definition.name))
    app.post(
      `${base}/mandates`,
      {
        schema: {
          tags,
          summary: `What the person named in X-Road-UserId may act for, as the ${definition.title.toLowerCase()} keeps it (self-service only; an e-state extension)`,
          headers: CLIENT_HEADER,
          response: {
            200: Type.Object({
              children: Type.Optional(
                Type.Array(Type.Object({ personalCode: Type.String(), name: Type.String() })),
              ),
              companies: Type.Optional(
                Type.Array(Type.Object({ registryCode: Type.String(), name: Type.String() })),
              ),
            }),
            ...ERRORS,
          },
          security: [{ apiKey: [] }],
        },
      },
      async (request) =>
        platform().registries.mandatesOf(
          await platform().callerOf(request, { gatewayOnly: true }),
          definition.name as (typeof MANDATE_REGISTRIES)[number],
        ),
    )

  app.post(
    `${base}/exists`,
    {
      schema: {
        tags,
        summary: `Whether a matching record exists in the ${definition.title.toLowerCase()}`,
        headers: CLIENT_HEADER,
        body: queryBody,
        response: {
          200: Type.Object({
            answer: Type.Object({ status: Type.Boolean(), message: Type.String() }),
          }),
          ...ERRORS,
        },
        security: [{ apiKey: [] }],
      },
    },
    async (request) => {
      const body = request.body as { query: { content: Record<string, unknown> } }
      const status = await platform().registries.exists(
        await platform().callerOf(request, { gatewayOnly: true }),
        definition.name,
        definition.version,
        body.query.content,
      )
      return {
        answer: {
          status,
          message: status ? 'Object found from database' : 'Object not found from database',
        },
      }
    },
  )

  const writeContent =
    definition.writable === undefined
      ? Type.Object({}, { additionalProperties: true })
      : Type.Object(
          Object.fromEntries(
            Object.keys(definition.writable.fields).map((field) => [
              field,
              Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
            ]),
          ),
          { additionalProperties: false },
        )
  const updateBody = Type.Object(
    {
      query: Type.Object({ content }, { additionalProperties: false }),
      write: Type.Object({ content: writeContent }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  )
  const writable =
    definition.writable === undefined
      ? 'nothing: its records change by state acts'
      : Object.keys(definition.writable.fields).join(', ')
  for (const [operation, many] of [
    ['update', false],
    ['updateEntries', true],
  ] as const) {
    app.put(
      `${base}/${operation}`,
      {
        schema: {
          tags,
          summary: many
            ? 'Change every record matching the query (at most 100)'
            : 'Change one record',
          description: `The keeper's registrars and clerks may change: ${writable}. Each change is recorded with its purpose, shown in the person's data tracker and committed to the ledger.`,
          headers: CLIENT_HEADER,
          body: updateBody,
          response: {
            200: Type.Object({ content: Type.Array(record) }),
            ...ERRORS,
            405: ProblemSchema,
          },
          security: [{ apiKey: [] }],
        },
      },
      async (request) => {
        const body = request.body as {
          query: { content: Record<string, unknown> }
          write: { content: Record<string, unknown> }
        }
        const updated = await platform().registries.update(
          await platform().callerOf(request, { gatewayOnly: true }),
          definition.name,
          definition.version,
          body.query.content,
          body.write.content,
          many,
        )
        return { content: updated }
      },
    )
  }
  const refuse = async (): Promise<never> => {
    throw new RegistryError(
      'METHOD_NOT_ALLOWED',
      `records of the ${definition.title.toLowerCase()} are created by state acts (a birth, a registration) and never deleted; use update`,
      { registry: definition.name },
    )
  }
  const refusal = {
    schema: {
      tags,
      summary: 'Not offered for base registries (405)',
      response: { 405: ProblemSchema },
    },
  }
  app.post(`${base}/create`, refusal, refuse)
  app.post(`${base}/updateOrCreate`, refusal, refuse)
  app.delete(`${base}/:ID/delete`, refusal, refuse)

  app.get(
    `${base}/:uuid/readValue/:fieldFile`,
    {
      schema: {
        tags,
        summary: `Read one field of one record (\`{field}.json\`)`,
        headers: CLIENT_HEADER,
        params: Type.Object({
          uuid: Type.String({ maxLength: 64, description: `The record's ${definition.idField}` }),
          fieldFile: Type.String({
            maxLength: 100,
            pattern: '^[A-Za-z]+\\.[a-z]+$',
            description: 'Field name and format, e.g. firstName.json',
          }),
        }),
        response: { 200: Type.Object({ value: Type.Unknown() }), ...ERRORS, 406: ProblemSchema },
        security: [{ apiKey: [] }],
      },
    },
    async (request) => {
      const { uuid, fieldFile } = request.params as { uuid: string; fieldFile: string }
      const [field, extension] = fieldFile.split('.')
      if (extension !== 'json') {
        throw new RegistryError(
          'NOT_ACCEPTABLE',
          `readValue serves .json only, not .${extension}`,
          { field: 'ext' },
        )
      }
      const value = await platform().registries.readValue(
        await platform().callerOf(request, { gatewayOnly: true }),
        definition.name,
        definition.version,
        uuid,
        field,
      )
      return { value }
    },
  )
}

/** Unknown registries and versions get a problem document naming what exists. */
function registerFallbacks(app: FastifyInstance): void {
  const unknown = async (request: FastifyRequest): Promise<never> => {
    const { registryName, versionNumber } = request.params as {
      registryName: string
      versionNumber: string
    }
    const known = (REGISTRIES as Record<string, RegistryDefinition | undefined>)[registryName]
    if (known === undefined || !Object.hasOwn(REGISTRIES, registryName)) {
      throw new RegistryError('REGISTRY_UNKNOWN', `no registry named "${registryName}"`, {
        field: 'registryName',
        known: Object.keys(REGISTRIES),
      })
    }
    throw new RegistryError(
      'REGISTRY_VERSION_UNKNOWN',
      `the ${registryName} register has no version "${versionNumber}"`,
      {
        field: 'versionNumber',
        known: [known.version],
      },
    )
  }
  const hidden = { schema: { hide: true } }
  app.get('/data/:registryName/:versionNumber', hidden, unknown)
  app.post('/data/:registryName/:versionNumber/read', hidden, unknown)
  app.post('/data/:registryName/:versionNumber/exists', hidden, unknown)
  app.get('/data/:registryName/:versionNumber/:uuid/readValue/:fieldFile', hidden, unknown)
  app.put('/data/:registryName/:versionNumber/update', hidden, unknown)
  app.put('/data/:registryName/:versionNumber/updateEntries', hidden, unknown)
  app.post('/data/:registryName/:versionNumber/create', hidden, unknown)
  app.post('/data/:registryName/:versionNumber/updateOrCreate', hidden, unknown)
  app.delete('/data/:registryName/:versionNumber/:ID/delete', hidden, unknown)
}

function registerPersonalDataUsage(app: FastifyInstance, platform: () => RegistriesNeeds): void {
  app.get(
    '/data/myPersonalDataUsage',
    {
      schema: {
        tags: ['MyPersonalDataUsage API'],
        summary: 'Who has read my personal data, when and why (the data tracker)',
        description:
          'Only for the person themself (X-Road-UserId equal to userId) or a data protection officer of the calling agency.',
        headers: CLIENT_HEADER,
        querystring: Type.Object(
          {
            userId: Type.String({
              maxLength: 20,
              description: "The person's identifier, e.g. EE38001085718",
            }),
            databaseId: Type.String({
              maxLength: 40,
              description: 'A registry name, or * for all',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            Type.Object({
              id: Type.String(),
              readerId: Type.String(),
              readerInitials: Type.String(),
              readerInstitutionId: Type.String(),
              readerInstitutionName: Type.String(),
              readerApplicationName: Type.String(),
              searchDateTime: Type.String({ format: 'date-time' }),
              refrences: Type.Array(Type.Object({ ReferenceID: Type.String() })),
              purpose: Type.String(),
              registry: Type.String(),
            }),
          ),
          ...ERRORS,
        },
        security: [{ apiKey: [] }],
      },
    },
    async (request) => {
      const { userId, databaseId } = request.query as { userId: string; databaseId: string }
      const usage = await platform().registries.personalDataUsage(
        await platform().callerOf(request),
        userId,
        databaseId,
      )
      return usage.records
    },
  )
}

function pageLink(request: FastifyRequest, page: number): string {
  const url = new URL(request.url, 'http://placeholder')
  url.searchParams.set('page', String(page))
  return `${url.pathname}${url.search}`
}
