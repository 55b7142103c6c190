/**
 * Two gateways as separate processes (`e-state gateway`), on loopback: a consumer gateway for
 * the Tax Board and a provider gateway for the Population Register, mutual TLS between them
 * with certificates from the state PKI pinned in a signed global configuration served by a
 * central server, and a provider backend. Calls go through both; refusals carry X-Road's
 * error types; a gateway without a client certificate cannot even connect; the central server
 * going away does not stop the exchange.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anchorRoot, verifyAnchor } from '../src/exchange/index.ts'
import {
  CLIENT,
  downloadChunk,
  MAX_BODY_BYTES,
  SERVICE,
  FILES_SERVICE,
  startGatewayPair,
  type GatewayPair,
} from './support/gateway-pair.ts'

let pair: GatewayPair

beforeAll(async () => {
  pair = await startGatewayPair()
}, 60_000)

afterAll(async () => {
  await pair?.close()
})

const call = (path: string, init: RequestInit = {}, service = SERVICE) =>
  fetch(`${pair.consumerUrl}/r1/${service}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${pair.apiKey}`,
      'x-road-client': CLIENT,
      'x-road-userid': 'EE39001010000',
      ...(init.headers as Record<string, string> | undefined),
    },
  })

describe('two gateway processes over mutual TLS', () => {
  it('carry a call to the provider backend and back, with the X-Road headers', async () => {
    pair.seen.length = 0
    const response = await call('/persons/38001085718?fields=name', {
      headers: { 'x-road-id': 'emta-1' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      url: '/persons/38001085718?fields=name',
      method: 'GET',
    })
    expect(response.headers.get('x-road-id')).toBe('emta-1')
    expect(response.headers.get('x-road-service')).toBe(SERVICE)
    expect(response.headers.get('x-road-request-hash')).toHaveLength(88)
    expect(response.headers.get('x-register')).toBe('population')
    expect(pair.seen).toEqual([
      {
        method: 'GET',
        url: '/persons/38001085718?fields=name',
        client: CLIENT,
        user: 'EE39001010000',
        body: '',
      },
    ])
    const posted = await call('/search', {
      method: 'POST',
      body: JSON.stringify({ name: 'Tamm' }),
      headers: { 'content-type': 'application/json' },
    })
    expect(posted.status).toBe(200)
    expect(pair.seen[1].body).toBe('{"name":"Tamm"}')
    // Each side logged the message in its own store, with both signatures.
    for (const [name, side] of [
      ['tax', 'consumer'],
      ['population', 'provider'],
    ]) {
      const database = new DatabaseSync(join(pair.work, `data-${name}`, 'gateway.db'), {
        readOnly: true,
      })
      try {
        const row = database
          .prepare(
            'SELECT side, request_signature, response_signature, status FROM exchange_message_log WHERE message_id = ?',
          )
          .get('emta-1') as {
          side: string
          request_signature: string
          response_signature: string
          status: number
        }
        expect(row.side).toBe(side)
        expect(row.request_signature).toContain('"value"')
        expect(row.response_signature).toContain('"value"')
        expect(row.status).toBe(200)
      } finally {
        database.close()
      }
    }
  })

  it('carry large bodies both ways through spools, log them by digest, and refuse oversized ones', async () => {
    const upload = randomBytes(24 * 1024 * 1024)
    const uploaded = await call(
      '/upload',
      {
        method: 'POST',
        body: upload,
        headers: { 'content-type': 'application/octet-stream', 'x-road-id': 'emta-upload' },
      },
      FILES_SERVICE,
    )
    expect(uploaded.status).toBe(200)
    expect(await uploaded.json()).toEqual({
      size: upload.length,
      sha256: createHash('sha256').update(upload).digest('hex'),
    })

    const size = 40 * 1024 * 1024
    const downloaded = await call(`/download?size=${size}`, {}, FILES_SERVICE)
    expect(downloaded.status).toBe(200)
    expect(downloaded.headers.get('x-road-request-hash')).toHaveLength(88)
    const expected = createHash('sha256')
    for (let offset = 0; offset < size; offset += 65_536)
      expected.update(downloadChunk(offset, Math.min(65_536, size - offset)))
    const received = Buffer.from(await downloaded.arrayBuffer())
    expect(received.length).toBe(size)
    expect(createHash('sha256').update(received).digest('hex')).toBe(expected.digest('hex'))

    // Over the limit: refused by the consumer gateway before anything reaches the provider.
    const tooLarge = await call(
      '/upload',
      {
        method: 'POST',
        body: Buffer.alloc(MAX_BODY_BYTES + 1024),
        headers: { 'content-type': 'application/octet-stream' },
      },
      FILES_SERVICE,
    )
    expect(tooLarge.status).toBe(413)
    expect(tooLarge.headers.get('x-road-error')).toBe('Client.InvalidRequest')

    // The logs keep the large request's size and digest, not its bytes; no spool is left.
    for (const name of ['tax', 'population']) {
      const database = new DatabaseSync(join(pair.work, `data-${name}`, 'gateway.db'), {
        readOnly: true,
      })
      try {
        const row = database
          .prepare(
            'SELECT request_size, request_body, response_body FROM exchange_message_log WHERE message_id = ?',
          )
          .get('emta-upload') as {
          request_size: number
          request_body: Uint8Array | null
          response_body: Uint8Array | null
        }
        expect(row.request_size).toBe(upload.length)
        expect(row.request_body).toBeNull()
        expect(row.response_body).not.toBeNull()
      } finally {
        database.close()
      }
      const tmp = join(pair.work, `tmp-${name}`)
      const spooled = readdirSync(tmp).flatMap((folder) => readdirSync(join(tmp, folder)))
      expect(spooled).toEqual([])
    }
  }, 60_000)

  it('anchor their message logs at the central server in signed batches', async () => {
    await call('/persons/38001085718', { headers: { 'x-road-id': 'emta-anchor' } })
    const deadline = Date.now() + 10_000
    const anchoredBoth = () =>
      ['EE/GATEWAY/emta', 'EE/GATEWAY/sim'].every((gateway) =>
        pair.anchors.some((batch) => batch.gateway === gateway),
      )
    while (!anchoredBoth() && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200))
    expect(anchoredBoth()).toBe(true)
    for (const [name, gateway] of [
      ['tax', 'EE/GATEWAY/emta'],
      ['population', 'EE/GATEWAY/sim'],
    ]) {
      const batches = pair.anchors.filter((batch) => batch.gateway === gateway)
      expect(batches.map((batch) => batch.sequence)).toEqual(batches.map((_, index) => index + 1))
      const database = new DatabaseSync(join(pair.work, `data-${name}`, 'gateway.db'), {
        readOnly: true,
      })
      try {
        for (const batch of batches) {
          // Signed by the gateway's member, as the configuration knows it …
          expect(() => verifyAnchor(pair.configuration, 'EE/GATEWAY/central', batch)).not.toThrow()
          expect(() =>
            verifyAnchor(pair.configuration, 'EE/GATEWAY/central', {
              ...batch,
              root: anchorRoot([Buffer.from('another history')]),
            }),
          ).toThrow()
          // … over exactly the commitments of the records it names.
          const rows = database
            .prepare(
              'SELECT commitment FROM exchange_message_log WHERE id BETWEEN ? AND ? ORDER BY id',
            )
            .all(batch.firstId, batch.lastId) as { commitment: string }[]
          expect(rows).toHaveLength(batch.count)
          expect(anchorRoot(rows.map((row) => Buffer.from(row.commitment, 'hex')))).toBe(batch.root)
        }
        // Anchored commitments have left the outbox.
        const last = batches.at(-1)?.lastId ?? 0
        const left = database
          .prepare(
            "SELECT count(*) AS n FROM ledger_outbox WHERE kind = 'exchange-message' AND ref_id <= ?",
          )
          .get(last) as { n: number }
        expect(left.n).toBe(0)
      } finally {
        database.close()
      }
    }
  })

  it('refuses what the provider did not grant, a wrong key, and reports a hanging or failing provider', async () => {
    const denied = await call('/addresses/1')
    expect(denied.status).toBe(403)
    expect(denied.headers.get('x-road-error')).toBe('Server.ServerProxy.AccessDenied')
    const badKey = await call('/persons/1', { headers: { authorization: 'Bearer wrong' } })
    expect(badKey.status).toBe(401)
    const slow = await call('/slow')
    expect(slow.status).toBe(500)
    expect(slow.headers.get('x-road-error')).toBe('Server.ServerProxy.NetworkError')
    const broken = await call('/broken')
    expect(broken.status).toBe(503)
    expect(broken.headers.get('x-road-error')).toBeNull()
    expect(await broken.text()).toBe('register offline')
  })

  it('does not let a gateway without a state-PKI client certificate connect', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const request = httpsRequest(
        {
          host: '127.0.0.1',
          port: pair.providerPort,
          path: `/r1/${SERVICE}/persons/1`,
          rejectUnauthorized: false,
        },
        (response) => resolve(`answered ${response.statusCode}`),
      )
      request.on('error', (error) => resolve(`refused: ${error.message}`))
      request.end()
    })
    expect(outcome).toMatch(/^refused/)
  })

  it('keeps working on its last good configuration while the central server is down', async () => {
    await pair.stopCentral()
    const response = await call('/persons/1')
    expect(response.status).toBe(200)
  })
})
