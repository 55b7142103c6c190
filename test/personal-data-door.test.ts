/**
 * ARCHITECTURE invariant 1, checked by reading the code: only the registries' read models (run
 * by the access gate), the gate itself, the seeder (which writes, never reads) and the
 * operator's ledger audit (`e-state ledger audit`, run with the store owner's rights, which
 * compares rows with their logged commitments and returns no personal data) name a personal
 * table in a query. The PostgreSQL half of the proof — the application role cannot
 * read those tables at all — is in src/storage/store.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MIGRATIONS } from './support/migrations.ts'

/** Every table a module declares personal (`tables: [{ personal: true }]`). */
const PERSONAL_TABLES = [...MIGRATIONS.personalTables]

const ALLOWED = [
  /^src\/registries\/records\//,
  /^src\/registries\/access-gate\.ts$/,
  /^src\/registries\/registry-service\.ts$/,
  /^src\/registries\/country\//,
  /^src\/registries\/record-audit\.ts$/,
  /^src\/storage\//,
]

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : []
  })
}

const tables = PERSONAL_TABLES.join('|')
const QUERY_BUILDER = new RegExp(
  `(selectFrom|innerJoin|leftJoin|rightJoin|fullJoin|updateTable|deleteFrom|insertInto|with)\\(\\s*['"\`](${tables})\\b`,
)
const RAW_SQL = new RegExp(`\\b(from|join|update|into)\\s+["\`]?(${tables})\\b`, 'i')

describe('the personal-data door', () => {
  const files = sourceFiles('src').map((path) => relative('.', path))

  it('finds the source files it is meant to police', () => {
    expect(files.length).toBeGreaterThan(30)
    expect(files).toContain('src/registries/access-gate.ts')
  })

  it('is the only way to a personal table: no other module names one in a query', () => {
    const offenders = files
      .filter((file) => !ALLOWED.some((allowed) => allowed.test(file)))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, index) => ({ file, line: index + 1, text: line.trim() }))
          .filter(({ text }) => QUERY_BUILDER.test(text) || RAW_SQL.test(text)),
      )
    expect(offenders).toEqual([])
  })

  it('would notice a module that did (the pattern is not vacuous)', () => {
    expect(QUERY_BUILDER.test(`db.selectFrom('persons').selectAll()`)).toBe(true)
    expect(QUERY_BUILDER.test(`db.leftJoin("health_insurance", 'a', 'b')`)).toBe(true)
    expect(RAW_SQL.test('select * from incomes where year = 2025')).toBe(true)
    expect(QUERY_BUILDER.test(`db.selectFrom('companies')`)).toBe(false)
  })

  it('keeps the registry service from reading personal registries outside the gate', () => {
    const service = readFileSync('src/registries/registry-service.ts', 'utf8')
    // The one direct call to a read model is guarded by `!definition.personal`.
    const direct = service.match(/definition\.search\(\{ db: store\.db/g) ?? []
    expect(direct).toHaveLength(1)
    expect(service).toMatch(
      /if \(!definition\.personal\)\s*return definition\.search\(\{ db: store\.db/,
    )
  })
})
