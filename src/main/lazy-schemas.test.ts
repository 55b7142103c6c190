import Fastify, { type FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { lazySchemas, type LazySchemas } from './lazy-schemas.ts'

const AJV = { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } }

/** The same routes on Fastify's own compilers and on the lazy ones. */
async function appWith(schemas: LazySchemas | undefined): Promise<FastifyInstance> {
  const app = Fastify({
    ajv: AJV as never,
    ...(schemas === undefined
      ? {}
      : { schemaController: { compilersFactory: schemas.compilersFactory } }),
  })
  app.get(
    '/items',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1 },
            tag: { type: 'array', items: { type: 'string' } },
          },
          required: ['limit'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              limit: { type: 'integer' },
              tags: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
    async (request) => {
      const query = request.query as { limit: number; tag?: string[] }
      return { limit: query.limit, tags: query.tag ?? [], secret: 'not in the schema' }
    },
  )
  app.post(
    '/items',
    {
      schema: {
        body: {
          type: 'object',
          properties: { name: { type: 'string', maxLength: 5 } },
          required: ['name'],
        },
      },
    },
    async (request) => ({ got: (request.body as { name: string }).name }),
  )
  await app.ready()
  return app
}

const REQUESTS = [
  { method: 'GET', url: '/items?limit=3&tag=a' },
  { method: 'GET', url: '/items?limit=3&tag=a&tag=b' },
  { method: 'GET', url: '/items?limit=0' },
  { method: 'GET', url: '/items?limit=x' },
  { method: 'GET', url: '/items' },
  { method: 'GET', url: '/items?limit=2&other=1' },
  { method: 'POST', url: '/items', payload: { name: 'kask' } },
  { method: 'POST', url: '/items', payload: { name: 'too long' } },
  { method: 'POST', url: '/items', payload: {} },
] as const

describe('route schemas compiled on first use', () => {
  it("answers every request as Fastify's own compilers do", async () => {
    const eager = await appWith(undefined)
    const lazy = await appWith(lazySchemas())
    try {
      for (const request of REQUESTS) {
        const [expected, actual] = await Promise.all([eager.inject(request), lazy.inject(request)])
        expect({ status: actual.statusCode, body: actual.json() }, request.url).toEqual({
          status: expected.statusCode,
          body: expected.json(),
        })
      }
      const coerced = await lazy.inject({ url: '/items?limit=3&tag=a' })
      expect(coerced.json()).toEqual({ limit: 3, tags: ['a'] })
    } finally {
      await Promise.all([eager.close(), lazy.close()])
    }
  })

  it('compiles nothing until asked, then every schema once', async () => {
    const schemas = lazySchemas()
    const app = await appWith(schemas)
    try {
      expect((await app.inject({ url: '/items?limit=1' })).statusCode).toBe(200)
      // Left: the POST body's validator and the HEAD route's twins of the GET's schemas.
      const rest = schemas.warm()
      expect(rest).toBeGreaterThan(0)
      expect(schemas.warm()).toBe(0)
      expect(
        (await app.inject({ method: 'POST', url: '/items', payload: { name: 'x' } })).json(),
      ).toEqual({
        got: 'x',
      })
    } finally {
      await app.close()
    }
  })

  it('refuses a header schema with capitals, which Fastify would otherwise not lower-case', async () => {
    const app = Fastify({ schemaController: { compilersFactory: lazySchemas().compilersFactory } })
    app.get(
      '/h',
      { schema: { headers: { type: 'object', properties: { 'X-Token': { type: 'string' } } } } },
      async () => 'ok',
    )
    await expect(app.ready()).rejects.toThrow(/X-Token.*lower case/)
    await app.close()
    // Also where a plain look at `properties` would miss it: `required`, and deeper.
    for (const headers of [
      { type: 'object', required: ['X-Token'] },
      { allOf: [{ type: 'object', properties: { 'X-Token': { type: 'string' } } }] },
    ]) {
      const other = Fastify({
        schemaController: { compilersFactory: lazySchemas().compilersFactory },
      })
      other.get('/h', { schema: { headers } }, async () => 'ok')
      await expect(other.ready()).rejects.toThrow(/X-Token.*lower case/)
      await other.close()
    }
  })
})
