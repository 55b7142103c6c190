/**
 * Relying parties of the OpenID Connect provider ("log in with e-ID" for other applications),
 * registered by operators: `e-state oidc clients add ID --redirect-uri URI… [--name NAME]` prints
 * a new client secret once; `e-state oidc clients list` shows what is registered.
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { registerOidcClient } from '../identity/index.ts'
import { MIGRATIONS, readConfig } from '../main/index.ts'
import { openStore } from '../storage/index.ts'

const USAGE =
  'usage: e-state oidc clients add CLIENT_ID --redirect-uri URI [--redirect-uri URI]… [--name NAME] | clients list'

export async function runOidc(args: string[]): Promise<number> {
  const [group, action, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: { 'redirect-uri': { type: 'string', multiple: true }, name: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  })
  const adding =
    action === 'add' && positionals.length === 1 && (values['redirect-uri'] ?? []).length > 0
  if (group !== 'clients' || !(adding || (action === 'list' && positionals.length === 0))) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  if (adding && !/^[A-Za-z0-9._-]{3,64}$/.test(positionals[0])) {
    process.stderr.write(
      `a client id is 3–64 letters, digits, dots, dashes or underscores\n${USAGE}\n`,
    )
    return 2
  }
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
    if (adding) {
      const secret = randomBytes(32).toString('base64url')
      try {
        await registerOidcClient(store.db, {
          clientId: positionals[0],
          clientSecret: secret,
          redirectUris: values['redirect-uri'] ?? [],
          name: values.name,
        })
      } catch (error) {
        process.stderr.write(`e-state oidc: ${(error as Error).message}\n`)
        return 1
      }
      process.stdout.write(
        `client ${positionals[0]} registered; its secret (shown once): ${secret}\n`,
      )
      return 0
    }
    const clients = await store.db
      .selectFrom('oidc_payloads')
      .select('payload')
      .where('model', '=', 'Client')
      .orderBy('id')
      .execute()
    for (const row of clients) {
      const client = JSON.parse(row.payload) as {
        client_id: string
        client_name: string
        redirect_uris: string[]
      }
      process.stdout.write(
        `${client.client_id}  ${client.client_name}  ${client.redirect_uris.join(' ')}\n`,
      )
    }
    return 0
  } finally {
    await store.close()
  }
}
