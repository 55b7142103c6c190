// Request headers for fuzzing: credentials (a member's API key with its subsystem, acting
// person and purpose; a session cookie) as a well-behaved client sends them, or broken; and
// the other headers, benign or hostile. Session cookies change while the fuzz runs, so they
// travel as placeholders the sender fills in.
import fc from 'fast-check'
import type { FuzzContext, Operation } from './fuzz-requests.ts'
import { hostileString } from './fuzz-values.ts'

export const CLERK_SESSION = '{{clerk-session}}'
export const HOLDER_SESSION = '{{holder-session}}'

const CLIENT_HEADERS = [
  'x-road-client',
  'information-mediator-client',
  'x-govstack-client',
] as const
const PURPOSES = ['Criminal case 24-1234', 'fuzzing', 'päring õigusabi küsimuses'] as const

/** Who the request is from. A session suits the portal's routes, a member API key the rest. */
export function credentialsFor(
  operation: Operation,
  context: FuzzContext,
  hostile: boolean,
): fc.Arbitrary<Record<string, string>> {
  const portal = /^\/(auth|eid|signatures)\//.test(operation.template)
  const exchange = /^\/(data|r1)\//.test(operation.template)
  const tracker = operation.template.startsWith('/tracker/')
  const valid = fc.oneof(
    { weight: portal ? 1 : 6, arbitrary: memberHeaders(context, false) },
    {
      weight: exchange ? 0 : portal ? 6 : tracker ? 3 : 1,
      arbitrary: sessionHeaders(operation, false),
    },
  )
  if (!hostile) return valid
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 3, arbitrary: memberHeaders(context, true) },
    { weight: 2, arbitrary: bogusHeaders(context) },
    { weight: 2, arbitrary: sessionHeaders(operation, true) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(memberHeaders(context, true), sessionHeaders(operation, true))
        .map(([one, two]) => ({ ...one, ...two })),
    },
  )
}

function memberHeaders(
  context: FuzzContext,
  hostile: boolean,
): fc.Arbitrary<Record<string, string>> {
  const member = fc.constantFrom(...context.members)
  const code = fc.constantFrom(...context.personalCodes)
  if (!hostile)
    return fc
      .tuple(member, fc.constantFrom(...CLIENT_HEADERS), code, fc.constantFrom(...PURPOSES))
      .map(([chosen, clientHeader, personalCode, purpose]) => ({
        authorization: `Bearer ${chosen.apiKey}`,
        [clientHeader]: chosen.client,
        'x-road-userid': `EE${personalCode}`,
        'x-road-issue': Buffer.from(purpose, 'utf8').toString('latin1'),
      }))
  const userId = fc.oneof(
    { weight: 3, arbitrary: code.map((value) => `EE${value}`) },
    { weight: 2, arbitrary: hostileString() },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', 'FI38001085718', 'EE', 'ee38001085718', 'EE3800108571'),
    },
  )
  return fc
    .record(
      {
        member,
        clientHeader: fc.constantFrom(...CLIENT_HEADERS),
        client: fc.option(fc.oneof(fc.constantFrom(...context.subsystems), hostileString()), {
          freq: 2,
          nil: undefined,
        }),
        prefix: fc.constantFrom('Bearer ', 'bearer ', '', 'Bearer  ', 'Basic '),
        userId: fc.option(userId, { freq: 3, nil: undefined }),
        issue: fc.option(fc.oneof(fc.constantFrom(...PURPOSES), hostileString()), {
          freq: 3,
          nil: undefined,
        }),
        covert: fc.option(
          fc.oneof(
            fc.constantFrom(
              new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
              '2024-02-30',
              '9999-12-31',
            ),
            hostileString(),
          ),
          { freq: 3, nil: undefined },
        ),
      },
      { requiredKeys: ['member', 'clientHeader', 'prefix'] },
    )
    .map(({ member: chosen, clientHeader, client, prefix, userId: user, issue, covert }) => ({
      authorization: `${prefix}${chosen.apiKey}`,
      [clientHeader]: client ?? chosen.client,
      ...(user === undefined ? {} : { 'x-road-userid': user }),
      ...(issue === undefined
        ? {}
        : { 'x-road-issue': Buffer.from(issue, 'utf8').toString('latin1') }),
      ...(covert === undefined ? {} : { 'x-estate-covert-until': covert }),
    }))
}

function bogusHeaders(context: FuzzContext): fc.Arbitrary<Record<string, string>> {
  const member = fc.constantFrom(...context.members)
  return fc
    .tuple(
      fc.oneof(
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'Basic YWRtaW46YWRtaW4=',
          'Bearer esm_',
          'Bearer esm__',
          'Bearer esm_0000000000000000_x',
          'Negotiate',
          `Bearer ${'a'.repeat(8_000)}`,
        ),
        member.map((chosen) => `Bearer ${chosen.apiKey.slice(0, -1)}A`),
        member.map((chosen) => `Bearer ${chosen.apiKey.split('_').slice(0, 2).join('_')}_`),
        hostileString().map((value) => `Bearer ${value}`),
      ),
      fc.option(fc.oneof(fc.constantFrom(...context.subsystems), hostileString()), {
        nil: undefined,
      }),
    )
    .map(([authorization, client]) => ({
      authorization,
      ...(client === undefined ? {} : { 'x-road-client': client }),
    }))
}

function sessionHeaders(
  operation: Operation,
  hostile: boolean,
): fc.Arbitrary<Record<string, string>> {
  // Logging out ends the session: only the resident's, renewed before each such request.
  const session = operation.template.startsWith('/auth/logout')
    ? fc.constant(HOLDER_SESSION)
    : fc.constantFrom(CLERK_SESSION, CLERK_SESSION, HOLDER_SESSION)
  if (!hostile)
    return fc
      .tuple(session, fc.constantFrom('same-origin', 'none', undefined))
      .map(([placeholder, site]) => ({
        cookie: `__Host-estate_session=${placeholder}`,
        ...(site === undefined ? {} : { 'sec-fetch-site': site }),
      }))
  return fc
    .record(
      {
        session,
        junk: fc.constantFrom(
          '',
          '; __Host-estate_session=planted',
          '; a=b',
          '; __Host-estate_challenge=%E0%A4%A',
          '; __Host-estate_webauthn=',
          '; =x',
          ';;;',
          `; big=${'c'.repeat(9_000)}`,
        ),
        site: fc.option(fc.constantFrom('same-origin', 'none', 'cross-site', 'same-site', ''), {
          nil: undefined,
        }),
        origin: fc.option(
          fc.constantFrom('https://www.state.example', 'https://evil.example', 'null', ''),
          { freq: 2, nil: undefined },
        ),
      },
      { requiredKeys: ['session', 'junk'] },
    )
    .map(({ session: placeholder, junk, site, origin }) => ({
      cookie: `__Host-estate_session=${placeholder}${junk}`,
      ...(site === undefined ? {} : { 'sec-fetch-site': site }),
      ...(origin === undefined ? {} : { origin }),
    }))
}

/** The other headers: what an ordinary client adds, or junk, repeats and sizes past limits. */
export function extraHeaders(hostile: boolean): fc.Arbitrary<Record<string, string>> {
  if (!hostile)
    return fc.constantFrom<Record<string, string>>(
      {},
      { accept: 'application/json' },
      { 'x-road-id': 'fuzz-case-1' },
    )
  const value = fc.oneof(
    hostileString(),
    fc.constantFrom('application/json', '*/*', 'gzip, br', 'text/html'),
  )
  return fc
    .tuple(
      fc.record(
        {
          'x-road-id': fc.oneof(
            fc.constantFrom('case-1', 'a'.repeat(129), 'id with spaces'),
            hostileString(),
          ),
          'x-road-represented-party': value,
          'x-road-request-id': value,
          'x-estate-gateway-token': fc.oneof(
            fc
              .uint8Array({ minLength: 32, maxLength: 32 })
              .map((bytes) => Buffer.from(bytes).toString('base64url')),
            hostileString(),
          ),
          accept: value,
          'accept-encoding': value,
          'x-forwarded-for': fc.constantFrom('1.2.3.4', '::1, 10.0.0.1', 'unknown', ''),
          'content-length': fc.constantFrom('0', '5', '-1', '99999999999', 'abc'),
          expect: fc.constantFrom('100-continue', 'x'),
          host: fc.constantFrom('evil.example', '', 'a'.repeat(300), 'localhost:99999'),
          'x-big': fc.nat({ max: 8_000 }).map((length) => 'b'.repeat(length)),
        },
        { requiredKeys: [] },
      ),
      fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/), value, { maxKeys: 3 }),
      fc.nat({ max: 60 }),
    )
    .map(([known, random, many]) => {
      const headers: Record<string, string> = { ...random, ...known }
      for (let index = 0; index < (many > 50 ? many : 0); index++)
        headers[`x-many-${index}`] = String(index)
      return headers
    })
}

/** A header sent twice (Node joins most repeats with ", "; the app must notice or cope). */
export function duplicated(): fc.Arbitrary<string | null> {
  return fc.option(
    fc.constantFrom(
      'x-road-client',
      'x-road-userid',
      'x-road-issue',
      'cookie',
      'authorization',
      'information-mediator-client',
      'content-type',
    ),
    { freq: 2 },
  )
}

/** What Node's parser would accept: no control characters; anything else as UTF-8 bytes. */
export function sanitiseHeaders(
  headers: Record<string, string | string[]>,
): Record<string, string | string[]> {
  const clean = (value: string) =>
    [...Buffer.from(value, 'utf8').toString('latin1')]
      .map((char) => {
        const code = char.charCodeAt(0)
        return (code < 0x20 && code !== 0x09) || code === 0x7f ? '?' : char
      })
      .join('')
  const result: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) continue
    result[name] = Array.isArray(value) ? value.map(clean) : clean(value)
  }
  return result
}
