// The platform as the fuzz sees it: logged-in people (a clerk, whose session is fresh enough
// for step-up acts, and a resident), a signing certificate with its key, a real signed
// container, real OCSP and time-stamp requests, the log's checkpoint — and the hints that
// steer generated requests to values the handlers will not refuse at the door.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { p384 } from '@noble/curves/nist.js'
import fc from 'fast-check'
import { possessionMessage } from '../../src/identity/index.ts'
import { timestampRequest } from '../../src/signature/timestamp.ts'
import { ocspRequest } from '../../src/trust/index.ts'
import type { TestApp } from './app.ts'
import { issueCard, webEidToken, type TestCard } from './eid.ts'
import { containerBytes, type BodySeeds } from './fuzz-bodies.ts'
import {
  CLERK_SESSION,
  HOLDER_SESSION,
  type FuzzContext,
  type FuzzRequest,
} from './fuzz-requests.ts'
import { hostileString, type Hints } from './fuzz-values.ts'

export const FUZZ_ORIGIN = 'https://www.state.example'
const JAAK = '38001085718'
const MARI = '48707032744' // a clerk of the Ministry of the Interior
const IVAN = '39001010000'
const SIGNED_TOKEN = '{{signed-token}}'
const STEP_UP_MARGIN_MS = 5 * 60_000

interface Person {
  readonly code: string
  readonly names: { given: string; surname: string }
  card?: TestCard
  session?: string
  loggedInAt?: number
}

export interface FuzzPlatform {
  readonly context: FuzzContext
  /** Logs both people in again where their session ended or grew too old for step-up. */
  refreshSessions(): Promise<void>
  /** A fresh session for the resident (before each logout, which ends it). */
  renewHolder(): Promise<void>
  /** The request with its placeholders filled and its preflight made. */
  concrete(request: FuzzRequest): Promise<{
    method: string
    url: string
    headers: Record<string, string | string[]>
    payload?: string | Buffer
    transport: FuzzRequest['transport']
  }>
  /** After a prepared signature: a finalize with the real key (or junk), to spend it. */
  finalizeFor(
    prepared: { id: string; hash: string },
    real: boolean,
  ): {
    method: string
    url: string
    headers: Record<string, string>
    payload: string
    transport: 'inject'
  }
}

export async function preparePlatform(t: TestApp): Promise<FuzzPlatform> {
  const server = t.app.server
  const platform = t.app.platform()
  let addresses = 0
  // Logins come from addresses of their own: the fuzzed challenges from 127.0.0.1 may use up
  // that address's allowance.
  const address = () => `10.99.${(++addresses >> 8) & 255}.${addresses & 255}`
  const clerk: Person = { code: MARI, names: { given: 'MARI', surname: 'MAASIKAS' } }
  const holder: Person = { code: JAAK, names: { given: 'JAAK-KRISTJAN', surname: 'JÕEORG' } }

  async function challenge(): Promise<{ nonce: string; cookie: string }> {
    const reply = await server.inject({
      method: 'POST',
      url: '/auth/challenge',
      remoteAddress: address(),
    })
    return {
      nonce: String(reply.json().nonce),
      cookie: String(reply.headers['set-cookie']).split(';')[0],
    }
  }
  async function login(person: Person): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      person.card ??= await issueCard(t, person.code, person.names)
      const { nonce, cookie } = await challenge()
      const reply = await server.inject({
        method: 'POST',
        url: '/auth/web-eid',
        remoteAddress: address(),
        headers: { cookie },
        payload: { authToken: webEidToken(person.card, nonce, FUZZ_ORIGIN) },
      })
      const session = [reply.headers['set-cookie']]
        .flat()
        .map(String)
        .find((value) => value.startsWith('__Host-estate_session='))
      if (reply.statusCode === 200 && session !== undefined) {
        person.session = session.split(';')[0].slice('__Host-estate_session='.length)
        person.loggedInAt = Date.now()
        return
      }
      // The fuzz revoked or superseded the card: the person gets a new one.
      person.card = undefined
    }
    throw new Error(`cannot log ${person.code} in for the fuzz`)
  }
  async function alive(person: Person): Promise<boolean> {
    if (person.session === undefined || Date.now() - (person.loggedInAt ?? 0) > STEP_UP_MARGIN_MS)
      return false
    const reply = await server.inject({
      url: '/auth/session',
      headers: { cookie: `__Host-estate_session=${person.session}` },
    })
    return reply.statusCode === 200
  }

  await login(clerk)
  await login(holder)
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const signingCertificate = await platform.pki.issue({
    kind: 'sign',
    holder: MARI,
    publicKey: signing.publicKey,
    subject: [
      ['2.5.4.6', 'EE'],
      ['2.5.4.3', `MAASIKAS,MARI,${MARI}`],
      ['2.5.4.5', `PNOEE-${MARI}`],
    ],
  })
  const certificate = signingCertificate.der.toString('base64')
  const finalizeFor: FuzzPlatform['finalizeFor'] = (prepared, real) => ({
    method: 'POST',
    url: '/signatures/finalize',
    headers: {
      cookie: `__Host-estate_session=${clerk.session ?? ''}`,
      'content-type': 'application/json',
    },
    payload: JSON.stringify({
      id: prepared.id,
      signatureValue: real
        ? signHash(signing.privateKey, Buffer.from(prepared.hash, 'base64'))
        : Buffer.alloc(96, 7).toString('base64'),
    }),
    transport: 'inject',
  })
  const container = await signedContainer(t, clerk, certificate, finalizeFor)
  const citizenCa = platform.pki.authorities.get('citizen')?.certificate as Buffer
  const seeds: BodySeeds = {
    ocspRequests: [
      ocspRequest(clerk.card?.certificate as Buffer, citizenCa),
      ocspRequest(signingCertificate.der, citizenCa, Buffer.alloc(32, 1)),
    ],
    timestampRequests: [
      timestampRequest(Buffer.from('fuzz')),
      timestampRequest(Buffer.from('fuzz'), 'sha512'),
    ],
    containers: [container],
    checkpoint: await checkpointOf(t),
  }
  const personalCodes = await knownPersonalCodes(t)
  const context: FuzzContext = {
    members: t.devCredentials,
    services: await servicesByRegistry(t),
    subsystems: t.devCredentials.map((credential) => credential.client),
    personalCodes,
    hints: hintsFor({
      personalCodes,
      certificate,
      seeds,
      serials: await serials(t),
      companies: await companies(t),
    }),
    seeds,
    bodyLimit: t.config.http.bodyLimitBytes,
  }

  return {
    context,
    async refreshSessions() {
      for (const person of [clerk, holder]) if (!(await alive(person))) await login(person)
    },
    async renewHolder() {
      await login(holder)
    },
    async concrete(request) {
      const headers: Record<string, string | string[]> = {}
      const fill = (value: string) =>
        value
          .replaceAll(CLERK_SESSION, clerk.session ?? '')
          .replaceAll(HOLDER_SESSION, holder.session ?? '')
      for (const [name, value] of Object.entries(request.headers))
        headers[name] = typeof value === 'string' ? fill(value) : value.map(fill)
      let payload = request.body.payload
      if (request.preflight !== undefined) {
        const before = await preflight(request.preflight)
        headers.cookie = [headers.cookie ?? []].flat().concat(before.cookie).join('; ')
        if (typeof payload === 'string' && before.nonce !== undefined && holder.card !== undefined)
          payload = payload.replaceAll(
            JSON.stringify(SIGNED_TOKEN),
            JSON.stringify(webEidToken(holder.card, before.nonce, FUZZ_ORIGIN)),
          )
      }
      return {
        method: request.method,
        url: request.url,
        headers,
        ...(payload === undefined ? {} : { payload }),
        transport: request.transport,
      }
    },
    finalizeFor,
  }

  async function preflight(
    kind: NonNullable<FuzzRequest['preflight']>,
  ): Promise<{ cookie: string; nonce?: string }> {
    if (kind === 'challenge') return challenge()
    const reply = await server.inject({
      method: 'POST',
      url:
        kind === 'passkey-login'
          ? '/auth/passkeys/login/options'
          : '/auth/passkeys/register/options',
      remoteAddress: address(),
      headers:
        kind === 'passkey-register'
          ? { cookie: `__Host-estate_session=${clerk.session ?? ''}` }
          : {},
    })
    return {
      cookie: String(reply.headers['set-cookie'] ?? '__Host-estate_webauthn=none').split(';')[0],
    }
  }
}

/** ECDSA over a hash computed elsewhere, as a card signs it (no hashing of its own). */
function signHash(key: KeyObject, hash: Buffer): string {
  const scalar = Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url')
  return Buffer.from(p384.sign(hash, scalar, { prehash: false })).toString('base64')
}

async function signedContainer(
  t: TestApp,
  clerk: Person,
  certificate: string,
  finalizeFor: FuzzPlatform['finalizeFor'],
): Promise<Buffer> {
  const prepared = await t.app.server.inject({
    method: 'POST',
    url: '/signatures/prepare',
    headers: { cookie: `__Host-estate_session=${clerk.session ?? ''}` },
    payload: {
      certificate,
      documents: [{ name: 'lease.txt', content: Buffer.from('Lease').toString('base64') }],
    },
  })
  if (prepared.statusCode !== 200) throw new Error(`prepare for the fuzz seed: ${prepared.body}`)
  const done = await t.app.server.inject(finalizeFor(prepared.json(), true))
  if (done.statusCode !== 200) throw new Error(`finalize for the fuzz seed: ${done.body}`)
  return done.rawPayload
}

async function checkpointOf(t: TestApp): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const reply = await t.app.server.inject({ url: '/ledger/checkpoint' })
    if (reply.statusCode === 200) return reply.body
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return 'localhost/ledger\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— localhost/ledger AAAA\n'
}

async function knownPersonalCodes(t: TestApp): Promise<string[]> {
  const rows = await t.app
    .platform()
    .store.admin.selectFrom('persons')
    .select(['personal_code', 'status'])
    .orderBy('personal_code')
    .limit(400)
    .execute()
  const deceased = rows.filter((row) => row.status === 'deceased').slice(0, 2)
  const minors = rows
    .filter((row) => row.personal_code.slice(1, 3) > '10' && row.personal_code[0] > '4')
    .slice(0, 2)
  const some = rows.slice(0, 4)
  return [
    ...new Set([
      JAAK,
      MARI,
      IVAN,
      ...[...deceased, ...minors, ...some].map((row) => row.personal_code),
    ]),
  ]
}

async function companies(t: TestApp): Promise<string[]> {
  const rows = await t.app
    .platform()
    .store.admin.selectFrom('companies')
    .select('registry_code')
    .limit(3)
    .execute()
  return rows.map((row) => row.registry_code)
}

async function serials(t: TestApp): Promise<string[]> {
  const rows = await t.app
    .platform()
    .store.admin.selectFrom('certificates')
    .select('serial')
    .limit(20)
    .execute()
  return rows.map((row) => row.serial)
}

async function servicesByRegistry(t: TestApp): Promise<Map<string, string>> {
  const rows = await t.app
    .platform()
    .store.db.selectFrom('exchange_services')
    .select(['service_id', 'service_code'])
    .execute()
  return new Map(rows.map((row) => [row.service_code, row.service_id]))
}

/** Per property name: values that get a request past validation and into the handler. */
function hintsFor(known: {
  personalCodes: readonly string[]
  certificate: string
  seeds: BodySeeds
  serials: readonly string[]
  companies: readonly string[]
}): Hints {
  const code = fc.constantFrom(...known.personalCodes)
  // Not the two people the fuzz logs in: a new e-ID revokes their cards and ends their sessions.
  const others = known.personalCodes.filter((value) => value !== MARI && value !== JAAK)
  const base64 = fc
    .uint8Array({ maxLength: 200 })
    .map((bytes) => Buffer.from(bytes).toString('base64'))
  const record = fc.oneof(code, fc.constantFrom(...known.companies))
  return {
    personalCode: code,
    userId: code.map((value) => `EE${value}`),
    databaseId: fc.constantFrom('*', 'population', 'business', 'vehicles', 'nothing'),
    instanceId: fc.constantFrom('EE', 'XX'),
    uuid: record,
    ID: record,
    fieldFile: fc.constantFrom(
      'firstName.json',
      'personalCode.json',
      'name.json',
      'childrenCodes.json',
      'firstName.xml',
      'constructor.json',
    ),
    serial: fc.oneof(fc.constantFrom(...known.serials), fc.constantFrom('ffff', '0')),
    index: fc.nat({ max: 40 }),
    file: fc.constantFrom(
      'root.crt',
      'citizen.crt',
      'eseal.der',
      'tsa.cer',
      'ocsp-citizen.crt',
      'citizen.crl',
      'eseal.crl',
      'tls.crl',
      'root.crl',
      '..crt',
    ),
    applicationId: fc.constantFrom('population-register', 'police', 'business-register'),
    serviceId: fc.constantFrom('population', 'business', 'nothing'),
    memberClass: fc.constant('GOV'),
    memberCode: fc.constantFrom('70000013', '70000071', '70000036'),
    from: fc.constantFrom('2024-01-01', '2025-12-31', '2024-02-29'),
    to: fc.constantFrom('2024-01-02', '2026-12-31', '2024-01-01'),
    at: fc.constantFrom(new Date().toISOString(), '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z'),
    certificate: fc.oneof(fc.constant(known.certificate), base64),
    container: containerBytes(known.seeds.containers).map((bytes) => bytes.toString('base64')),
    documents: fc.array(
      fc.record({
        name: fc.oneof(
          fc.constantFrom(
            'lease.txt',
            'mimetype',
            'META-INF/manifest.xml',
            '../x',
            'a/b.txt',
            'ä ö.pdf',
          ),
          hostileString(),
        ),
        mediaType: fc.oneof(fc.constantFrom('text/plain', 'application/pdf'), hostileString()),
        content: fc.oneof(base64, hostileString()),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    auth: code.map((personalCode) => provedKeyFor(personalCode, 'auth')),
    sign: code.map((personalCode) => provedKeyFor(personalCode, 'sign')),
    // Whole bodies where the parts must agree.
    '/eid/issue': fc
      .tuple(
        fc.constantFrom(...others),
        fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/), { nil: undefined }),
      )
      .map(([personalCode, batch]) => ({
        personalCode,
        auth: provedKeyFor(personalCode, 'auth'),
        sign: provedKeyFor(personalCode, 'sign'),
        ...(batch === undefined ? {} : { batch }),
      })),
    authToken: fc.oneof(
      fc.constant(SIGNED_TOKEN),
      fc.record({
        format: fc.constantFrom('web-eid:1.0', 'web-eid:1', 'web-eid:2.0', ''),
        algorithm: fc.constantFrom('ES384', 'ES256', 'RS256', 'PS256', 'none'),
        appVersion: fc.constantFrom('https://web-eid.eu/web-eid-app/releases/2.5.0', ''),
        unverifiedCertificate: fc.oneof(fc.constant(known.certificate), base64, hostileString()),
        signature: fc.oneof(base64, hostileString()),
      }),
    ),
    response: fc.record({
      id: fc.oneof(base64, hostileString()),
      rawId: fc.oneof(base64, hostileString()),
      type: fc.constantFrom('public-key', 'x'),
      clientExtensionResults: fc.constant({}),
      response: fc.record(
        {
          clientDataJSON: fc.oneof(
            fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value)).toString('base64url')),
            fc.constant(
              Buffer.from(
                JSON.stringify({ type: 'webauthn.get', challenge: 'x', origin: FUZZ_ORIGIN }),
              ).toString('base64url'),
            ),
            base64,
          ),
          attestationObject: base64,
          authenticatorData: base64,
          signature: base64,
          userHandle: fc.oneof(base64, hostileString()),
        },
        { requiredKeys: [] },
      ),
    }),
  }
}

const provedKeys = new Map<string, { publicKey: string; proof: string }>()
/** A P-384 public key with its holder's proof of possession, one per personal code and use. */
function provedKeyFor(
  personalCode: string,
  use: 'auth' | 'sign',
): { publicKey: string; proof: string } {
  let key = provedKeys.get(`${personalCode}/${use}`)
  if (key === undefined) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const publicKey = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
    key = {
      publicKey,
      proof: sign('sha384', possessionMessage(personalCode, publicKey), pair.privateKey).toString(
        'base64',
      ),
    }
    provedKeys.set(`${personalCode}/${use}`, key)
  }
  return key
}
