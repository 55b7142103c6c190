/**
 * The public log, read-only and unauthenticated (anyone may audit it): the latest signed
 * checkpoint (C2SP tlog-checkpoint as a signed note), the log's verifier key, and its tiles
 * (C2SP tlog-tiles). Proofs, receipts and witness cosignatures come with the rest of issue 5.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { parseSignerKey, parseTilePath, readTile, type TileAddress } from '../../ledger/index.ts'
import type { Config } from '../config.ts'
import type { Platform } from '../platform.ts'
import { problemOf, sendProblem } from '../problem.ts'
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
      const latest = await latestCheckpoint(platform())
      if (latest === undefined) {
        return sendProblem(
          reply,
          problemOf('LEDGER_EMPTY', 'no checkpoint has been signed yet', '/ledger/checkpoint'),
        )
      }
      // A checkpoint changes every second or so: clients must not cache it.
      return reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(latest.note)
    },
  )
  app.get(
    '/ledger/tile/*',
    {
      schema: {
        tags: ['Ledger'],
        summary:
          'A C2SP tlog-tiles hash tile or entry bundle: tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>]',
        response: { 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const path = `tile/${(request.params as { '*': string })['*']}`
      const notFound = (detail: string) =>
        sendProblem(reply, problemOf('TILE_NOT_FOUND', detail, request.url))
      let address: TileAddress
      try {
        address = parseTilePath(path)
      } catch {
        return notFound('not a tile path (tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])')
      }
      const latest = await latestCheckpoint(platform())
      const bytes = await readTile(platform().store.db, address, Number(latest?.size ?? 0))
      if (bytes === undefined) return notFound('the log has no such tile (yet)')
      // Tiles never change: cache them for good.
      return reply
        .type('application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(bytes)
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

/** The newest signed checkpoint: what the log serves and what its tiles are cut from. */
function latestCheckpoint(platform: Platform): Promise<{ size: number; note: string } | undefined> {
  return platform.store.db
    .selectFrom('ledger_checkpoints')
    .select(['size', 'note'])
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst()
}
