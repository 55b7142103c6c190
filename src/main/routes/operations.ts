/** Health and metrics for operators and load balancers; no authentication, no personal data. */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Metrics } from '../metrics.ts'
import { problemOf, sendProblem } from '../problem.ts'
import { ProblemSchema } from '../../shared/index.ts'

export function registerOperations(
  app: FastifyInstance,
  options: { metrics: Metrics; isReady: () => boolean },
): void {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['Operations'],
        summary: 'The process is running',
        response: { 200: Type.Object({ status: Type.Literal('live') }) },
      },
    },
    async () => ({ status: 'live' as const }),
  )
  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Ready to serve (store open, country seeded)',
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ProblemSchema },
      },
    },
    async (request, reply) => {
      if (options.isReady()) return { status: 'ready' as const }
      return sendProblem(
        reply,
        problemOf(
          'NOT_READY',
          'starting: opening the store and, on first start, seeding the country',
          request.url,
        ),
      )
    },
  )
  app.get(
    '/metrics',
    { schema: { tags: ['Operations'], summary: 'Prometheus metrics (text format)' } },
    async (_request, reply) => {
      reply.type(options.metrics.registry.contentType)
      return options.metrics.registry.metrics()
    },
  )
}
