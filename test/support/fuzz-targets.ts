// Request targets for fuzzing: the path (its parameters, and the wildcards of the gateway, the
// log's tiles and OCSP GET) and the query string, each either as a well-behaved client writes
// it or hostile — empty, huge, `..`, `%2F`, `%00`, control characters, repeated and unknown keys.
import fc from 'fast-check'
import { derBody, safeEncode } from './fuzz-bodies.ts'
import type { FuzzContext, Operation } from './fuzz-requests.ts'
import { hostileNumberText, hostileString, plausibleValue, type JsonSchema } from './fuzz-values.ts'

export function pathFor(
  operation: Operation,
  context: FuzzContext,
  hostile: boolean,
): fc.Arbitrary<string> {
  const parts = operation.template.split('/').map((segment) => {
    const name = /^\{(.+)\}$/.exec(segment)?.[1]
    if (name === undefined) return fc.constant(segment)
    if (name === '*') return wildcard(operation.template, context, hostile)
    const parameter = operation.parameters.find(
      (entry) => entry.in === 'path' && entry.name === name,
    )
    const value = pathValue(parameter?.schema ?? { type: 'string' }, context.hints[name], hostile)
    return hostile ? value.chain(encodedSegment) : value.map(safeEncode)
  })
  return fc.tuple(...parts).map((segments) => segments.join('/'))
}

function pathValue(
  schema: JsonSchema,
  hint: fc.Arbitrary<unknown> | undefined,
  hostile: boolean,
): fc.Arbitrary<string> {
  const plausible = hint === undefined ? plausibleValue(schema).map(String) : hint.map(String)
  return hostile ? fc.oneof(plausible, hostileString(), hostileText(schema)) : plausible
}

/** Mostly percent-encoded; sometimes raw, so `..`, `/`, `%` and `?` reach the router as typed. */
function encodedSegment(value: string): fc.Arbitrary<string> {
  return fc.constantFrom(safeEncode(value), safeEncode(value), value)
}

function junkPath(): fc.Arbitrary<string> {
  return fc
    .array(hostileString().chain(encodedSegment), { maxLength: 5 })
    .map((parts) => parts.join('/'))
}

function wildcard(template: string, context: FuzzContext, hostile: boolean): fc.Arbitrary<string> {
  const base64Of = (body: { payload?: string | Buffer }) =>
    Buffer.from(body.payload ?? '').toString('base64')
  switch (template) {
    case '/ledger/tile/{*}':
      return hostile ? fc.oneof(tilePath(true), tilePath(true), junkPath()) : tilePath(false)
    case '/trust/ocsp/{*}':
      return hostile
        ? fc.oneof(
            derBody(context.seeds.ocspRequests, '').map((body) => safeEncode(base64Of(body))),
            derBody(context.seeds.ocspRequests, '').map(base64Of),
            junkPath(),
          )
        : fc
            .constantFrom(...context.seeds.ocspRequests)
            .map((der) => safeEncode(der.toString('base64')))
    case '/r1/{*}':
      return r1Tail(context, hostile)
  }
  return hostile ? junkPath() : fc.constant('x')
}

/** C2SP tlog-tiles paths: `<L>/<N>[.p/<W>]`, N in groups of three digits, `x` before all but the last. */
function tilePath(hostile: boolean): fc.Arbitrary<string> {
  const level = hostile
    ? fc.oneof(
        fc.constantFrom<number | 'entries'>('entries', 0, 1),
        fc.integer({ min: -1, max: 70 }),
      )
    : fc.constantFrom<number | 'entries'>('entries', 0, 0, 1)
  const index = hostile
    ? fc.oneof(fc.nat({ max: 300 }), fc.maxSafeNat(), fc.constant(2 ** 53))
    : fc.nat({ max: 2 })
  const width = hostile
    ? fc.option(fc.integer({ min: -1, max: 300 }))
    : fc.option(fc.integer({ min: 1, max: 255 }))
  const canonical = fc.tuple(level, index, width).map(([tileLevel, tileIndex, tileWidth]) => {
    const digits = String(tileIndex).padStart(3, '0')
    const groups: string[] = []
    for (let end = digits.length; end > 0; end -= 3)
      groups.unshift(digits.slice(Math.max(0, end - 3), end).padStart(3, '0'))
    const name = groups.map((group, at) => (at < groups.length - 1 ? `x${group}` : group)).join('/')
    return `${tileLevel}/${name}${tileWidth === null ? '' : `.p/${tileWidth}`}`
  })
  if (!hostile) return canonical
  return fc.oneof(
    canonical,
    fc.constantFrom(
      '0/000',
      '0/x000/000',
      'entries/000.p/0',
      '0/000.p/256',
      '0/0',
      '0/000/../000',
      '',
    ),
  )
}

const REGISTRY_OPERATIONS = [
  '1.0',
  '1.0/read',
  '1.0/exists',
  '1.0/update',
  '1.0/updateEntries',
] as const
const METASERVICES = ['listMethods', 'allowedMethods', 'getOpenAPI'] as const

/** `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/…` for the gateway: real services, metaservices, junk. */
function r1Tail(context: FuzzContext, hostile: boolean): fc.Arbitrary<string> {
  const services = [...context.services.values()]
  const metaservice = fc
    .tuple(fc.constantFrom(...context.subsystems), fc.constantFrom(...METASERVICES))
    .map((parts) => parts.join('/'))
  const code = fc.constantFrom(...context.personalCodes)
  const valid = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...services), fc.constantFrom(...REGISTRY_OPERATIONS))
        .map((parts) => parts.join('/')),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...services),
          code,
          fc.constantFrom('firstName', 'personalCode', 'name'),
        )
        .map(([service, record, field]) => `${service}/1.0/${record}/readValue/${field}.json`),
    },
    { weight: 1, arbitrary: metaservice },
  )
  if (!hostile) return valid
  const identifier = fc.oneof(
    fc.constantFrom('EE', 'GOV', '70000013', 'population-register', 'population'),
    hostileString().chain(encodedSegment),
  )
  const target = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...services) },
    { weight: 1, arbitrary: metaservice },
    {
      weight: 1,
      arbitrary: fc.array(identifier, { maxLength: 7 }).map((parts) => parts.join('/')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...services), fc.nat({ max: 4 }), identifier)
        .map(([id, at, part]) =>
          id
            .split('/')
            .map((old, index) => (index === at ? part : old))
            .join('/'),
        ),
    },
  )
  const record = fc.oneof(code, hostileString().chain(encodedSegment))
  const rest = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...REGISTRY_OPERATIONS, '1.0/create', '2.0', '') },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          record,
          fc.oneof(
            fc.constantFrom('firstName', 'constructor', 'name'),
            hostileString().chain(encodedSegment),
          ),
          fc.constantFrom('json', 'xml', ''),
        )
        .map(([id, field, ext]) => `1.0/${id}/readValue/${field}.${ext}`),
    },
    { weight: 1, arbitrary: record.map((id) => `1.0/${id}/delete`) },
    { weight: 1, arbitrary: junkPath() },
  )
  return fc.oneof(
    valid,
    fc.tuple(target, rest).map(([head, tail]) => (tail === '' ? head : `${head}/${tail}`)),
  )
}

const GATEWAY_QUERY_KEYS = [
  'query.personalCode',
  'query.registryCode',
  'search',
  'page',
  'pageSize',
  'serviceCode',
] as const

/** Hostile text for a parameter; for a numeric one, mostly the numbers coercion gets wrong. */
function hostileText(schema: JsonSchema): fc.Arbitrary<string> {
  const numeric = schema.type === 'integer' || schema.type === 'number'
  return numeric
    ? fc.oneof(hostileNumberText(), hostileNumberText(), hostileString())
    : hostileString()
}

export function queryFor(
  operation: Operation,
  context: FuzzContext,
  hostile: boolean,
): fc.Arbitrary<string> {
  const declared = operation.parameters.filter((parameter) => parameter.in === 'query')
  const known = declared.map((parameter) => {
    const hint = context.hints[parameter.name]
    const plausible = parameter.name.startsWith('query.')
      ? fc.constantFrom(...context.personalCodes)
      : (hint ?? plausibleValue(parameter.schema ?? {})).map((item) =>
          typeof item === 'string' ? item : (JSON.stringify(item) ?? ''),
        )
    const value = hostile ? fc.oneof(plausible, hostileText(parameter.schema ?? {})) : plausible
    // A list query names at most a key or two: all its optional ones would match nothing.
    const optionalTimes = hostile ? fc.constantFrom(0, 0, 1, 2) : fc.constantFrom(0, 0, 0, 1)
    const times =
      parameter.required === true ? fc.constantFrom(1, 1, 1, hostile ? 2 : 1) : optionalTimes
    return fc
      .tuple(times, fc.array(value, { minLength: 2, maxLength: 2 }))
      .map(([count, values]) =>
        values.slice(0, count).map((item) => [parameter.name, item] as [string, string]),
      )
  })
  // The gateway's own keys: for /r1 any time, for the registries' routes only when hostile.
  const gateway =
    operation.template.startsWith('/r1/') || (hostile && operation.template.startsWith('/data/'))
  if (gateway)
    known.push(
      fc.array(
        fc.tuple(
          fc.constantFrom(...GATEWAY_QUERY_KEYS),
          hostile
            ? fc.oneof(
                fc.constantFrom(...context.personalCodes),
                hostileString(),
                hostileNumberText(),
              )
            : fc.constantFrom(...context.personalCodes),
        ),
        { maxLength: hostile ? 3 : 1 },
      ),
    )
  if (!hostile)
    return fc.tuple(...known).map((lists) =>
      lists
        .flat()
        .map(([key, value]) => `${safeEncode(key)}=${safeEncode(value)}`)
        .join('&'),
    )
  const unknown = fc.array(
    fc.tuple(
      fc.oneof(
        hostileString(),
        fc.constantFrom(
          '__proto__',
          'constructor',
          'a[]',
          'a[0]',
          'a[b]',
          'query.',
          'query.__proto__',
          'query.constructor',
        ),
      ),
      hostileString(),
    ),
    { maxLength: 3 },
  )
  return fc.tuple(fc.tuple(...known), unknown, fc.boolean()).map(([lists, extra, raw]) => {
    const pairs = [...lists.flat(), ...extra]
    // Raw: `&`, `=`, `%`, `+` and `[]` as typed; only what no client could send is escaped.
    const encode = (text: string) =>
      raw
        ? [...text]
            .map((char) => (/^[!-~]$/.test(char) && char !== '#' ? char : safeEncode(char)))
            .join('')
        : safeEncode(text)
    return pairs
      .map(([key, value]) =>
        value === '' && raw ? encode(key) : `${encode(key)}=${encode(value)}`,
      )
      .join('&')
  })
}
