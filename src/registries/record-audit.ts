/**
 * The registries' half of `e-state ledger audit`: every access record and registry change in
 * the database must match the commitment that went into the log for it (or still waits in the
 * outbox), and every logged commitment must still have its row. A row changed or deleted
 * directly in the database — by anyone, the operator included — is named here. Reads the
 * personal tables directly: an operator's audit, run with the store owner's rights.
 */
import type { Kysely } from 'kysely'
import { appendedRowsAfter, entriesForRows, type AuditFinding } from '../ledger/index.ts'
import type { Schema } from '../storage/index.ts'
import { commitAccessRecord } from './access-gate.ts'
import { commitRegistryChange } from './registry-service.ts'

export interface RecordAuditReport {
  readonly accessRecords: number
  readonly registryChanges: number
  readonly findings: AuditFinding[]
}

const PAGE = 5000

export async function auditRecords(db: Kysely<Schema>): Promise<RecordAuditReport> {
  const findings: AuditFinding[] = []
  const accessRecords = await auditKind(db, 'access', 'access_records', findings)
  const registryChanges = await auditKind(db, 'registry-change', 'registry_changes', findings)
  return { accessRecords, registryChanges, findings }
}

async function auditKind(
  db: Kysely<Schema>,
  kind: 'access' | 'registry-change',
  table: 'access_records' | 'registry_changes',
  findings: AuditFinding[],
): Promise<number> {
  let after = 0
  let count = 0
  for (;;) {
    const rows =
      table === 'access_records'
        ? await db
            .selectFrom('access_records')
            .selectAll()
            .where('id', '>', after)
            .orderBy('id')
            .limit(PAGE)
            .execute()
        : await db
            .selectFrom('registry_changes')
            .selectAll()
            .where('id', '>', after)
            .orderBy('id')
            .limit(PAGE)
            .execute()
    if (rows.length === 0) break
    const ids = rows.map((row) => Number(row.id))
    const logged = await entriesForRows(db, kind, ids[0], ids[ids.length - 1])
    for (const row of rows) {
      const at = `${table} ${row.id}`
      const entry = logged.get(Number(row.id))
      if (entry === undefined) {
        findings.push({ code: 'RECORD_NOT_LOGGED', at, detail: 'no ledger entry commits to it' })
        continue
      }
      const expected =
        table === 'access_records'
          ? commitAccessRecord(row as Schema['access_records'] & { id: number })
          : commitRegistryChange(row as Schema['registry_changes'] & { id: number })
      if (commitmentOf(entry) !== expected) {
        findings.push({
          code: 'RECORD_MISMATCH',
          at,
          detail: 'the row no longer matches the commitment logged for it',
        })
      }
    }
    count += rows.length
    after = ids[ids.length - 1]
  }
  // Logged commitments whose rows are gone.
  let afterRef = 0
  for (;;) {
    const refs = await appendedRowsAfter(db, kind, afterRef, PAGE)
    if (refs.length === 0) break
    const first = refs[0].refId
    const last = refs[refs.length - 1].refId
    const present = new Set(
      (
        await db
          .selectFrom(table)
          .select('id')
          .where('id', '>=', first)
          .where('id', '<=', last)
          .execute()
      ).map((row) => Number(row.id)),
    )
    for (const ref of refs) {
      if (!present.has(ref.refId)) {
        findings.push({
          code: 'LOGGED_RECORD_MISSING',
          at: `${table} ${ref.refId}`,
          detail: `entry ${ref.index} commits to a row that is gone`,
        })
      }
    }
    afterRef = last
  }
  return count
}

function commitmentOf(entry: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(entry).toString('utf8')) as { commitment?: unknown }
    return typeof parsed.commitment === 'string' ? parsed.commitment : undefined
  } catch {
    return undefined
  }
}
