/**
 * The portal shell in a bare Fastify app (no platform): pages in each language, the language
 * remembered, the strict headers, the themed assets with nothing of GOV.UK's brand, and every
 * form post checked for its origin and its CSRF token before the handler runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  LANGUAGE_COOKIE,
  PAGE_CSP,
  mountPage,
  registerPortal,
  type PortalSession,
} from '../src/portal/index.ts'

const ORIGIN = 'https://e-state.example'
/** A module's template folder, as a module would ship it beside its pages. */
const TEMPLATES = mkdtempSync(join(tmpdir(), 'e-state-portal-shell-'))
const PETITION_FORM = `{% extends "layout.njk" %}
{% from "govuk/components/input/macro.njk" import govukInput %}
{% block content %}
<h1 class="govuk-heading-l">{{ pageTitle }}</h1>
<form method="post" novalidate>
  {{ csrfField() }}
  {{ govukInput({ id: "name", name: "name", label: { text: "Name" }, value: values.name, errorMessage: formErrors.fields.name if formErrors }) }}
</form>
{% endblock %}
`
const MARI: PortalSession = { personalCode: '48707032744', givenName: 'Mari', surname: 'Maasikas' }

interface Browser {
  cookie: string
  token: string
}

describe('the portal shell', () => {
  let app: FastifyInstance
  const acts: string[] = []
  let checkpoint: () => Promise<string | undefined> = async () =>
    'e-state.example/ledger\n3\nq2Tc<b>=\n'

  beforeAll(async () => {
    mkdirSync(join(TEMPLATES, 'petition'))
    writeFileSync(join(TEMPLATES, 'petition/form.njk'), PETITION_FORM)
    app = Fastify()
    // An API route beside the portal: the portal's form parser and error pages must not reach it.
    app.post('/api/echo', async (request) => ({ body: request.body }))
    const forms = mountPage(
      {
        path: '/petition',
        title: { et: 'Petitsioon', en: 'Petition', ru: 'Петиция' },
        audience: 'public',
        listed: true,
        description: { et: 'Esita petitsioon', en: 'Send a petition', ru: 'Подать петицию' },
        templates: TEMPLATES,
        render: async () => ({ template: 'petition/form.njk', context: { values: {} } }),
        submit: async (page) => {
          const form = page.validate({
            name: { label: { et: 'Nimi', en: 'Name', ru: 'Имя' }, required: true },
          })
          if (!form.ok)
            return {
              template: 'petition/form.njk',
              context: { values: form.values, formErrors: form.errors },
              status: 400,
            }
          acts.push(`petition:${form.values.name}`)
          return { redirect: '/petition?sent=1' }
        },
      },
      () => ({}),
    )
    const desk = mountPage(
      {
        path: '/desk',
        title: { et: 'Büroo', en: 'Desk', ru: 'Бюро' },
        audience: 'clerk',
        render: async () => ({ template: 'petition/form.njk', context: { values: {} } }),
      },
      () => ({}),
    )
    const broken = mountPage(
      {
        path: '/broken',
        title: { et: 'Katki', en: 'Broken', ru: 'Сломано' },
        audience: 'resident',
        render: async () => {
          throw new TypeError('secret detail of a bug')
        },
      },
      () => ({}),
    )
    await registerPortal(app, {
      environment: 'production',
      publicUrl: `${ORIGIN}/`,
      secret: Buffer.alloc(32, 3),
      pages: [forms, desk, broken],
      checkpoint: () => checkpoint(),
      session: async (request) => (request.headers['x-test-session'] === 'mari' ? MARI : undefined),
      logout: async () => {
        acts.push('logout')
      },
      routes: (portal) => {
        portal.post('/echo-form', async (request) => {
          acts.push('echo')
          return { body: request.body }
        })
      },
    })
    await app.ready()
  }, 60_000)
  afterAll(async () => {
    await app?.close()
    rmSync(TEMPLATES, { recursive: true, force: true })
  })

  /** A page view: the browser's CSRF cookie and the token in the page's forms. */
  async function visit(url: string, headers: Record<string, string> = {}): Promise<Browser> {
    const reply = await app.inject({ url, headers })
    expect(reply.statusCode).toBe(200)
    // What the browser keeps: every cookie the page set (the CSRF secret, a chosen language).
    const cookies = [reply.headers['set-cookie']].flat().filter((line) => line !== undefined)
    const token = /name="_csrf" value="([^"]+)"/.exec(reply.body)?.[1]
    if (!cookies.some((line) => line.startsWith('__Host-estate_csrf=')) || token === undefined)
      throw new Error(`no CSRF token on ${url}`)
    return { cookie: cookies.map((line) => line.split(';')[0]).join('; '), token }
  }

  const post = (
    url: string,
    browser: Partial<Browser>,
    body: string,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        'sec-fetch-site': 'same-origin',
        ...(browser.cookie === undefined ? {} : { cookie: browser.cookie }),
        ...headers,
      },
      payload: browser.token === undefined ? body : `_csrf=${browser.token}&${body}`,
    })

  it.each([
    ['et', '/', 'Riigi e-teenused'],
    ['en', '/?lang=en', 'The state&#39;s e-services'],
    ['ru', '/?lang=ru', 'Электронные услуги государства'],
  ])(
    'renders the front page in %s with a language switch of hreflang links',
    async (language, url, title) => {
      const reply = await app.inject({ url, headers: { accept: 'text/html' } })
      expect(reply.statusCode).toBe(200)
      expect(reply.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(reply.body).toContain(`<html lang="${language}"`)
      expect(reply.body).toContain(`<h1 class="govuk-heading-xl">${title}</h1>`)
      for (const [other, name] of [
        ['et', 'Eesti'],
        ['en', 'English'],
        ['ru', 'Русский'],
      ])
        expect(reply.body).toMatch(
          new RegExp(
            `<a class="govuk-language-navigation__link" href="/\\?lang=${other}" rel="alternate" lang="${other}" hreflang="${other}"[^>]*>${name}\\s*</a>`,
          ),
        )
      expect(reply.body).toMatch(
        new RegExp(
          `href="/\\?lang=${language}" rel="alternate" lang="${language}" hreflang="${language}" aria-current="true"`,
        ),
      )
      // Every service leads to a page; the listed module page is among them.
      for (const href of [
        '/login',
        '/my-data',
        '/tracker',
        '/sign',
        '/validate',
        '/desk',
        '/petition',
        '/ledger',
        '/trust',
        '/docs',
      ])
        expect(reply.body).toContain(`<a class="govuk-link" href="${href}">`)
    },
  )

  it('sends the strict CSP and the other security headers with every page', async () => {
    const reply = await app.inject({ url: '/trust' })
    expect(reply.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    expect(reply.headers['referrer-policy']).toBe('no-referrer')
    expect(reply.headers['x-frame-options']).toBe('DENY')
    expect(reply.headers['cache-control']).toBe('no-store')
    // No inline script or style for the CSP to block.
    expect(reply.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle="/)
  })

  it('remembers a language chosen with ?lang= in a __Host- cookie', async () => {
    const chosen = await app.inject({ url: '/ledger?lang=ru' })
    const cookie = [chosen.headers['set-cookie']]
      .flat()
      .find((line) => line?.startsWith(`${LANGUAGE_COOKIE}=`))
    expect(cookie).toMatch(/^__Host-estate_lang=ru; Path=\/; Secure; SameSite=Lax; Max-Age=\d+/)
    const later = await app.inject({ url: '/trust', headers: { cookie: cookie!.split(';')[0] } })
    expect(later.body).toContain('<html lang="ru"')
    expect(later.body).toContain('Услуги доверия')
  })

  it('answers an unknown ?lang= with a clear 400 page in Estonian', async () => {
    const reply = await app.inject({
      url: '/?lang=de',
      headers: { cookie: `${LANGUAGE_COOKIE}=en` },
    })
    expect(reply.statusCode).toBe(400)
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(reply.body).toContain('<html lang="et"')
    expect(reply.body).toContain('Seda keelt ei ole')
    expect(reply.body).toContain('data-code="LANGUAGE_UNKNOWN"')
    expect(reply.body).not.toMatch(/\.ts:\d+|at .+\(|Error:/)
  })

  it('refuses a post without a token, with a wrong one or without the cookie (403)', async () => {
    const browser = await visit('/petition')
    const other = await visit('/petition')
    const before = acts.length
    for (const attempt of [
      post('/petition', { cookie: browser.cookie }, 'name=Mari'),
      post('/petition', { cookie: browser.cookie, token: other.token }, 'name=Mari'),
      post('/petition', { token: browser.token }, 'name=Mari'),
      post('/echo-form', { cookie: browser.cookie, token: `${browser.token}A` }, 'x=1'),
    ]) {
      const reply = await attempt
      expect(reply.statusCode).toBe(403)
      expect(reply.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(reply.body).toContain('data-code="CSRF_TOKEN_INVALID"')
      expect(reply.body).toContain('Vormi ei saanud vastu võtta')
    }
    expect(acts.length).toBe(before)
  })

  it("refuses another site's post even with a good token (403)", async () => {
    const browser = await visit('/petition?lang=en')
    const before = acts.length
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ]
    for (const headers of foreign) {
      const reply = await post('/petition', browser, 'name=Mari', headers)
      expect(reply.statusCode).toBe(403)
      expect(reply.body).toContain('data-code="CROSS_SITE_REFUSED"')
    }
    expect(acts.length).toBe(before)
  })

  it('accepts a post with its token from our own origin', async () => {
    const browser = await visit('/petition')
    const reply = await post('/petition', browser, 'name=Mari+Maasikas')
    expect(reply.statusCode).toBe(303)
    expect(reply.headers.location).toBe('/petition?sent=1')
    expect(acts).toContain('petition:Mari Maasikas')
    const echoed = await post('/echo-form', browser, 'a=1&a=2')
    expect(echoed.statusCode).toBe(200)
    expect(echoed.json().body).toMatchObject({ a: ['1', '2'] })
  })

  it('sends a form back with an error summary and the message at the field', async () => {
    const browser = await visit('/petition?lang=en')
    const reply = await post('/petition', browser, 'name=+')
    expect(reply.statusCode).toBe(400)
    expect(reply.body).toContain('<html lang="en"')
    expect(reply.body).toMatch(
      /<div class="govuk-error-summary"[\s\S]*<a href="#name" data-code="FIELD_REQUIRED">Name: This field is required<\/a>/,
    )
    expect(reply.body).toMatch(
      /<p id="name-error" class="govuk-error-message" data-code="FIELD_REQUIRED">\s*<span class="govuk-visually-hidden">Error:<\/span> This field is required/,
    )
    // The form sent back carries a token again, so the person can correct and resend it.
    expect(reply.body).toContain('name="_csrf"')
  })

  it('keeps pages that are not public for the people they are for', async () => {
    const anonymous = await app.inject({ url: '/desk?lang=en' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.body).toContain('data-code="SESSION_REQUIRED"')
    const resident = await app.inject({ url: '/desk', headers: { 'x-test-session': 'mari' } })
    expect(resident.statusCode).toBe(403)
    expect(resident.body).toContain('data-code="ROLE_REQUIRED"')
  })

  it('shows who is logged in and logs out with a checked form', async () => {
    const page = await app.inject({ url: '/?lang=en', headers: { 'x-test-session': 'mari' } })
    expect(page.body).toContain('Logged in as <strong>Mari Maasikas</strong>')
    expect(page.body).toMatch(
      /<form method="post" action="\/logout" novalidate>\s*<input type="hidden" name="_csrf"/,
    )
    const browser = await visit('/', { 'x-test-session': 'mari' })
    expect((await post('/logout', { cookie: browser.cookie }, '')).statusCode).toBe(403)
    const reply = await post('/logout', browser, '')
    expect(reply.statusCode).toBe(303)
    expect(reply.headers.location).toBe('/')
    expect(acts).toContain('logout')
  })

  it('answers a failing page with a 500 page that tells nothing of the failure', async () => {
    const reply = await app.inject({
      url: '/broken?lang=en',
      headers: { 'x-test-session': 'mari' },
    })
    expect(reply.statusCode).toBe(500)
    expect(reply.body).toContain('data-code="INTERNAL_ERROR"')
    expect(reply.body).not.toContain('secret detail')
  })

  it('explains the ledger, shows the checkpoint escaped, and links its raw files', async () => {
    const reply = await app.inject({ url: '/ledger?lang=en' })
    expect(reply.body).toContain(
      '<pre class="estate-checkpoint" id="checkpoint" tabindex="0" role="region" aria-labelledby="checkpoint-heading">e-state.example/ledger\n3\nq2Tc&lt;b&gt;=\n</pre>',
    )
    for (const href of [
      '/ledger/checkpoint',
      '/ledger/verifier-key',
      '/ledger/witness-keys',
      '/ledger/tile/0/000',
      '/ledger/proof/inclusion?index=0',
      '/ledger/proof/consistency?from=1',
      '/ledger/receipt/0',
    ])
      expect(reply.body).toContain(`href="${href}"`)
    checkpoint = async () => {
      throw new Error('store closed')
    }
    const without = await app.inject({ url: '/ledger?lang=en' })
    expect(without.statusCode).toBe(200)
    expect(without.body).toContain('No checkpoint has been published yet.')
  })

  it('links every certificate, revocation list and service of the trust page', async () => {
    const reply = await app.inject({ url: '/trust' })
    for (const ca of ['root', 'citizen', 'eseal', 'tls', 'tsa'])
      expect(reply.body).toContain(`href="/trust/ca/${ca}.crt"`)
    for (const crl of ['citizen', 'eseal', 'tls'])
      expect(reply.body).toContain(`href="/trust/crl/${crl}.crl"`)
    expect(reply.body).toContain('/trust/ocsp')
    expect(reply.body).toContain('/trust/tsa')
  })

  it("keeps the login page's elements and serves its script, which may connect to us", async () => {
    const reply = await app.inject({ url: '/login?lang=en' })
    for (const id of ['login', 'passkey-login', 'passkey-add', 'status', 'summary', 'tracker'])
      expect(reply.body).toContain(`id="${id}"`)
    expect(reply.headers['content-security-policy']).toBe(`${PAGE_CSP}; connect-src 'self'`)
    const script = /<script type="module" src="(\/portal\/assets\/app\.[^"]+\.js)">/.exec(
      reply.body,
    )?.[1]
    const bundle = await app.inject({ url: script! })
    expect(bundle.statusCode).toBe(200)
    expect(bundle.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(bundle.body).toContain('passkey-login')
  }, 60_000)

  it('serves the themed stylesheet and the scripts for good under hashed names, nothing of GOV.UK', async () => {
    const page = (await app.inject({ url: '/' })).body
    const urls = [...page.matchAll(/(?:href|src)="(\/portal\/assets\/[^"]+)"/g)].map(
      (match) => match[1],
    )
    expect(urls).toHaveLength(3)
    const css = urls.find((url) => url.endsWith('.css'))!
    const styles = await app.inject({ url: css })
    expect(styles.statusCode).toBe(200)
    expect(styles.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(styles.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(styles.body).toContain('#0b4f8a')
    expect(styles.body).toContain('system-ui')
    expect(styles.body).not.toMatch(/GDS Transport|@font-face|govuk-crest|url\(/)
    const init = await app.inject({ url: urls.find((url) => url.includes('/init.'))! })
    const govuk = /from '\.\/(govuk-frontend\.[0-9a-f]{16}\.js)'/.exec(init.body)?.[1]
    const frontend = await app.inject({ url: `/portal/assets/${govuk}` })
    expect(frontend.statusCode).toBe(200)
    expect(frontend.body).toContain('initAll')
    expect(frontend.body).not.toContain('sourceMappingURL')
    // No crown, no GOV.UK name or images, in the page or among the files.
    expect(page).not.toMatch(/GOV\.UK|govuk-logo|govuk-header__logotype|crown/i)
    for (const name of [
      'govuk-crest.svg',
      'favicon.ico',
      'govuk-icon-180.png',
      'bold-b542beb274-v2.woff2',
    ])
      expect((await app.inject({ url: `/portal/assets/${name}` })).statusCode).toBe(404)
  })

  it('leaves the API alone: no form parsing and no HTML pages outside the portal', async () => {
    const form = await app.inject({
      method: 'POST',
      url: '/api/echo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=1',
    })
    expect(form.statusCode).toBe(415)
    expect(form.headers['content-type']).toMatch(/^application\/json/)
    const json = await app.inject({ method: 'POST', url: '/api/echo', payload: { a: 1 } })
    expect(json.json()).toEqual({ body: { a: 1 } })
  })
})
