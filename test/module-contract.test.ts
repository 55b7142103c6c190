/**
 * The module contract, checked by reading the modules and the code (invariants 1 and 3 and
 * the shape of ARCHITECTURE.md §8): every table of the store is declared by exactly one module;
 * a table that names people is declared personal (behind the door) or says why it need not be;
 * every error code the code throws has a status in the combined catalogue; every ledger entry
 * kind the code records is declared by a module; only the ledger touches its own tables.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path, { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATA_KEYS, ERROR_CATALOGUE, MIGRATIONS, MODULES } from '../src/main/index.ts'
import { combineCatalogues } from '../src/platform/index.ts'
import { openStore, type Store } from '../src/storage/index.ts'

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const file = join(directory, name)
    if (statSync(file).isDirectory()) return sourceFiles(file)
    return file.endsWith('.ts') && !file.endsWith('.test.ts') ? [file] : []
  })
}
const files = sourceFiles('src').map((file) => relative('.', file))
const read = (file: string): string => readFileSync(file, 'utf8')

/** Columns that hold a person's code or contact: a table with one names people. */
const PERSON_COLUMN =
  /^(personal_code|subject_code|actor_code|holder|recipient|user_id|owner_code|user_code|mother_code|father_code|spouse_code|contact_email|contact_phone)$/

describe('the module contract', () => {
  let root: string
  let store: Store
  let columns: Map<string, string[]>

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'estate-contract-'))
    store = await openStore({ url: path.join(root, 'estate.db') })
    await store.migrate(MIGRATIONS)
    const tables = store.sqlite
      ?.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[]
    columns = new Map(
      tables
        .filter(({ name }) => !name.startsWith('kysely_'))
        .map(({ name }) => [
          name,
          (store.sqlite?.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[]).map(
            (column) => column.name,
          ),
        ]),
    )
  })
  afterAll(async () => {
    await store?.close()
    await rm(root, { recursive: true, force: true })
  })

  const declared = MODULES.flatMap((module) =>
    module.tables.map((table) => ({ module: module.name, ...table })),
  )

  it('declares every table of the store in exactly one module', () => {
    expect(columns.size).toBeGreaterThan(40)
    const owners = new Map<string, string[]>()
    for (const table of declared)
      owners.set(table.name, [...(owners.get(table.name) ?? []), table.module])
    expect([...columns.keys()].filter((name) => !owners.has(name))).toEqual([])
    expect([...owners].filter(([, by]) => by.length > 1)).toEqual([])
    expect([...owners.keys()].filter((name) => !columns.has(name))).toEqual([])
  })

  it('puts every table that names people behind the door, or says why it need not be', () => {
    const naming = [...columns].filter(([, names]) =>
      names.some((name) => PERSON_COLUMN.test(name)),
    )
    expect(naming.length).toBeGreaterThan(10)
    const undeclared = naming
      .map(([name]) => declared.find((table) => table.name === name))
      .filter((table) => table !== undefined && table.personal !== true)
      .filter((table) => (table?.notPersonalBecause ?? '').length < 10)
      .map((table) => table?.name)
    expect(undeclared).toEqual([])
  })

  it('has the door guard exactly the tables the modules declare personal', () => {
    const personal = declared.filter((table) => table.personal === true).map((table) => table.name)
    expect(personal.length).toBeGreaterThan(5)
    expect([...MIGRATIONS.personalTables].sort()).toEqual([...personal].sort())
  })

  it('names the encrypted columns that exist', () => {
    for (const table of declared)
      for (const column of table.encrypted ?? [])
        expect(columns.get(table.name), `${table.name}.${column}`).toContain(column)
  })

  it('declares the data key of every column the code seals', () => {
    // `envelope.encrypt(AGENCY, …)` with a named constant: the constant's value is a declared key.
    const constants = new Map<string, string>()
    for (const file of files)
      for (const [, name, value] of read(file).matchAll(/export const ([A-Z_]+) = '([a-z-]+)'/g))
        constants.set(name!, value!)
    const used = new Set<string>()
    for (const file of files)
      for (const [, name] of read(file).matchAll(/\.encrypt\(\s*([A-Z_]+),/g))
        used.add(constants.get(name!) ?? `unresolved ${name}`)
    expect(used.size).toBeGreaterThanOrEqual(3)
    expect([...used].filter((key) => !DATA_KEYS.includes(key))).toEqual([])
    // And a module that seals a column says under which key.
    for (const module of MODULES)
      if (module.tables.some((table) => (table.encrypted ?? []).length > 0))
        // (The registries seal a register's columns under its keeper agency's key, made at seeding.)
        if (module.name !== 'registries')
          expect(module.dataKeys.length, module.name).toBeGreaterThan(0)
  })

  it('gives every error code the code throws a status in the combined catalogue', () => {
    const thrown = new Set<string>()
    const pattern = /new ([A-Z][A-Za-z]*Error)\(\s*'([A-Z][A-Za-z_]+)'/g
    for (const file of files)
      for (const [, type, code] of read(file).matchAll(pattern))
        // The gateway's errors carry X-Road's type; a time-stamp's failure is a report's, not HTTP's.
        if (type === 'ExchangeError') thrown.add(`EXCHANGE_${code}`)
        else if (type !== 'TimestampError') thrown.add(code)
    expect(thrown.size).toBeGreaterThan(80)
    expect([...thrown].filter((code) => !ERROR_CATALOGUE.has(code))).toEqual([])
  })

  it('refuses one code with two statuses when combining catalogues', () => {
    expect(() =>
      combineCatalogues([
        { owner: 'a', errors: { SAME: 400 } },
        { owner: 'b', errors: { SAME: 404 } },
      ]),
    ).toThrow(/SAME is 400 in a but 404 in b/)
  })

  it('records only ledger entry kinds that a module declares', () => {
    const kinds = new Set(MODULES.flatMap((module) => module.ledgerKinds.map((k) => k.kind)))
    const used = new Set<string>()
    for (const file of files) {
      const text = read(file)
      // The kinds named in each recording call (the call and its entries' literal kinds).
      for (const call of text.matchAll(
        /ledgerRecorder\.record\([\s\S]{0,400}?kind: '([a-z][a-z0-9-]+)'/g,
      ))
        used.add(call[1])
      for (const call of text.matchAll(
        /(?:OUTBOX_SQL\.\w+|ledger\.append)\(\s*'([a-z][a-z0-9-]+)'/g,
      ))
        used.add(call[1])
    }
    expect(used.size).toBeGreaterThanOrEqual(8)
    expect([...used].filter((kind) => !kinds.has(kind))).toEqual([])
  })

  it('lets only the ledger write its outbox or read its entries', () => {
    // Migrations create the ledger's tables, indexes and triggers (0001, 0003, the fence's 0024).
    const allowed = [/^src\/ledger\//, /^src\/storage\//, /^src\/[^/]+\/migrations\//]
    const offenders = files
      .filter((file) => !allowed.some((pattern) => pattern.test(file)))
      .flatMap((file) =>
        read(file)
          .split('\n')
          .map((text, index) => ({ file, line: index + 1, text: text.trim() }))
          .filter(({ text }) => /['"`\s(](ledger_outbox|ledger_entries)\b/.test(text)),
      )
    expect(offenders).toEqual([])
  })

  it('keeps worker threads free of the server (no routes, Fastify or portal in their graph)', () => {
    // A worker thread loads what its entry imports (type-only imports vanish); a thread that
    // pulled in a context's index would hold the routes and the platform on a heap of its own.
    const valueImports = (file: string): string[] =>
      [...read(file).matchAll(/^(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gms)].map(
        (match) => match[1],
      )
    const graphOf = (entry: string): Set<string> => {
      const seen = new Set<string>()
      const visit = (file: string) => {
        if (seen.has(file)) return
        seen.add(file)
        for (const specifier of valueImports(file)) {
          if (specifier.startsWith('.'))
            visit(relative('.', path.resolve(path.dirname(file), specifier)))
          else seen.add(specifier)
        }
      }
      visit(entry)
      return seen
    }
    const entries = files.flatMap((file) =>
      [...read(file).matchAll(/new Worker\(new URL\('(\.[^']+)'/g)].map((match) =>
        relative('.', path.resolve(path.dirname(file), match[1])),
      ),
    )
    expect(entries.length).toBeGreaterThanOrEqual(4)
    // A module's declaration (`module.ts`, the platform's contract) is data and may come along;
    // its routes load only when the node registers them.
    const HEAVY =
      /^(fastify|@fastify\/|nunjucks|oidc-provider|@simplewebauthn\/)|-?routes\.ts$|^src\/(main|portal)\//
    const heavy = entries.flatMap((entry) =>
      [...graphOf(entry)].filter((file) => HEAVY.test(file)).map((file) => `${entry} → ${file}`),
    )
    expect(heavy).toEqual([])
  })

  it('gives each module a name of its own', () => {
    const names = MODULES.map((module) => module.name)
    expect(new Set(names).size).toBe(names.length)
  })
})
