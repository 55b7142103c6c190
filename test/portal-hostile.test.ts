/**
 * Hostile inputs against the portal of a whole app (SQLite, in process): forged form posts to
 * the e-ID desk, the logout and the demo desk; missing, unknown and repeated languages and
 * garbage cookies; another person's ids in URLs; a session ended mid-flow; the development desk
 * in production; oversized bodies; absurd page numbers. Every answer is under 500, and every
 * HTML error page shows its stable code and no stack trace. Each refusal is checked against an
 * act that would otherwise have happened (a certificate issued, a session ended, a name shown).
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { possessionMessage } from '../src/identity/index.ts'
import { generateCosigner, generateSigner } from '../src/ledger/index.ts'
import { createApp, readConfig, type EStateApp } from '../src/main/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'

const ORIGIN = 'https://www.state.example'
const SESSION = '__Host-estate_session'
const CSRF = '__Host-estate_csrf'
const LANGUAGE = '__Host-estate_lang'
/** The demo residents: a resident, the service-desk clerk, the police officer. */
const JAAK = { code: '38001085718', given: 'JAAK-KRISTJAN', surname: 'JÕEORG', name: 'Jõeorg' }
const MARI = { code: '48707032744', given: 'MARI', surname: 'MAASIKAS', name: 'Maasikas' }
const IVAN = { code: '39001010000', given: 'IVAN', surname: 'IVANOV', name: 'Ivanov' }
/** What a stack trace or an error's inside looks like in a page. */
const LEAK = /\.ts:\d+|\bat [\w.<>]+ \(|node_modules|EStateError|TypeError/

/** A browser of a test: its cookies (session, CSRF secret) and the token its forms carry. */
interface Browser {
  readonly cookie: string
  readonly token: string
}

/** A P-256 key pair per use, each proved for `personalCode`: a key request a card would make. */
function keyRequest(personalCode: string): string {
  const part = () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const spki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
    const proof = sign('sha256', possessionMessage(personalCode, spki), privateKey)
    return { publicKey: spki, proof: proof.toString('base64') }
  }
  return JSON.stringify({ auth: part(), sign: part() })
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString()
}

/** The page's main content: what it says, without the header's links that echo the URL. */
function mainOf(body: string): string {
  const start = body.indexOf('<main')
  const end = body.indexOf('</main>')
  expect(start, 'a page with a <main>').toBeGreaterThan(0)
  return body.slice(start, end)
}

/** An HTML error page: its status, its stable code visible, the words of the reader's language. */
function expectErrorPage(reply: LightMyRequestResponse, status: number, code: string): void {
  expect(reply.statusCode, reply.body.slice(0, 300)).toBe(status)
  expect(reply.headers['content-type']).toBe('text/html; charset=utf-8')
  expect(reply.body).toContain(`<code id="error-code" data-code="${code}">${code}</code>`)
  expect(reply.body).not.toMatch(LEAK)
}

describe('the portal against hostile inputs', () => {
  let t: TestApp

  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { E_STATE_PUBLIC_URL: ORIGIN },
      options: { drainIntervalMs: 0 },
    })
  }, 180_000)
  afterAll(async () => {
    await t?.close()
  })

  /** Every request of this file: never a 5xx, and an HTML error page always shows its code. */
  async function send(options: InjectOptions): Promise<LightMyRequestResponse> {
    const reply = await t.inject(options)
    const where = `${options.method ?? 'GET'} ${String(options.url)}`
    expect(reply.statusCode, `${where}: ${reply.body.slice(0, 300)}`).toBeLessThan(500)
    if (reply.statusCode >= 400 && String(reply.headers['content-type']).startsWith('text/html'))
      expect(reply.body, where).toMatch(/data-code="[A-Z][A-Za-z_]+"/)
    return reply
  }

  /** A new login of `person`, made through the session store the e-ID login uses. */
  async function logIn(person: typeof JAAK): Promise<{ id: string; cookie: string }> {
    const { id } = await t.app.platform().sessions.start({
      personalCode: person.code,
      givenName: person.given,
      surname: person.surname,
      method: 'web-eid',
    })
    return { id, cookie: `${SESSION}=${id}` }
  }

  /** Opens a page as a browser does: keeps the CSRF cookie it sets and the form's token. */
  async function visit(url: string, cookie = ''): Promise<Browser> {
    const reply = await send({ url, headers: cookie === '' ? {} : { cookie } })
    expect(reply.statusCode, reply.body.slice(0, 300)).toBe(200)
    const secret = [reply.headers['set-cookie']]
      .flat()
      .find((line) => line?.startsWith(`${CSRF}=`))
      ?.split(';')[0]
    const token = /name="_csrf" value="([^"]+)"/.exec(reply.body)?.[1]
    if (secret === undefined || token === undefined) throw new Error(`no CSRF token on ${url}`)
    return { cookie: [cookie, secret].filter((part) => part !== '').join('; '), token }
  }

  /** A form post from our own pages unless `headers` say otherwise. */
  function post(
    url: string,
    cookie: string,
    body: string,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    return send({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        'sec-fetch-site': 'same-origin',
        ...(cookie === '' ? {} : { cookie }),
        ...headers,
      },
      payload: body,
    })
  }

  const certificatesOf = async (personalCode: string) =>
    (await t.app.platform().pki.certificatesOf(personalCode)).length

  /** Each way a post can be forged, with the code the portal must refuse it with. */
  function forgeries(
    browser: Browser,
    other: Browser,
  ): {
    name: string
    cookie: string
    token?: string
    headers?: Record<string, string>
    code: string
  }[] {
    const session = browser.cookie.split('; ').find((part) => part.startsWith(`${SESSION}=`))
    return [
      { name: 'no token', cookie: browser.cookie, code: 'CSRF_TOKEN_INVALID' },
      {
        name: 'a made-up token',
        cookie: browser.cookie,
        token: randomBytes(32).toString('base64url').slice(0, 43),
        code: 'CSRF_TOKEN_INVALID',
      },
      {
        name: 'its own token altered',
        cookie: browser.cookie,
        token: `${browser.token.slice(0, -1)}${browser.token.endsWith('A') ? 'B' : 'A'}`,
        code: 'CSRF_TOKEN_INVALID',
      },
      {
        name: "another browser's token",
        cookie: browser.cookie,
        token: other.token,
        code: 'CSRF_TOKEN_INVALID',
      },
      {
        name: 'the token without the CSRF cookie',
        cookie: session ?? '',
        token: browser.token,
        code: 'CSRF_TOKEN_INVALID',
      },
      {
        name: "another site's Origin",
        cookie: browser.cookie,
        token: browser.token,
        headers: { origin: 'https://evil.example' },
        code: 'CROSS_SITE_REFUSED',
      },
      {
        name: 'Origin: null (a sandboxed frame)',
        cookie: browser.cookie,
        token: browser.token,
        headers: { origin: 'null' },
        code: 'CROSS_SITE_REFUSED',
      },
      {
        name: 'Sec-Fetch-Site: cross-site',
        cookie: browser.cookie,
        token: browser.token,
        headers: { 'sec-fetch-site': 'cross-site' },
        code: 'CROSS_SITE_REFUSED',
      },
      {
        name: 'Sec-Fetch-Site: same-site (a sibling subdomain)',
        cookie: browser.cookie,
        token: browser.token,
        headers: { 'sec-fetch-site': 'same-site' },
        code: 'CROSS_SITE_REFUSED',
      },
    ]
  }

  describe('forged form posts', () => {
    it('refuses every forged issuance at the e-ID desk with a 403 page, and issues nothing', async () => {
      const clerk = await logIn(MARI)
      const desk = await visit('/desk/eid?lang=en', clerk.cookie)
      const elsewhere = await visit('/dev/desk')
      const fields = {
        personalCode: IVAN.code,
        documentChecked: 'yes',
        keyRequest: keyRequest(IVAN.code),
      }
      const before = await certificatesOf(IVAN.code)
      for (const forged of forgeries(desk, elsewhere)) {
        const body = form(forged.token === undefined ? fields : { _csrf: forged.token, ...fields })
        const reply = await post('/desk/eid', forged.cookie, body, forged.headers)
        expectErrorPage(reply, 403, forged.code)
        expect(reply.body, forged.name).not.toContain('e-ID issued')
      }
      expect(await certificatesOf(IVAN.code)).toBe(before)
      // The same form from the clerk's own page with its token is an issuance: the refusals
      // above were the checks', not a broken form's.
      const genuine = await post(
        '/desk/eid?lang=en',
        desk.cookie,
        form({ _csrf: desk.token, ...fields }),
      )
      expect(genuine.statusCode, genuine.body.slice(0, 300)).toBe(200)
      expect(mainOf(genuine.body)).toContain('e-ID issued')
      expect(await certificatesOf(IVAN.code)).toBe(before + 2)
    })

    it('refuses a forged logout with a 403 page, and the session lives on', async () => {
      const jaak = await logIn(JAAK)
      const browser = await visit('/?lang=en', jaak.cookie)
      const elsewhere = await visit('/dev/desk')
      for (const forged of forgeries(browser, elsewhere)) {
        const body = forged.token === undefined ? '' : form({ _csrf: forged.token })
        const reply = await post('/logout', forged.cookie, body, forged.headers)
        expectErrorPage(reply, 403, forged.code)
        expect(reply.headers.location, forged.name).toBeUndefined()
        expect(await t.app.platform().sessions.find(jaak.id), forged.name).toBeDefined()
      }
      const genuine = await post('/logout', browser.cookie, form({ _csrf: browser.token }))
      expect(genuine.statusCode).toBe(303)
      expect(await t.app.platform().sessions.find(jaak.id)).toBeUndefined()
    })

    it("refuses forged posts to the demo desk's page, and another site's call to its issuance", async () => {
      const browser = await visit('/dev/desk')
      const elsewhere = await visit('/dev/desk')
      for (const forged of forgeries(browser, elsewhere)) {
        const body = form({
          ...(forged.token === undefined ? {} : { _csrf: forged.token }),
          personalCode: JAAK.code,
        })
        expectErrorPage(
          await post('/dev/desk', forged.cookie, body, forged.headers),
          403,
          forged.code,
        )
      }
      // Its issuance is JSON, so a page of another site cannot post it as a form (no parser)…
      const asForm = await post(
        '/dev/desk/issue',
        browser.cookie,
        form({ personalCode: JAAK.code }),
        {
          origin: 'https://evil.example',
        },
      )
      expect(asForm.statusCode).toBe(415)
      // …and a script of another site is refused by its origin before anything is issued.
      const keys = JSON.parse(keyRequest(JAAK.code)) as Record<string, unknown>
      const before = await certificatesOf(JAAK.code)
      for (const headers of [
        { origin: 'https://evil.example' },
        { 'sec-fetch-site': 'cross-site' },
      ]) {
        const foreign = await send({
          method: 'POST',
          url: '/dev/desk/issue',
          headers,
          payload: { personalCode: JAAK.code, ...keys },
        })
        expect(foreign.statusCode).toBe(403)
        expect(foreign.json().code).toBe('CROSS_SITE_REFUSED')
      }
      expect(await certificatesOf(JAAK.code)).toBe(before)
      const own = await send({
        method: 'POST',
        url: '/dev/desk/issue',
        headers: { origin: ORIGIN },
        payload: { personalCode: JAAK.code, ...keys },
      })
      expect(own.statusCode, own.body).toBe(200)
      expect(await certificatesOf(JAAK.code)).toBe(before + 2)
    })

    it('refuses a repeated token field, and odd field names do not break a checked form', async () => {
      const jaak = await logIn(JAAK)
      const browser = await visit('/', jaak.cookie)
      const twice = await post(
        '/logout',
        browser.cookie,
        `_csrf=${browser.token}&_csrf=${browser.token}`,
      )
      expectErrorPage(twice, 403, 'CSRF_TOKEN_INVALID')
      const clerk = await logIn(MARI)
      const desk = await visit('/desk/eid?lang=en', clerk.cookie)
      const odd = await post(
        '/desk/eid?lang=en',
        desk.cookie,
        `_csrf=${desk.token}&__proto__=1&constructor=2&hasOwnProperty=3&__proto__[admin]=1&personalCode=${IVAN.code}&personalCode=${JAAK.code}`,
      )
      expect(odd.statusCode).toBe(400)
      expect(odd.body).toMatch(/data-code="(FIELD_[A-Z_]+|PERSONAL_CODE_INVALID)"/)
      expect(mainOf(odd.body)).not.toContain('e-ID issued')
    })
  })

  it('offers the demo desk on the front page in development', async () => {
    const reply = await send({ url: '/?lang=en' })
    expect(reply.body).toContain('<a class="govuk-link" href="/dev/desk">')
  })

  describe('languages', () => {
    it.each([
      ['an unknown ?lang=', '/?lang=xx'],
      ['an empty ?lang=', '/?lang='],
      ['a ?lang= in capitals', '/?lang=EN'],
      ['a very long ?lang=', `/?lang=${'x'.repeat(4000)}`],
      ['an unknown ?lang= on a page that needs a session', '/my-data?lang=de'],
    ])('answers %s with a 400 page in Estonian', async (_name, url) => {
      const reply = await send({ url })
      expectErrorPage(reply, 400, 'LANGUAGE_UNKNOWN')
      expect(reply.body).toContain('<html lang="et"')
      expect(reply.body).not.toContain('x'.repeat(100))
    })

    it('reads a repeated ?lang= as its first, and ignores a ?lang[]=', async () => {
      const repeated = await send({ url: '/?lang=en&lang=ru' })
      expect(repeated.statusCode).toBe(200)
      expect(repeated.body).toContain('<html lang="en"')
      const bracketed = await send({ url: '/?lang[]=ru' })
      expect(bracketed.statusCode).toBe(200)
      expect(bracketed.body).toContain('<html lang="et"')
    })

    it.each([
      ['an unknown language', `${LANGUAGE}=xx`],
      ['bad percent-encoding everywhere', `${LANGUAGE}=%E0%A4%A; ${CSRF}=%zz; ${SESSION}=%`],
      ['the language cookie twice', `${LANGUAGE}=en; ${LANGUAGE}=ru`],
      ['no value and no name', `${LANGUAGE}; =; ;;`],
      ['8 KB of cookies', `${LANGUAGE}=en; filler=${'a'.repeat(9000)}`],
      ['a CSRF secret of the wrong shape', `${CSRF}=${'z'.repeat(500)}`],
    ])('answers a page whatever the cookies: %s', async (_name, cookie) => {
      const front = await send({ url: '/', headers: { cookie } })
      expect(front.statusCode).toBe(200)
      expect(front.body).toMatch(/<html lang="(et|en|ru)"/)
      // A page with a form: a usable token for the next post, whatever the cookie held.
      const reply = await send({ url: '/dev/desk', headers: { cookie } })
      expect(reply.statusCode).toBe(200)
      expect(reply.body).toMatch(/name="_csrf" value="[A-Za-z0-9_-]{43}"/)
    })

    it("escapes what the URL brings into the page's language links", async () => {
      const reply = await send({
        url: '/?q=%3Cscript%3Ealert(1)%3C/script%3E&x=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E',
      })
      expect(reply.statusCode).toBe(200)
      expect(reply.body).not.toContain('<script>alert(1)')
      expect(reply.body).not.toMatch(/"><img|onerror=alert/)
      expect(reply.body).toContain('href="/?q=%3Cscript%3Ealert%281%29')
    })
  })

  describe("another person's ids", () => {
    let jaak: { id: string; cookie: string }
    /** A seeded resident with no tie to Jaak, whose record a police officer reads. */
    let other: { code: string; name: string }
    let otherReadIndex: number
    const PURPOSE = 'case hostile-77'

    beforeAll(async () => {
      const found = await t.app
        .platform()
        .store.admin.selectFrom('persons')
        .select(['personal_code', 'first_name', 'last_name'])
        .where('status', '=', 'alive')
        .where('birth_date', '<=', '1990-01-01')
        .where('personal_code', 'not in', [JAAK.code, MARI.code, IVAN.code])
        .orderBy('personal_code', 'desc')
        .executeTakeFirstOrThrow()
      other = { code: found.personal_code, name: `${found.first_name} ${found.last_name}` }
      const read = await send({
        url: `/data/population/1.0?query.personalCode=${other.code}`,
        headers: {
          ...t.headers('PPA'),
          'x-road-userid': `EE${IVAN.code}`,
          'x-road-issue': PURPOSE,
        },
      })
      expect(read.statusCode).toBe(200)
      await t.app.platform().ledger.drainOnce()
      const session = await t.app.platform().sessions.start({
        personalCode: other.code,
        givenName: found.first_name.toUpperCase(),
        surname: found.last_name.toUpperCase(),
        method: 'web-eid',
      })
      const cookie = `${SESSION}=${session.id}`
      const usage = await send({ url: '/tracker/usage', headers: { cookie } })
      const record = (
        usage.json().records as { purpose: string; ledger: { index: number | null } }[]
      ).find((entry) => entry.purpose === PURPOSE)
      if (record?.ledger.index == null) throw new Error('the police read is not in the ledger')
      otherReadIndex = record.ledger.index
      // Their own tracker page shows the read: the marker Jaak's pages must not show.
      const own = await send({ url: '/tracker', headers: { cookie } })
      expect(mainOf(own.body)).toContain(PURPOSE)
      jaak = await logIn(JAAK)
    })

    const urls = (code: string) => ({
      myData: [
        `/my-data?personalCode=${code}`,
        `/my-data?userId=EE${code}`,
        `/my-data?personalCode=${code}&personalCode=${IVAN.code}`,
      ],
      tracker: [
        `/tracker?userId=EE${code}`,
        `/tracker?personalCode=${code}`,
        `/tracker?userId=EE${code}&page=2`,
      ],
    })

    it('shows "my data" of the session\'s person only, whatever the URL or headers say', async () => {
      for (const url of urls(other.code).myData) {
        const reply = await send({
          url,
          headers: { cookie: jaak.cookie, 'x-road-userid': `EE${other.code}` },
        })
        expect(reply.statusCode, url).toBe(200)
        const main = mainOf(reply.body)
        expect(main, url).toContain(JAAK.code)
        expect(main, url).toContain(JAAK.name)
        // The URL itself comes back in the language links (escaped); the page's data does not.
        expect(main, url).not.toContain(other.code)
        expect(reply.body, url).not.toContain(other.name)
      }
    })

    it("shows the session's own tracker only, whatever the URL says", async () => {
      for (const url of urls(other.code).tracker) {
        const reply = await send({ url, headers: { cookie: jaak.cookie } })
        expect(reply.statusCode, url).toBe(200)
        const main = mainOf(reply.body)
        expect(main, url).not.toContain(PURPOSE)
        expect(main, url).not.toContain(other.code)
        expect(reply.body, url).not.toContain(other.name)
      }
    })

    it("serves another person's receipt, which names nobody", async () => {
      const reply = await send({
        url: `/ledger/receipt/${otherReadIndex}`,
        headers: { cookie: jaak.cookie },
      })
      expect(reply.statusCode).toBe(200)
      const receipt = reply.json() as { kind: string; entry: string }
      expect(receipt.kind).toBe('access')
      const entry = Buffer.from(receipt.entry, 'base64').toString('utf8')
      expect(JSON.parse(entry)).toMatchObject({ kind: 'access', commitment: expect.any(String) })
      for (const text of [reply.body, entry]) {
        expect(text).not.toContain(PURPOSE)
        for (const person of [other, { code: IVAN.code, name: 'Ivan Ivanov' }]) {
          expect(text).not.toContain(person.code)
          for (const part of person.name.split(' '))
            expect(text.toLowerCase()).not.toContain(part.toLowerCase())
        }
      }
    })

    it('does not let a second, planted session cookie choose the person', async () => {
      const mari = await logIn(MARI)
      const reply = await send({
        url: '/my-data',
        headers: { cookie: `${jaak.cookie}; ${mari.cookie}` },
      })
      expectErrorPage(reply, 401, 'SESSION_REQUIRED')
      expect(reply.body).not.toContain(MARI.name)
      expect(reply.body).not.toContain(JAAK.name)
    })
  })

  describe('a session ended mid-flow', () => {
    it('asks to log in again on "my data", with none of the data', async () => {
      const jaak = await logIn(JAAK)
      const open = await send({ url: '/my-data?lang=en', headers: { cookie: jaak.cookie } })
      expect(mainOf(open.body)).toContain(JAAK.code)
      await t.app.platform().sessions.end(jaak.id)
      const reply = await send({ url: '/my-data?lang=en', headers: { cookie: jaak.cookie } })
      expectErrorPage(reply, 401, 'SESSION_REQUIRED')
      expect(reply.body).toContain('Log in first')
      expect(reply.body).not.toContain(JAAK.code)
      expect(reply.body).not.toContain(JAAK.name)
      expect(reply.body).not.toContain('Logged in as')
    })

    it('refuses the desk form posted after the clerk was logged out, and issues nothing', async () => {
      const clerk = await logIn(MARI)
      const desk = await visit('/desk/eid?lang=en', clerk.cookie)
      const before = await certificatesOf(IVAN.code)
      await t.app.platform().sessions.end(clerk.id)
      const reply = await post(
        '/desk/eid?lang=en',
        desk.cookie,
        form({
          _csrf: desk.token,
          personalCode: IVAN.code,
          documentChecked: 'yes',
          keyRequest: keyRequest(IVAN.code),
        }),
      )
      expectErrorPage(reply, 401, 'SESSION_REQUIRED')
      expect(reply.body).toContain('Log in first')
      expect(reply.body).not.toContain(MARI.name)
      expect(await certificatesOf(IVAN.code)).toBe(before)
    })
  })

  describe('oversized input', () => {
    it.each([
      ['the desk form', '/desk/eid', 100 * 1024],
      ['the logout', '/logout', 2 * 1024 * 1024],
      ['the demo desk', '/dev/desk', 100 * 1024],
    ])('answers an oversized post to %s with a 413 page', async (_name, url, size) => {
      const clerk = await logIn(MARI)
      const browser = await visit('/', clerk.cookie)
      const reply = await post(
        url,
        browser.cookie,
        form({ _csrf: browser.token, filler: 'a'.repeat(size) }),
      )
      expectErrorPage(reply, 413, 'BODY_TOO_LARGE')
      expect(await t.app.platform().sessions.find(clerk.id)).toBeDefined()
    })

    it('sends back a key request longer than its field allows, as a form error', async () => {
      const clerk = await logIn(MARI)
      const desk = await visit('/desk/eid?lang=en', clerk.cookie)
      const reply = await post(
        '/desk/eid?lang=en',
        desk.cookie,
        form({
          _csrf: desk.token,
          personalCode: IVAN.code,
          documentChecked: 'yes',
          keyRequest: 'x'.repeat(5000),
        }),
      )
      expect(reply.statusCode).toBe(400)
      expect(reply.body).toContain('data-code="FIELD_TOO_LONG"')
    })
  })

  describe('page numbers on the tracker', () => {
    let jaak: { id: string; cookie: string }

    beforeAll(async () => {
      jaak = await logIn(JAAK)
      // A view of "my data" is a read of Jaak's data by the portal: his tracker is not empty.
      expect((await send({ url: '/my-data', headers: { cookie: jaak.cookie } })).statusCode).toBe(
        200,
      )
    })

    it.each([
      '99999999999999999999',
      '1e400',
      'Infinity',
      '-1',
      '0',
      '0x10',
      '10001',
      '9007199254740993',
      '2',
      '1&page=2',
      '%00',
    ])("shows a page of the tracker's records for ?page=%s", async (page) => {
      const reply = await send({
        url: `/tracker?lang=en&page=${page}`,
        headers: { cookie: jaak.cookie },
      })
      expect(reply.statusCode).toBe(200)
      const main = mainOf(reply.body)
      expect(main).toMatch(/Use of your data \(\d+ records\)/)
      expect(main).not.toContain('Nobody has read your data yet.')
    })
  })
})

describe('the development desk in production', () => {
  let app: EStateApp
  let root: string

  beforeAll(async () => {
    // A production configuration with real keys of its own. The app is built (every route
    // and page mounted as a production node mounts them) but not started: starting needs the
    // state PKI imported by a key ceremony (`e-state ca import`), and what is mounted does
    // not depend on it. The demo desk's guard runs before it would touch the platform.
    root = await mkdtemp(join(tmpdir(), 'e-state-hostile-production-'))
    const oidc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'jwk',
    })
    app = await createApp(
      readConfig({
        E_STATE_ENV: 'production',
        E_STATE_DATA_DIR: join(root, 'data'),
        E_STATE_LOG_LEVEL: 'silent',
        E_STATE_PUBLIC_URL: ORIGIN,
        E_STATE_MASTER_KEY: `production-test:${randomBytes(32).toString('base64')}`,
        E_STATE_LEDGER_KEY: generateSigner('www.state.example/ledger').text,
        E_STATE_WITNESS_KEY: generateCosigner('www.state.example/witness').text,
        E_STATE_OIDC_KEY: JSON.stringify(oidc),
      }),
    )
  }, 120_000)
  afterAll(async () => {
    await app?.close()
    await rm(root, { recursive: true, force: true })
  })

  it('does not mount the demo desk page', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const reply = await app.server.inject({ method, url: '/dev/desk' })
      expect(reply.statusCode).toBe(404)
      expect(reply.json().code).toBe('ROUTE_NOT_FOUND')
    }
  })

  it('refuses the demo issuance as DEVELOPMENT_ONLY, from our own origin too', async () => {
    const keys = JSON.parse(keyRequest(JAAK.code)) as Record<string, unknown>
    const reply = await app.server.inject({
      method: 'POST',
      url: '/dev/desk/issue',
      headers: { origin: ORIGIN, 'sec-fetch-site': 'same-origin' },
      payload: { personalCode: JAAK.code, ...keys },
    })
    expect(reply.statusCode).toBe(404)
    expect(reply.json().code).toBe('DEVELOPMENT_ONLY')
  })

  it('still shows the front page while the node is not started, without the demo desk', async () => {
    const reply = await app.server.inject({ url: '/?lang=en' })
    expect(reply.statusCode, reply.body.slice(0, 300)).toBe(200)
    expect(reply.body).toContain('<html lang="en"')
    expect(reply.body).not.toContain('href="/dev/desk"')
    const resident = await app.server.inject({ url: '/my-data?lang=en' })
    expectErrorPage(resident, 503, 'NOT_READY')
  })
})
