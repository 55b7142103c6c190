/**
 * The public log, read-only and unauthenticated (anyone may audit it): the latest signed
 * checkpoint (C2SP tlog-checkpoint as a signed note) and the log's verifier key. Tiles,
 * proofs and witness cosignatures come with the rest of the ledger issue.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { parseSignerKey } from '../../ledger/index.ts'
import type { Config } from '../config.ts'
import type { Platform } from '../platform.ts'
import { ProblemSchema } from './schemas.ts'

export function registerLedger(
  app: FastifyInstance,
  config: Config,
  platform: () => Platform,
): void {
  const verifierKey = parseSignerKey(config.ledger.signerKey).verifier.text
  app.get(
    '/ledger/checkpoint',
    {
      schema: {
        tags: ['Ledger'],
        summary: 'The latest signed checkpoint (C2SP tlog-checkpoint, signed note)',
        response: { 200: Type.String(), 404: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (_request, reply) => {
      const latest = await platform()
        .store.db.selectFrom('ledger_checkpoints')
        .select('note')
        .orderBy('size', 'desc')
        .limit(1)
        .executeTakeFirst()
      if (latest === undefined) {
        return reply.code(404).type('application/problem+json').send({
          type: 'urn:e-state:problem:ledger_empty',
          title: 'Not found',
          status: 404,
          code: 'LEDGER_EMPTY',
          detail: 'no checkpoint has been signed yet',
          instance: '/ledger/checkpoint',
        })
      }
      // A checkpoint changes every second or so: clients must not cache it.
      return reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(latest.note)
    },
  )
  app.get(
    '/ledger/verifier-key',
    {
      schema: {
        tags: ['Ledger'],
        summary: "The log's signed-note verifier key",
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(`${verifierKey}\n`),
  )
}
