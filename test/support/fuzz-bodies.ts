// Request bodies for fuzzing: JSON by the route's schema (plausible or hostile), and the bodies
// that are not JSON at all — malformed and deeply nested text, binary, forms, bodies past the
// route's limit — plus the protocol bodies of the routes that take no JSON: DER for OCSP and
// time-stamping (valid requests with bytes flipped), ASiC-E containers (a real signed one,
// mutated, and synthetic zips), and tlog-witness requests around the log's real checkpoint.
import fc from 'fast-check'
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate'
import {
  hostileString,
  hostileValue,
  plausibleValue,
  type Hints,
  type JsonSchema,
} from './fuzz-values.ts'

export interface FuzzBody {
  /** What kind of body this is, for the report of a failure. */
  readonly kind: string
  readonly contentType?: string
  readonly payload?: string | Buffer
}

/** Real protocol messages the bodies start from, made once per run. */
export interface BodySeeds {
  readonly ocspRequests: readonly Buffer[]
  readonly timestampRequests: readonly Buffer[]
  readonly containers: readonly Buffer[]
  readonly checkpoint: string
}

export const ASICE = 'application/vnd.etsi.asic-e+zip'

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/json, text/plain',
  'application/problem+json',
  'application/x-json',
  'text/json',
  'application/jsonx',
  ' application/json',
] as const

const OTHER_TYPES = [
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'multipart/form-data',
  'application/octet-stream',
  ASICE,
  'application/zip',
  'application/ocsp-request',
  'application/timestamp-query',
  'application/xml',
  '*/*',
  '',
  ';',
  'application/',
  'x'.repeat(2_000),
  '\u00ff\u00fe/\u00e9',
] as const

/** One bounded body of `limit + 1` bytes per limit, made once. */
const oversized = new Map<number, Buffer>()
function oversizedBody(limit: number): Buffer {
  let body = oversized.get(limit)
  if (body === undefined) {
    body = Buffer.alloc(limit + 1, 0x61)
    body[0] = 0x22
    oversized.set(limit, body)
  }
  return body
}

/** A body the route's schema accepts (mostly: the hints steer values, not every constraint). */
export function plausibleBody(options: {
  readonly schema?: JsonSchema
  readonly hints: Hints
}): fc.Arbitrary<FuzzBody> {
  return plausibleValue(options.schema ?? {}, options.hints).map((value) => ({
    kind: 'schema',
    contentType: 'application/json',
    payload: JSON.stringify(value) ?? 'null',
  }))
}

/** Bodies of every kind; `schema` is the route's JSON body, when it declares one. */
export function anyBody(options: {
  readonly schema?: JsonSchema
  readonly hints: Hints
  readonly limit: number
  readonly special?: fc.Arbitrary<FuzzBody>
}): fc.Arbitrary<FuzzBody> {
  const schema = options.schema ?? {}
  const json = (kind: string, value: fc.Arbitrary<unknown>) =>
    fc.tuple(value, jsonType()).map(([body, contentType]) => ({
      kind,
      contentType,
      payload: JSON.stringify(body) ?? 'null',
    }))
  const choices: fc.WeightedArbitrary<FuzzBody>[] = [
    {
      weight: options.schema === undefined ? 1 : 6,
      arbitrary: json('schema', plausibleValue(schema, options.hints)),
    },
    {
      weight: options.schema === undefined ? 1 : 6,
      arbitrary: json('hostile', hostileValue(schema, options.hints)),
    },
    { weight: 1, arbitrary: json('any-json', fc.jsonValue({ maxDepth: 3 })) },
    { weight: 1, arbitrary: deepJson(schema) },
    { weight: 1, arbitrary: malformedJson(schema, options.hints) },
    {
      weight: 1,
      arbitrary: fc.constant({ kind: 'empty-json', contentType: 'application/json', payload: '' }),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'none' }) },
    { weight: 1, arbitrary: binaryBody() },
    { weight: 1, arbitrary: formBody() },
    { weight: 1, arbitrary: hugeStringBody(schema, options.limit) },
    { weight: 1, arbitrary: protoBody() },
  ]
  if (options.limit <= 16 * 1024 * 1024)
    choices.push({
      weight: 1,
      arbitrary: fc.constantFrom(...JSON_TYPES, ...OTHER_TYPES).map((contentType) => ({
        kind: `oversized(${options.limit + 1})`,
        contentType,
        payload: oversizedBody(options.limit),
      })),
    })
  if (options.special !== undefined) choices.push({ weight: 8, arbitrary: options.special })
  return fc.oneof(...choices)
}

function jsonType(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant('application/json') },
    { weight: 3, arbitrary: fc.constantFrom(...JSON_TYPES) },
    { weight: 1, arbitrary: fc.constantFrom(...OTHER_TYPES) },
  )
}

/** JSON nested thousands deep, at the top or inside one of the schema's own fields. */
function deepJson(schema: JsonSchema): fc.Arbitrary<FuzzBody> {
  const fields = Object.keys(schema.properties ?? {}).map((name) => `{${JSON.stringify(name)}:`)
  return fc
    .tuple(
      fc.integer({ min: 100, max: 200_000 }),
      fc.constantFrom('[', '{"a":'),
      fc.constantFrom('', ...fields),
    )
    .map(([depth, open, field]) => {
      const close = open === '[' ? ']' : '}'
      return {
        kind: `deep(${depth})`,
        contentType: 'application/json',
        payload: `${field}${open.repeat(depth)}1${close.repeat(depth)}${field === '' ? '' : '}'}`,
      }
    })
}

function malformedJson(schema: JsonSchema, hints: Hints): fc.Arbitrary<FuzzBody> {
  const broken = fc.oneof(
    fc.constantFrom(
      '{',
      '{"a":',
      '[1,2,',
      '{"a":1,}',
      "{'a':1}",
      '{"a":NaN}',
      '{"a":1e999999}',
      '{"a":-}',
      '\ufeff{}',
      '{"a":"\\ud800"}',
      '{"a":"\\x00"}',
      'nul',
      'undefined',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '"just a string"',
      '12',
      'true',
      '\u0000',
    ),
    plausibleValue(schema, hints).chain((value) => {
      const text = JSON.stringify(value) ?? 'null'
      return fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => text.slice(0, cut))
    }),
    hostileString(),
  )
  return fc
    .tuple(broken, jsonType())
    .map(([payload, contentType]) => ({ kind: 'malformed-json', contentType, payload }))
}

function binaryBody(): fc.Arbitrary<FuzzBody> {
  return fc
    .tuple(fc.uint8Array({ maxLength: 2_048 }), fc.constantFrom(...JSON_TYPES, ...OTHER_TYPES))
    .map(([bytes, contentType]) => ({ kind: 'binary', contentType, payload: Buffer.from(bytes) }))
}

function formBody(): fc.Arbitrary<FuzzBody> {
  return fc.array(fc.tuple(hostileString(), hostileString()), { maxLength: 4 }).map((pairs) => ({
    kind: 'form',
    contentType: 'application/x-www-form-urlencoded',
    payload: pairs.map(([key, value]) => `${safeEncode(key)}=${safeEncode(value)}`).join('&'),
  }))
}

function hugeStringBody(schema: JsonSchema, limit: number): fc.Arbitrary<FuzzBody> {
  const size = Math.max(1, Math.min(limit - 64, 512 * 1024))
  const field = Object.keys(schema.properties ?? {})[0] ?? 'value'
  return fc.constantFrom('a', 'ä', '\\u0000', '"').map((char) => ({
    kind: `huge-string(${size})`,
    contentType: 'application/json',
    payload: `{"${field}":"${char.repeat(Math.floor(size / char.length / 2))}"}`,
  }))
}

function protoBody(): fc.Arbitrary<FuzzBody> {
  return fc
    .constantFrom(
      '{"__proto__":{"isAdmin":true},"query":{"content":{"__proto__":{"x":1}}}}',
      '{"constructor":{"prototype":{"isAdmin":true}}}',
      '[{"__proto__":[]}]',
    )
    .map((payload) => ({ kind: 'prototype-pollution', contentType: 'application/json', payload }))
}

/** `encodeURIComponent` that does not throw on lone surrogates (they become U+FFFD). */
export function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'))
  }
}

/** A valid message with bytes flipped, inserted, cut or its lengths falsified. */
export function mutatedBytes(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  const edit = fc.tuple(
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom('set', 'insert', 'cut', 'xor'),
  )
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 0, maxLength: 4 }))
    .map(([seed, edits]) => {
      let bytes = Buffer.from(seed)
      for (const [at, value, how] of edits) {
        const index = bytes.length === 0 ? 0 : at % bytes.length
        if (how === 'set') bytes[index] = value
        else if (how === 'xor') bytes[index] ^= 1 << (value % 8)
        else if (how === 'insert')
          bytes = Buffer.concat([bytes.subarray(0, index), Buffer.of(value), bytes.subarray(index)])
        else bytes = bytes.subarray(0, index)
      }
      return bytes
    })
}

/** Random DER: TLVs nested a few deep, lengths sometimes lying. */
export function randomDer(): fc.Arbitrary<Buffer> {
  const { tree } = fc.letrec<{ tree: Buffer }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc
        .tuple(
          fc.constantFrom(0x02, 0x04, 0x05, 0x06, 0x03, 0x0a, 0x18, 0x80, 0x0c),
          fc.uint8Array({ maxLength: 40 }),
        )
        .map(([tag, content]) => tlv(tag, Buffer.from(content))),
      fc
        .tuple(
          fc.constantFrom(0x30, 0x31, 0xa0, 0xa1, 0xa2),
          fc.array(tie('tree'), { maxLength: 4 }),
        )
        .map(([tag, children]) => tlv(tag, Buffer.concat(children))),
    ),
  }))
  return fc
    .tuple(tree, fc.constantFrom('honest', 'long', 'short', 'indefinite', 'huge'))
    .map(([der, lie]) => {
      if (lie === 'honest' || der.length < 2) return der
      const copy = Buffer.from(der)
      if (lie === 'long') copy[1] = Math.min(0x7f, copy[1] + 5)
      else if (lie === 'short') copy[1] = Math.max(0, (copy[1] & 0x7f) - 1)
      else if (lie === 'indefinite') copy[1] = 0x80
      else
        return Buffer.concat([
          copy.subarray(0, 1),
          Buffer.of(0x84, 0x7f, 0xff, 0xff, 0xff),
          copy.subarray(2),
        ])
      return copy
    })
}

function tlv(tag: number, content: Buffer): Buffer {
  const length =
    content.length < 0x80
      ? Buffer.of(content.length)
      : content.length < 0x100
        ? Buffer.of(0x81, content.length)
        : Buffer.of(0x82, content.length >> 8, content.length & 0xff)
  return Buffer.concat([Buffer.of(tag), length, content])
}

/** DER bodies for OCSP or time-stamping: real requests mutated, or random DER. */
export function derBody(seeds: readonly Buffer[], contentType: string): fc.Arbitrary<FuzzBody> {
  return fc
    .oneof(
      { weight: 3, arbitrary: mutatedBytes(seeds) },
      { weight: 1, arbitrary: fc.constantFrom(...seeds) },
      { weight: 2, arbitrary: randomDer() },
    )
    .map((payload) => ({ kind: 'der', contentType, payload }))
}

/** ASiC-E containers: the real signed one, its parts edited and re-zipped, or made up. */
export function containerBytes(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...seeds) },
    { weight: 2, arbitrary: mutatedBytes(seeds) },
    { weight: 3, arbitrary: editedContainer(seeds) },
    { weight: 2, arbitrary: syntheticContainer() },
  )
}

function editedContainer(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 200 }),
      fc.oneof(
        hostileString(),
        fc.constantFrom('<', '>', '"', '&amp;', '<x/>', '</ds:SignedInfo>', 'ds:', '='),
      ),
      fc.constantFrom(
        'replace',
        'drop-entry',
        'rename-entry',
        'duplicate-content',
        'compress-mimetype',
      ),
    )
    .map(([seed, pickEntry, at, length, text, how]) => {
      const entries = unzipSync(seed)
      const names = Object.keys(entries)
      const name = names[pickEntry % names.length]
      const zippable: Zippable = {}
      for (const [entry, bytes] of Object.entries(entries))
        zippable[entry] = [
          bytes,
          { level: entry === 'mimetype' && how !== 'compress-mimetype' ? 0 : 6 },
        ]
      if (how === 'drop-entry') delete zippable[name]
      else if (how === 'rename-entry') {
        zippable[text === '' ? '../evil' : text] = zippable[name]
        delete zippable[name]
      } else if (how === 'duplicate-content') zippable[`${name}.copy`] = zippable[name]
      else if (how === 'replace') {
        const original = Buffer.from(entries[name]).toString('latin1')
        const start = at % (original.length + 1)
        zippable[name] = [
          strToU8(original.slice(0, start) + text + original.slice(start + length), true),
          { level: 6 },
        ]
      }
      return Buffer.from(zipSync(zippable))
    })
}

function syntheticContainer(): fc.Arbitrary<Buffer> {
  const entry = fc.tuple(
    fc.oneof(
      fc.constantFrom(
        'mimetype',
        'META-INF/manifest.xml',
        'META-INF/signatures0.xml',
        'doc.txt',
        'META-INF/',
        '/abs',
        '../up',
        'a\\b',
        'ä.txt',
      ),
      fc.string({ maxLength: 30 }),
    ),
    fc.oneof(
      fc.constantFrom(
        ASICE,
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.etsi.asic-e+zip"/><manifest:file-entry manifest:full-path="doc.txt" manifest:media-type="text/plain"/></manifest:manifest>',
        '<asic:XAdESSignatures xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Signature Id="S0"><ds:SignedInfo/></ds:Signature></asic:XAdESSignatures>',
        '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
        `<a>${'<b>'.repeat(5_000)}</a>`,
      ),
      hostileString(),
    ),
  )
  return fc.array(entry, { minLength: 0, maxLength: 5 }).map((entries) => {
    const zippable: Zippable = {}
    for (const [name, content] of entries)
      zippable[name] = [strToU8(content), { level: name === 'mimetype' ? 0 : 6 }]
    return Buffer.from(zipSync(zippable))
  })
}

/** tlog-witness add-checkpoint bodies around the log's real checkpoint (consistent, or not). */
export function witnessBody(checkpoint: string, hostile: boolean): fc.Arbitrary<FuzzBody> {
  const size = Number(checkpoint.split('\n')[1] ?? '0')
  const asSent = (first: string, lines: readonly string[], note: string, contentType: string) => ({
    kind: 'witness',
    contentType,
    payload: [first, ...lines, '', note].join('\n'),
  })
  if (!hostile)
    return fc
      .constantFrom(`old ${size}`, 'old 0')
      .map((first) => asSent(first, [], checkpoint, 'text/plain'))
  const note = fc.oneof(
    fc.constant(checkpoint),
    fc.tuple(fc.nat(), hostileString()).map(([at, text]) => {
      const start = at % (checkpoint.length + 1)
      return checkpoint.slice(0, start) + text + checkpoint.slice(start)
    }),
    fc.nat().map((cut) => checkpoint.slice(0, cut % (checkpoint.length + 1))),
    fc.constant(checkpoint.replace(/\n\d+\n/, '\n99999999999999999999\n')),
    hostileString(),
  )
  const proof = fc.array(
    fc.oneof(
      fc
        .uint8Array({ minLength: 32, maxLength: 32 })
        .map((bytes) => Buffer.from(bytes).toString('base64')),
      hostileString(),
    ),
    { maxLength: 70 },
  )
  const old = fc.oneof(
    fc.constantFrom(0, 1, size, size - 1, size + 1, 2 ** 53, -1).map((value) => `old ${value}`),
    hostileString(),
  )
  return fc
    .tuple(old, proof, note, fc.constantFrom('text/plain', '', 'application/json'))
    .map(([first, lines, text, contentType]) => asSent(first, lines, text, contentType))
}
