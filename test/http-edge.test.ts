/** The HTTP edge against hostile clients: slow headers, huge headers, request ids. */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, readConfig, type EStateApp } from '../src/main/index.ts'

let app: EStateApp
let port: number
const directory = mkdtempSync(join(tmpdir(), 'e-state-edge-'))

beforeAll(async () => {
  const config = readConfig({
    E_STATE_DATA_DIR: join(directory, 'data'),
    E_STATE_POPULATION: '200',
    E_STATE_LOG_LEVEL: 'silent',
    E_STATE_HEADERS_TIMEOUT_MS: '500',
    E_STATE_REQUEST_TIMEOUT_MS: '1000',
  })
  app = await createApp(config)
  await app.server.listen({ host: '127.0.0.1', port: 0 })
  port = (app.server.server.address() as { port: number }).port
  await app.start()
})

afterAll(async () => {
  await app.close()
  rmSync(directory, { recursive: true, force: true })
})

/** Sends raw bytes and resolves with what came back and when the server closed the socket. */
function rawExchange(bytes: string): Promise<{ response: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes))
    let response = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk) => (response += chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve({ response, closedAfterMs: performance.now() - started }))
    setTimeout(() => {
      socket.destroy()
      reject(new Error('the server kept a slow client for 10 s'))
    }, 10_000).unref()
  })
}

describe('the HTTP edge', () => {
  it('cuts off a client that never finishes its headers', async () => {
    const { response, closedAfterMs } = await rawExchange(
      'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ',
    )
    expect(closedAfterMs).toBeGreaterThanOrEqual(400)
    expect(closedAfterMs).toBeLessThan(5_000)
    expect(response === '' || response.startsWith('HTTP/1.1 408')).toBe(true)
  })

  it('refuses oversized headers without reaching the application', async () => {
    const { response } = await rawExchange(
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    )
    expect(response).toMatch(/^HTTP\/1\.1 431/)
  })

  it('answers a request that arrives in time, echoing the X-Road-Id as the request id', async () => {
    const reply = await app.server.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-road-id': 'abc-123' },
    })
    expect(reply.statusCode).toBe(200)
    expect(reply.headers['x-road-id']).toBe('abc-123')
    const generated = await app.server.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-road-id': 'bad id with spaces' },
    })
    expect(generated.headers['x-road-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('answers unknown routes and methods with a problem document', async () => {
    const reply = await app.server.inject({ method: 'DELETE', url: '/health/live' })
    expect(reply.statusCode).toBe(404)
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(reply.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404 })
  })
})

describe('hostile requests found in review', () => {
  it('answers a malformed URL with a problem document', async () => {
    const reply = await app.server.inject({ method: 'GET', url: '/data/%ZZ' })
    expect(reply.statusCode).toBe(400)
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(reply.json()).toMatchObject({ code: 'INVALID_INPUT' })
  })
})
