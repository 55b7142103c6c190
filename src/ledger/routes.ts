/**
 * The public log, read-only and unauthenticated (anyone may audit it): the newest published
 * checkpoint (C2SP tlog-checkpoint, signed by the log and cosigned by every witness), the log's
 * and the witnesses' verifier keys, its tiles (C2SP tlog-tiles), inclusion and consistency
 * proofs, and receipts. When this node runs a witness, its C2SP tlog-witness endpoint too.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { ProblemSchema, ValidationError } from '../shared/index.ts'
import type { Store } from '../storage/index.ts'
import { LedgerError } from './errors.ts'
import { latestPublished, type Ledger } from './log.ts'
import { buildReceipt } from './receipt.ts'
import { storedConsistencyProof, storedInclusionProof, storedTile } from './stored-tree.ts'
import { parseTilePath, type TileAddress } from './tiles.ts'
import type { Witness } from './witness.ts'

const Hashes = Type.Array(Type.String({ description: 'base64 SHA-256 hash' }))
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

/** What the ledger's routes ask of the platform. */
export interface LedgerNeeds {
  readonly store: Store
  readonly ledger: Ledger
  /** The in-process witness, when this node runs one. */
  readonly witness: Witness | undefined
  /** The verifier keys of the other sites' witnesses that cosign this log. */
  readonly remoteWitnessKeys: readonly string[]
}

export function registerLedgerRoutes(app: FastifyInstance, platform: () => LedgerNeeds): void {
  const published = async () => latestPublished(platform().store.db)
  const unknownSize = (size: number, have: number) =>
    new LedgerError(
      'LEDGER_UNKNOWN_SIZE',
      `the log has published ${have} entries; it never had a tree of size ${size}`,
    )

  app.get(
    '/ledger/checkpoint',
    {
      schema: {
        tags: ['Ledger'],
        summary: 'The newest published checkpoint (C2SP tlog-checkpoint, signed and cosigned)',
        response: { 200: Type.String(), 404: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (_request, reply) => {
      const latest = await published()
      if (latest === undefined)
        throw new LedgerError('LEDGER_EMPTY', 'no checkpoint has been published yet')
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
      const notFound = (detail: string) => new LedgerError('TILE_NOT_FOUND', detail)
      let address: TileAddress
      try {
        address = parseTilePath(path)
      } catch {
        throw notFound('not a tile path (tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])')
      }
      const size = (await published())?.size ?? 0
      const { store, ledger } = platform()
      const bytes = await storedTile(store.db, ledger.tree, address, size)
      if (bytes === undefined) throw notFound('the log has no such tile (yet)')
      // Tiles never change: cache them for good.
      return reply
        .type('application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(bytes)
    },
  )
  app.get(
    '/ledger/proof/inclusion',
    {
      schema: {
        tags: ['Ledger'],
        summary: 'RFC 9162 inclusion proof of the entry at `index` in the tree of `size`',
        querystring: Type.Object(
          { index: Count, size: Type.Optional(Count) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ index: Count, size: Count, leafHash: Type.String(), proof: Hashes }),
          400: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const { index, size: asked } = request.query as { index: number; size?: number }
      wholeNumbers({ index, size: asked })
      const have = (await published())?.size ?? 0
      const size = asked ?? have
      if (size > have || size === 0) throw unknownSize(size, have)
      if (index >= size)
        throw new LedgerError('LEDGER_UNKNOWN_ENTRY', `no entry ${index} in a tree of ${size}`)
      const { ledger } = platform()
      const [leafHash] = await ledger.tree.levelHashes(0, index, index + 1)
      const proof = await storedInclusionProof(ledger.tree, index, size)
      return {
        index,
        size,
        leafHash: leafHash.toString('base64'),
        proof: proof.map((hash) => hash.toString('base64')),
      }
    },
  )
  app.get(
    '/ledger/proof/consistency',
    {
      schema: {
        tags: ['Ledger'],
        summary: 'RFC 9162 consistency proof from the tree of `from` to the tree of `to`',
        querystring: Type.Object(
          { from: Count, to: Type.Optional(Count) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ from: Count, to: Count, proof: Hashes }),
          400: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const { from, to: asked } = request.query as { from: number; to?: number }
      wholeNumbers({ from, to: asked })
      const have = (await published())?.size ?? 0
      const to = asked ?? have
      if (to > have) throw unknownSize(to, have)
      if (from < 1 || from > to)
        throw new LedgerError(
          'LEDGER_INVALID_ARGUMENT',
          `no consistency proof from ${from} to ${to}`,
        )
      const proof = await storedConsistencyProof(platform().ledger.tree, from, to)
      return { from, to, proof: proof.map((hash) => hash.toString('base64')) }
    },
  )
  app.get(
    '/ledger/receipt/:index',
    {
      schema: {
        tags: ['Ledger'],
        summary:
          'A receipt: the entry, its inclusion proof and the cosigned checkpoint, verifiable offline',
        params: Type.Object({ index: Count }),
        response: { 200: Type.Unknown(), 404: ProblemSchema },
      },
    },
    async (request) => {
      const { index } = request.params as { index: number }
      wholeNumbers({ index })
      return buildReceipt(platform().store.db, platform().ledger.tree, index)
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
    async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send(`${platform().ledger.signer.verifier.text}\n`),
  )
  app.get(
    '/ledger/witness-keys',
    {
      schema: {
        tags: ['Ledger'],
        summary: "The verifier keys of the witnesses that cosign this log's checkpoints",
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => {
      const keys = [
        ...(platform().witness === undefined ? [] : [platform().witness?.verifierKey]),
        ...platform().remoteWitnessKeys,
      ]
      return reply.type('text/plain; charset=utf-8').send(keys.map((key) => `${key}\n`).join(''))
    },
  )
  // The witness endpoint takes the protocol's plain-text body, so it lives in its own scope.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 65_536 }, (_req, body, done) =>
      done(null, body),
    )
    scope.post(
      '/witness/add-checkpoint',
      {
        schema: {
          tags: ['Witness'],
          summary:
            'C2SP tlog-witness add-checkpoint: cosigns a checkpoint consistent with the last one',
        },
      },
      async (request, reply) => {
        const witness = platform().witness
        if (witness === undefined)
          throw new LedgerError('WITNESS_NOT_RUNNING', 'this node runs no witness')
        const body = typeof request.body === 'string' ? request.body : ''
        const answer = await witness.addCheckpoint(body)
        return reply.status(answer.status).type(answer.contentType).send(answer.body)
      },
    )
  })
}

/** Schema coercion lets `1e400` through as Infinity: only safe whole numbers are indices. */
function wholeNumbers(values: Record<string, number | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && !Number.isSafeInteger(value)) {
      throw new ValidationError('INVALID_INPUT', name, `${name} must be a whole number`)
    }
  }
}
