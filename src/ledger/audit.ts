/**
 * The log's own audit: recomputes the whole tree from the stored entries and checks everything
 * derived from them — every leaf hash, every stored tile hash, every checkpoint's root, the
 * log's signature on every checkpoint and the witnesses' cosignatures on every published one.
 * It streams the entries in pages, so memory stays small at any log size. Findings name the
 * index or size at fault; an empty list means the stored log is what was signed.
 */
import type { Kysely } from 'kysely'
import type { Schema } from '../storage/index.ts'
import { parseCheckpoint } from './checkpoint.ts'
import { createCompactRange } from './compact-range.ts'
import { verifyCosignatures, type CosignerVerifier } from './cosignature.ts'
import { EStateError } from '../shared/index.ts'
import { hashLeaf } from './merkle-hash.ts'
import { rootHash } from './merkle.ts'
import { openNote, type NoteVerifier } from './note.ts'
import { TILE_WIDTH } from './tiles.ts'

export interface AuditFinding {
  readonly code:
    | 'ENTRY_HASH_MISMATCH'
    | 'ENTRY_MISSING'
    | 'TILE_HASH_MISMATCH'
    | 'CHECKPOINT_ROOT_MISMATCH'
    | 'CHECKPOINT_SIGNATURE_INVALID'
    | 'CHECKPOINT_COSIGNATURE_INVALID'
    | 'CHECKPOINT_BEYOND_LOG'
    | 'RECORD_NOT_LOGGED'
    | 'RECORD_MISMATCH'
    | 'LOGGED_RECORD_MISSING'
  readonly detail: string
  /** Where: `entry 17`, `checkpoint 256`, `access_records 42`, … */
  readonly at: string
}

export interface LogAuditReport {
  readonly entries: number
  readonly checkpoints: number
  readonly published: number
  readonly tileHashes: number
  readonly findings: AuditFinding[]
}

export async function auditLog(
  db: Kysely<Schema>,
  keys: { readonly log: NoteVerifier; readonly witnesses: readonly CosignerVerifier[] },
): Promise<LogAuditReport> {
  const findings: AuditFinding[] = []
  const checkpoints = await db
    .selectFrom('ledger_checkpoints')
    .select(['size', 'root_hash', 'note', 'cosigned_note'])
    .orderBy('size')
    .execute()
  const stored = new Map<string, Buffer>()
  for (const row of await db.selectFrom('ledger_tile_hashes').selectAll().execute())
    stored.set(`${row.level}/${row.idx}`, Buffer.from(row.hash))
  const checked = new Set<string>()

  // Tile builders: the hashes at height 8·L of the current, unfinished tile at each level.
  const levels: Buffer[][] = [[]]
  const addAt = (level: number, hash: Buffer, index: number) => {
    levels[level] ??= []
    levels[level].push(hash)
    if (levels[level].length < TILE_WIDTH) return
    const node = Math.floor(index / TILE_WIDTH)
    const tileRoot = rootHash(levels[level])
    levels[level] = []
    const key = `${level + 1}/${node}`
    checked.add(key)
    const have = stored.get(key)
    if (have === undefined || !have.equals(tileRoot)) {
      findings.push({
        code: 'TILE_HASH_MISMATCH',
        at: `tile hash ${key}`,
        detail: have === undefined ? 'missing' : 'differs from the hash of the entries below it',
      })
    }
    addAt(level + 1, tileRoot, node)
  }

  const range = createCompactRange()
  let next = 0
  let checkpoint = 0
  const checkRootsUpTo = (size: number) => {
    while (checkpoint < checkpoints.length && Number(checkpoints[checkpoint].size) <= size) {
      const row = checkpoints[checkpoint]
      if (Number(row.size) === range.size) checkCheckpoint(row, range.root(), keys, findings)
      checkpoint++
    }
  }
  checkRootsUpTo(0)
  for (;;) {
    const page = await db
      .selectFrom('ledger_entries')
      .select(['idx', 'entry', 'leaf_hash'])
      .where('idx', '>=', next)
      .orderBy('idx')
      .limit(10_000)
      .execute()
    if (page.length === 0) break
    for (const row of page) {
      const index = Number(row.idx)
      if (index !== next) {
        findings.push({ code: 'ENTRY_MISSING', at: `entry ${next}`, detail: `next is ${index}` })
        return {
          entries: next,
          checkpoints: checkpoints.length,
          published: 0,
          tileHashes: stored.size,
          findings,
        }
      }
      const leaf = hashLeaf(row.entry)
      if (!leaf.equals(Buffer.from(row.leaf_hash))) {
        findings.push({
          code: 'ENTRY_HASH_MISMATCH',
          at: `entry ${index}`,
          detail: 'the stored entry does not hash to its stored leaf hash',
        })
      }
      range.append(leaf)
      addAt(0, leaf, index)
      next++
      checkRootsUpTo(next)
    }
  }
  for (const key of stored.keys()) {
    if (!checked.has(key)) {
      findings.push({
        code: 'TILE_HASH_MISMATCH',
        at: `tile hash ${key}`,
        detail: 'beyond the entries',
      })
    }
  }
  for (; checkpoint < checkpoints.length; checkpoint++) {
    findings.push({
      code: 'CHECKPOINT_BEYOND_LOG',
      at: `checkpoint ${checkpoints[checkpoint].size}`,
      detail: `signed for more entries than the ${next} stored`,
    })
  }
  return {
    entries: next,
    checkpoints: checkpoints.length,
    published: checkpoints.filter((row) => row.cosigned_note !== null).length,
    tileHashes: stored.size,
    findings,
  }
}

function checkCheckpoint(
  row: { size: number; root_hash: Uint8Array; note: string; cosigned_note: string | null },
  root: Buffer,
  keys: { readonly log: NoteVerifier; readonly witnesses: readonly CosignerVerifier[] },
  findings: AuditFinding[],
): void {
  const at = `checkpoint ${row.size}`
  if (!root.equals(Buffer.from(row.root_hash))) {
    findings.push({ code: 'CHECKPOINT_ROOT_MISMATCH', at, detail: 'the entries give another root' })
  }
  for (const note of [row.note, row.cosigned_note]) {
    if (note === null) continue
    try {
      const body = parseCheckpoint(openNote(note, [keys.log]).text)
      if (body.size !== Number(row.size) || !body.rootHash.equals(root)) {
        findings.push({
          code: 'CHECKPOINT_ROOT_MISMATCH',
          at,
          detail: 'the signed note names another tree',
        })
      }
    } catch (error) {
      findings.push({ code: 'CHECKPOINT_SIGNATURE_INVALID', at, detail: message(error) })
    }
  }
  if (row.cosigned_note !== null) {
    try {
      const names = new Set(
        verifyCosignatures(row.cosigned_note, keys.witnesses).map((c) => c.name),
      )
      if (names.size < keys.witnesses.length) {
        findings.push({
          code: 'CHECKPOINT_COSIGNATURE_INVALID',
          at,
          detail: `cosigned by ${names.size} of ${keys.witnesses.length} witnesses`,
        })
      }
    } catch (error) {
      findings.push({ code: 'CHECKPOINT_COSIGNATURE_INVALID', at, detail: message(error) })
    }
  }
}

function message(error: unknown): string {
  return error instanceof EStateError || error instanceof Error ? error.message : String(error)
}
