/**
 * The portal's pages: for now the e-ID login, which is also where a person sees their data
 * tracker with every read proved in the ledger, checked in their own browser.
 */
import type { FastifyInstance } from 'fastify'
import { browserBundle } from './assets.ts'

const CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const LOGIN_PAGE = (script: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>e-state — log in with your e-ID</title>
<script type="module" src="${script}"></script>
</head>
<body>
<main>
<h1>Log in with your e-ID</h1>
<p>Insert your ID card (here: the e-ID key this browser holds) and confirm with PIN1.</p>
<button id="login" type="button">Log in with e-ID</button>
<button id="passkey-login" type="button">Log in with a passkey</button>
<button id="passkey-add" type="button">Add a passkey (after an e-ID login)</button>
<p id="status" role="status"></p>
<h2>Who has used my data</h2>
<p id="summary"></p>
<table id="tracker">
<thead><tr><th>When</th><th>Official</th><th>Agency</th><th>Data</th><th>Purpose</th><th>Ledger proof</th></tr></thead>
<tbody></tbody>
</table>
</main>
</body>
</html>
`

export function registerPortal(app: FastifyInstance): void {
  // Bundle while the platform starts, so the first page view does not wait.
  void browserBundle().catch((error: unknown) =>
    app.log.error({ err: error }, 'portal bundle failed'),
  )

  app.get('/login', { schema: { hide: true } }, async (_request, reply) => {
    const { etag } = await browserBundle()
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .send(LOGIN_PAGE(`/portal/app.js?v=${etag}`))
  })

  app.get('/portal/app.js', { schema: { hide: true } }, async (_request, reply) => {
    const { code } = await browserBundle()
    return reply
      .type('text/javascript; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=3600')
      .send(code)
  })
}
