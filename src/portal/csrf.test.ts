import type { FastifyReply, FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { CSRF_COOKIE, CSRF_FIELD, createCsrf, refuseCrossSite } from './csrf.ts'

const KEY = Buffer.alloc(32, 7)

function fakeRequest(headers: Record<string, string> = {}, body?: unknown): FastifyRequest {
  return { headers, body } as unknown as FastifyRequest
}

function fakeReply(): FastifyReply & { cookies(): string[] } {
  const headers = new Map<string, unknown>()
  const reply = {
    getHeader: (name: string) => headers.get(name),
    removeHeader: (name: string) => headers.delete(name),
    header(name: string, value: unknown) {
      headers.set(name, value)
      return reply
    },
    cookies: () => (headers.get('set-cookie') as string[] | undefined) ?? [],
  }
  return reply as unknown as FastifyReply & { cookies(): string[] }
}

/** A browser's first page view: its new secret and the token in its forms. */
function firstVisit(csrf = createCsrf(KEY)) {
  const reply = fakeReply()
  const token = csrf.tokenFor(fakeRequest(), reply)
  const cookie = reply.cookies().find((line) => line.startsWith(`${CSRF_COOKIE}=`))
  if (cookie === undefined) throw new Error('no CSRF cookie issued')
  const secret = cookie.slice(CSRF_COOKIE.length + 1).split(';')[0]
  return { csrf, token, cookie, header: `${CSRF_COOKIE}=${secret}` }
}

const codeOf = (act: () => void): string | undefined => {
  try {
    act()
    return undefined
  } catch (error) {
    return (error as { code?: string }).code
  }
}

describe('CSRF tokens', () => {
  it('gives a browser without a secret an HttpOnly __Host- cookie and a token that verifies', () => {
    const { csrf, token, cookie, header } = firstVisit()
    expect(cookie).toMatch(/; Path=\/; Secure; SameSite=Lax; Max-Age=\d+; HttpOnly$/)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(
      codeOf(() => csrf.verify(fakeRequest({ cookie: header }, { [CSRF_FIELD]: token }))),
    ).toBe(undefined)
  })

  it('keeps the browser secret it already has, so open forms stay valid', () => {
    const { csrf, token, header } = firstVisit()
    const again = csrf.tokenFor(fakeRequest({ cookie: header }), fakeReply())
    expect(again).toBe(token)
  })

  it('refuses a post without the cookie, without the token, or with another token', () => {
    const { csrf, token, header } = firstVisit()
    const other = firstVisit(csrf)
    const refused = [
      fakeRequest({}, { [CSRF_FIELD]: token }),
      fakeRequest({ cookie: header }, {}),
      fakeRequest({ cookie: header }, undefined),
      fakeRequest({ cookie: header }, { [CSRF_FIELD]: other.token }),
      fakeRequest({ cookie: header }, { [CSRF_FIELD]: `${token}x` }),
      fakeRequest({ cookie: header }, { [CSRF_FIELD]: [token, token] }),
      fakeRequest({ cookie: `${header}; ${other.header}` }, { [CSRF_FIELD]: token }),
      fakeRequest({ cookie: `${CSRF_COOKIE}=short` }, { [CSRF_FIELD]: token }),
    ]
    for (const request of refused)
      expect(codeOf(() => csrf.verify(request))).toBe('CSRF_TOKEN_INVALID')
  })

  it("refuses another installation's token for the same browser secret", () => {
    const { token, header } = firstVisit()
    const elsewhere = createCsrf(Buffer.alloc(32, 8))
    expect(
      codeOf(() => elsewhere.verify(fakeRequest({ cookie: header }, { [CSRF_FIELD]: token }))),
    ).toBe('CSRF_TOKEN_INVALID')
  })

  it('refuses a key too short to keep tokens unguessable', () => {
    expect(() => createCsrf(Buffer.alloc(16))).toThrow(TypeError)
  })
})

describe('cross-site posts', () => {
  const origin = 'https://e-state.example'
  const verdict = (headers: Record<string, string>) =>
    codeOf(() => refuseCrossSite(fakeRequest(headers), origin))

  it('accepts our own origin and clients that say nothing', () => {
    expect(verdict({ origin, 'sec-fetch-site': 'same-origin' })).toBe(undefined)
    expect(verdict({})).toBe(undefined)
  })

  it('refuses another site, a sibling subdomain and an opaque origin', () => {
    expect(verdict({ 'sec-fetch-site': 'cross-site' })).toBe('CROSS_SITE_REFUSED')
    expect(verdict({ 'sec-fetch-site': 'same-site' })).toBe('CROSS_SITE_REFUSED')
    expect(verdict({ origin: 'https://evil.example' })).toBe('CROSS_SITE_REFUSED')
    expect(verdict({ origin: 'https://sub.e-state.example' })).toBe('CROSS_SITE_REFUSED')
    expect(verdict({ origin: 'null' })).toBe('CROSS_SITE_REFUSED')
  })
})
