/**
 * `e-state demo e-id`: the e-ID desk's main flow against a running development node, as a
 * client would do it, over HTTP only. A demo resident gets an e-ID from the demo clerk for two
 * keys made here (they never leave this process), logs in with it (a Web eID token), opens
 * "my data" (read from the registers through the exchange as the state portal), and finds in
 * the data tracker the issuance by the clerk and the reads the page made, each with its ledger
 * receipt checked here against the log's and the witnesses' keys.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { parseArgs } from 'node:util'
import { possessionMessage } from '../../identity/index.ts'
import { parseCosignerVerifierKey, parseVerifierKey, verifyReceipt } from '../../ledger/index.ts'
import type { WalkthroughDeclaration, WalkthroughTarget } from '../../platform/index.ts'
import { DEMO_RESIDENTS } from './demo-desk.ts'

/** How long the walkthrough waits for the ledger to cover the reads with a checkpoint. */
const RECEIPT_PATIENCE_MS = 30_000

export const EID_WALKTHROUGH: WalkthroughDeclaration = {
  name: 'e-id',
  summary:
    'get an e-ID at the demo desk, log in with it, open my data, and find each read in the data tracker with its ledger receipt',
  run: walkThrough,
}

interface Usage {
  readonly records: readonly {
    readonly at: string
    readonly agency: string
    readonly registry: string
    readonly purpose: string
    readonly ledger: { readonly index: number | null; readonly receipt: unknown }
  }[]
}

async function walkThrough({ url, say, args }: WalkthroughTarget): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: { resident: { type: 'string', default: DEMO_RESIDENTS[0].personalCode } },
    strict: true,
  })
  const resident = DEMO_RESIDENTS.find((person) => person.personalCode === values.resident)
  if (resident === undefined)
    throw new Error(
      `--resident must be one of the demo residents: ${DEMO_RESIDENTS.map((person) => person.personalCode).join(', ')}`,
    )
  const node = client(url)
  const name = `${resident.firstName} ${resident.lastName} (${resident.personalCode})`

  say(`1. ${name} comes to the service desk. Two keys are made here, on the holder's side:`)
  const auth = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  say('   one to log in with, one to sign with. Only their public halves travel.')
  const issued = (await node.json('POST', '/dev/desk/issue', {
    personalCode: resident.personalCode,
    auth: proven(resident.personalCode, auth.publicKey, auth.privateKey),
    sign: proven(resident.personalCode, signing.publicKey, signing.privateKey),
  })) as { auth: { serial: string; certificate: string }; sign: { serial: string } }
  say(
    `   The demo clerk issued the e-ID: authentication certificate ${issued.auth.serial}, signing certificate ${issued.sign.serial}.`,
  )

  say(`2. ${resident.firstName} logs in with the e-ID (a Web eID token over the node's challenge).`)
  const challenge = await node.request('POST', '/auth/challenge')
  const { nonce } = (await challenge.json()) as { nonce: string }
  const login = await node.request(
    'POST',
    '/auth/web-eid',
    {
      authToken: webEidToken(auth.privateKey, issued.auth.certificate, nonce, new URL(url).origin),
    },
    cookiesOf(challenge),
  )
  const session = cookiesOf(login)
  if (!session.includes('estate_session='))
    throw new Error('the node set no session cookie after the login')
  say('   Logged in: the node keeps the session; this client holds only its cookie.')

  say('3. "My data": the portal reads the registers through the exchange, as the state portal.')
  const page = await node.request('GET', '/my-data?lang=en', undefined, session)
  const html = await page.text()
  if (!html.includes(resident.lastName)) throw new Error('"my data" does not show the resident')
  say(`   The page shows the record of ${name}, from the population register and the others.`)

  say(
    '4. The data tracker: who read this data, when and why, once the ledger has proved each read.',
  )
  const started = Date.now()
  let usage: Usage = { records: [] }
  while (Date.now() - started < RECEIPT_PATIENCE_MS) {
    usage = (await node.json('GET', '/tracker/usage?limit=100', undefined, session)) as Usage
    if (usage.records.length > 0 && usage.records.every((record) => record.ledger.receipt !== null))
      break
    say(
      `   … ${usage.records.filter((record) => record.ledger.receipt !== null).length} of ${usage.records.length} reads proved so far`,
    )
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
  if (usage.records.length === 0) throw new Error('the tracker shows no reads of this resident')
  const keys = {
    log: parseVerifierKey((await node.text('/ledger/verifier-key')).trim()),
    witnesses: (await node.text('/ledger/witness-keys'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => parseCosignerVerifierKey(line)),
  }
  for (const record of usage.records) {
    const proof =
      record.ledger.receipt === null
        ? 'no receipt yet'
        : `receipt checked: entry ${verifyReceipt(record.ledger.receipt, keys).index} of the ledger`
    say(`   ${record.at}  ${record.agency}, ${record.registry}: ${record.purpose} — ${proof}`)
  }
  say('   (The keys came from the node itself; a verifier who does not trust it compares them with')
  say('   the published ones. `e-state ledger verify-receipt` checks a saved receipt offline.)')
  say(`Done. Do the same in the browser: ${url}/ (the front page offers the demo desk).`)
}

function proven(personalCode: string, publicKey: KeyObject, privateKey: KeyObject) {
  const spki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
  const proof = sign('sha384', possessionMessage(personalCode, spki), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  })
  return { publicKey: spki, proof: proof.toString('base64') }
}

/** What a Web eID card answers to a challenge: ES384 over SHA-384(origin) ‖ SHA-384(nonce). */
function webEidToken(key: KeyObject, certificate: string, nonce: string, origin: string) {
  const signed = Buffer.concat([
    createHash('sha384').update(origin).digest(),
    createHash('sha384').update(nonce).digest(),
  ])
  return {
    format: 'web-eid:1.0',
    algorithm: 'ES384',
    appVersion: 'https://web-eid.eu/web-eid-app/releases/2.5.0',
    unverifiedCertificate: certificate,
    signature: sign('sha384', signed, { key, dsaEncoding: 'ieee-p1363' }).toString('base64'),
  }
}

/** The `name=value` pairs a reply sets, as a Cookie header. */
function cookiesOf(reply: Response): string {
  return reply.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ')
}

function client(base: string) {
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    cookie?: string,
  ): Promise<Response> => {
    const reply = await fetch(new URL(path, base), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(cookie === undefined || cookie === '' ? {} : { cookie }),
        accept: 'application/json, text/html;q=0.9',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
      redirect: 'manual',
    })
    if (reply.status >= 400) {
      const text = await reply.text()
      let detail = text.slice(0, 300)
      try {
        const problem = JSON.parse(text) as { code?: string; detail?: string }
        detail = `${problem.detail ?? ''} [${problem.code ?? reply.status}]`
      } catch {
        // Not a problem document: the start of the body says enough.
      }
      throw new Error(`${method} ${path} answered ${reply.status}: ${detail}`)
    }
    return reply
  }
  return {
    request,
    json: async (method: string, path: string, body?: unknown, cookie?: string) =>
      (await request(method, path, body, cookie)).json() as Promise<unknown>,
    text: async (path: string) => (await request('GET', path)).text(),
  }
}
