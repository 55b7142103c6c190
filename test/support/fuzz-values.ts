// Values for fuzzing the HTTP API: hostile strings and numbers, and values for a JSON Schema
// (as the OpenAPI document states it) that are either plausible — so a request gets past
// validation into a handler — or wrong in one place, or wrong everywhere.
import fc from 'fast-check'

/** The part of JSON Schema the OpenAPI document uses. */
export interface JsonSchema {
  readonly type?: string | readonly string[]
  readonly const?: unknown
  readonly enum?: readonly unknown[]
  readonly anyOf?: readonly JsonSchema[]
  readonly oneOf?: readonly JsonSchema[]
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: readonly string[]
  readonly additionalProperties?: boolean | JsonSchema
  readonly items?: JsonSchema
  readonly minItems?: number
  readonly maxItems?: number
  readonly minLength?: number
  readonly maxLength?: number
  readonly pattern?: string
  readonly format?: string
  readonly minimum?: number
  readonly maximum?: number
}

/** Values a field may want: known personal codes, a real certificate, proved keys, … */
export type Hints = Readonly<Record<string, fc.Arbitrary<unknown>>>

const MAX_DEPTH = 4

/** Strings that have broken parsers, routers, decoders and queries before. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '.',
  '..',
  '../../etc/passwd',
  '..%2F..%2F',
  '%2e%2e',
  '%2F',
  '%5C',
  '%00',
  '\u0000',
  '%',
  '%ZZ',
  '%E0%A4%A',
  '%C0%AF',
  '\r\n',
  '\t',
  '\u001b[2J',
  '\u202e',
  '\ud800',
  '\udfff\ud800',
  '\ufeff',
  '😀',
  'õäöü',
  'null',
  'undefined',
  'true',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '-0',
  '1e400',
  '9007199254740993',
  '0x10',
  '1.5',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  "' OR '1'='1",
  '"; DROP TABLE persons; --',
  '<script>alert(1)</script>',
  '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b SYSTEM "file:///etc/passwd">]><a>&b;</a>',
  '${7*7}',
  '{{7*7}}',
  '\\',
  '/',
  '//',
  '*',
  '?',
  '#',
  '&',
  '=',
  '+',
  ';',
  ',',
  'EE',
  'EE38001085718',
  'EE38001085719',
  '38001085718',
  '38001085719',
  '00000000000',
  '99999999999',
  'EE/GOV/70000013/population-register',
  'EE/GOV/70000013/population-register/population',
  'a'.repeat(257),
  'x'.repeat(5_000),
  'é'.repeat(3_000),
]

/** A string built to hurt: a known troublemaker, random code points, or something very long. */
export function hostileString(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('a', '%', '/', '9', 'ä', '\u0000', '.'), fc.nat({ max: 20_000 }))
        .map(([char, times]) => char.repeat(times)),
    },
    { weight: 1, arbitrary: controlString() },
  )
}

function controlString(): fc.Arbitrary<string> {
  return fc
    .array(fc.integer({ min: 0, max: 0x1f }), { minLength: 1, maxLength: 8 })
    .map((codes) => String.fromCharCode(...codes))
}

/** Text a query or path parameter holds where a number is wanted: the ones coercion mishandles. */
export function hostileNumberText(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      'Infinity',
      '-Infinity',
      '+Infinity',
      '1e400',
      '-1e400',
      '1e-400',
      'NaN',
      '9007199254740993',
      '-9007199254740993',
      '1e21',
      '0x10',
      '0b1',
      '1_000',
      ' 1',
      '1 ',
      '+1',
      '-0',
      '1.0',
      '1.5',
      '',
      '[]',
      'true',
    ),
    hostileNumber().map(String),
  )
}

/** Numbers at and past every boundary a schema or a database might have. */
export function hostileNumber(): fc.Arbitrary<number | string | bigint> {
  return fc.oneof(
    fc.constantFrom(
      -1,
      0,
      -0,
      0.5,
      1e21,
      -1e21,
      2 ** 31,
      2 ** 32,
      2 ** 53,
      2 ** 53 + 2,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
    ),
    fc.double(),
    fc.integer(),
  )
}

/** A JSON value of the wrong kind, whatever the schema wanted. */
export function anyJson(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(null),
    fc.boolean(),
    hostileNumber().map((value) => (typeof value === 'bigint' ? Number(value) : value)),
    hostileString(),
    fc.constant([]),
    fc.constant({}),
    fc.jsonValue({ maxDepth: 2 }),
  )
}

/** A value the schema accepts (mostly), preferring the hints where a property has one. */
export function plausibleValue(
  schema: JsonSchema,
  hints: Hints = {},
  depth = 0,
): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum)
  const choices = schema.anyOf ?? schema.oneOf
  if (choices !== undefined && choices.length > 0)
    return fc.oneof(...choices.map((choice) => plausibleValue(choice, hints, depth + 1)))
  const type = Array.isArray(schema.type) ? schema.type : [schema.type]
  const arbitraries = type.map((one) =>
    plausibleOfType(one as string | undefined, schema, hints, depth),
  )
  return arbitraries.length === 1 ? arbitraries[0] : fc.oneof(...arbitraries)
}

function plausibleOfType(
  type: string | undefined,
  schema: JsonSchema,
  hints: Hints,
  depth: number,
): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return plausibleString(schema)
    case 'integer':
      return plausibleInteger(schema)
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(plausibleValue(schema.items ?? {}, hints, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      })
    case 'object':
      return plausibleObject(schema, hints, depth)
    default:
      return depth >= MAX_DEPTH ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 })
  }
}

function plausibleString(schema: JsonSchema): fc.Arbitrary<string> {
  const maxLength = schema.maxLength ?? 40
  if (schema.pattern !== undefined)
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((value) => value.length <= maxLength && value.length >= (schema.minLength ?? 0))
  if (schema.format === 'date-time' || schema.format === 'date') {
    const dates = fc
      .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
      .map((date) =>
        schema.format === 'date' ? date.toISOString().slice(0, 10) : date.toISOString(),
      )
    return fc.oneof(dates, fc.constantFrom('2024-02-30', '0000-00-00', '2024-13-01T25:61:61Z'))
  }
  return fc.oneof(
    fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(maxLength, 40) }),
    fc.constant('x'.repeat(Math.min(maxLength, 20_000))),
  )
}

function plausibleInteger(schema: JsonSchema): fc.Arbitrary<number> {
  const min = Math.max(schema.minimum ?? -1_000_000, Number.MIN_SAFE_INTEGER)
  const max = Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER)
  const small = fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) })
  return fc.oneof(small, fc.constantFrom(min, max))
}

function plausibleObject(schema: JsonSchema, hints: Hints, depth: number): fc.Arbitrary<unknown> {
  if (depth >= MAX_DEPTH) return fc.constant({})
  const properties = schema.properties ?? {}
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  for (const [name, property] of Object.entries(properties)) {
    const plain = plausibleValue(property, hints, depth + 1)
    const hint = hints[name]
    model[name] = hint === undefined ? plain : fc.oneof({ weight: 3, arbitrary: hint }, plain)
  }
  const required = (schema.required ?? []).filter((name) => name in model)
  const record = fc.record(model, { requiredKeys: required })
  if (schema.additionalProperties === false || Object.keys(properties).length > 0) return record
  return fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 })
}

/**
 * A value in the schema's shape that is wrong somewhere: a field of the wrong type, out of its
 * bounds, hostile text, a property that should not be there, or the whole thing of another kind.
 */
export function hostileValue(
  schema: JsonSchema,
  hints: Hints = {},
  depth = 0,
): fc.Arbitrary<unknown> {
  if (depth >= MAX_DEPTH) return anyJson()
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  const shaped: fc.Arbitrary<unknown>[] = []
  if (type === 'object' && schema.properties !== undefined) {
    const model: Record<string, fc.Arbitrary<unknown>> = {}
    for (const [name, property] of Object.entries(schema.properties))
      model[name] = fc.oneof(
        plausibleValue(property, hints, depth + 1),
        hostileValue(property, hints, depth + 1),
      )
    shaped.push(
      fc
        .tuple(
          fc.record(model, { requiredKeys: [] }),
          fc.dictionary(fc.oneof(hostileKey(), fc.string({ maxLength: 8 })), anyJson(), {
            maxKeys: 2,
          }),
        )
        .map(([known, extra]) => ({ ...extra, ...known })),
    )
  }
  if (type === 'array')
    shaped.push(fc.array(hostileValue(schema.items ?? {}, hints, depth + 1), { maxLength: 4 }))
  if (type === 'array' && schema.maxItems !== undefined && schema.maxItems <= 1_000)
    shaped.push(
      plausibleValue(schema.items ?? {}, hints, depth + 1).map((item) =>
        Array.from({ length: (schema.maxItems as number) + 1 }, () => item),
      ),
    )
  if (type === 'string') {
    shaped.push(hostileString())
    if (schema.maxLength !== undefined)
      shaped.push(fc.constant('y'.repeat(Math.min(schema.maxLength + 1, 2_000_000))))
  }
  if (type === 'integer' || type === 'number') shaped.push(anyNumberLike())
  return shaped.length === 0 ? anyJson() : fc.oneof(...shaped, anyJson())
}

function anyNumberLike(): fc.Arbitrary<unknown> {
  return hostileNumber().map((value) => (typeof value === 'bigint' ? String(value) : value))
}

/** Property names that have polluted prototypes or confused lookups. */
export function hostileKey(): fc.Arbitrary<string> {
  return fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', ' ', '$where')
}
