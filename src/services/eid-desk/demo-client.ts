/**
 * A walkthrough's side of the demo desk (`e-state demo …` against a running development node),
 * over HTTP only: a client of the node, and a demo resident who gets an e-ID at the demo desk
 * for two keys made here (they never leave this process) and logs in with it by a Web eID token.
 * The e-ID walkthrough and the signing one start this way.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { parseArgs } from 'node:util'
import { possessionMessage } from '../../identity/index.ts'
import { DEMO_RESIDENTS } from './demo-desk.ts'

export type DemoResident = (typeof DEMO_RESIDENTS)[number]

/** A demo resident by personal code (the first when none is named); a clear error otherwise. */
export function demoResident(personalCode: string | undefined): DemoResident {
  const resident =
    personalCode === undefined
      ? DEMO_RESIDENTS[0]
      : DEMO_RESIDENTS.find((person) => person.personalCode === personalCode)
  if (resident === undefined)
    throw new Error(
      `--resident must be one of the demo residents: ${DEMO_RESIDENTS.map((person) => person.personalCode).join(', ')}`,
    )
  return resident
}

/** A walkthrough's start: `--resident CODE` from its arguments, and a client of the node. */
export function demoStart(
  url: string,
  args: readonly string[],
): { readonly resident: DemoResident; readonly node: DemoClient } {
  const { values } = parseArgs({
    args: [...args],
    options: { resident: { type: 'string' } },
    strict: true,
  })
  return { resident: demoResident(values.resident), node: demoClient(url) }
}

export interface DemoHolder {
  /** The session cookie of the login. */
  readonly session: string
  /** The signing key (it stays here) and its certificate, base64 DER. */
  readonly signing: { readonly key: KeyObject; readonly certificate: string }
}

/** Steps 1 and 2 of a walkthrough: an e-ID from the demo clerk, then a login with it. */
export async function demoHolder(
  node: DemoClient,
  url: string,
  resident: DemoResident,
  say: (line: string) => void,
): Promise<DemoHolder> {
  const name = `${resident.firstName} ${resident.lastName} (${resident.personalCode})`
  say(`1. ${name} comes to the service desk. Two keys are made here, on the holder's side:`)
  const auth = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  say('   one to log in with, one to sign with. Only their public halves travel.')
  const issued = (await node.json('POST', '/dev/desk/issue', {
    personalCode: resident.personalCode,
    auth: proven(resident.personalCode, auth.publicKey, auth.privateKey),
    sign: proven(resident.personalCode, signing.publicKey, signing.privateKey),
  })) as {
    auth: { serial: string; certificate: string }
    sign: { serial: string; certificate: string }
  }
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

  return { session, signing: { key: signing.privateKey, certificate: issued.sign.certificate } }
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

export type DemoClient = ReturnType<typeof demoClient>

/** JSON and pages from the node; an answer of 400 or more is an error naming its code. */
export function demoClient(base: string) {
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
