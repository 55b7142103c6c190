/**
 * The citizen's data tracker: who read my data, when, which official of which agency, which
 * data and why — newest first, paged — and for each read, a receipt proving that its access
 * record is in the integrity ledger (the entry, its inclusion proof, the cosigned checkpoint and
 * the opening that ties the public commitment to the readable record). The records come through
 * the registries' personal-data door, which decides who may see them (the person, or a data
 * protection officer) and hides covert police reads from the person until their release date;
 * their commitments were logged from the start.
 */
import type { Kysely } from 'kysely'
import {
  buildReceipt,
  latestPublished,
  ledgerIndicesOf,
  type Receipt,
  type TreeReader,
} from '../ledger/index.ts'
import type { Caller, RegistryService } from '../registries/index.ts'
import type { Schema } from '../storage/index.ts'

export interface UsageRecord {
  readonly id: string
  /** When the data was read (ISO 8601). */
  readonly at: string
  readonly official: string
  readonly agency: string
  readonly agencyCode: string
  readonly application: string
  readonly registry: string
  readonly data: string
  readonly purpose: string
  /** Set when the read was covert and has since been released. */
  readonly covertUntil: string | null
  /** The access record's place in the ledger, and its receipt once a checkpoint covers it. */
  readonly ledger: { readonly index: number | null; readonly receipt: Receipt | null }
}

export interface UsageList {
  /** The mandate the list was shown on: `self`, `parent`, `data protection officer`. */
  readonly authorisedAs: string
  readonly offset: number
  readonly limit: number
  readonly total: number
  readonly records: UsageRecord[]
}

export interface Tracker {
  usage(caller: Caller, userId: string, page: { offset: number; limit: number }): Promise<UsageList>
}

export const MAX_USAGE_PAGE = 100

export function createTracker(options: {
  readonly registries: RegistryService
  readonly db: Kysely<Schema>
  readonly tree: TreeReader
}): Tracker {
  const { registries, db, tree } = options
  return {
    async usage(caller, userId, page) {
      const found = await registries.personalDataUsage(caller, userId, '*', page)
      const ids = found.records.map((record) => Number(record.id))
      const indices = await ledgerIndicesOf(db, 'access', ids)
      const published = (await latestPublished(db))?.size ?? 0
      const records: UsageRecord[] = []
      for (const record of found.records) {
        const index = indices.get(Number(record.id)) ?? null
        const receipt =
          index !== null && index < published
            ? await buildReceipt(db, tree, index, record.opening)
            : null
        records.push({
          id: record.id,
          at: record.searchDateTime,
          official: record.readerName,
          agency: record.readerInstitutionName,
          agencyCode: record.readerInstitutionId,
          application: record.readerApplicationName,
          registry: record.registry,
          data: record.refrences.map((reference) => reference.ReferenceID).join(', '),
          purpose: record.purpose,
          covertUntil: record.covertUntil,
          ledger: { index, receipt },
        })
      }
      return {
        authorisedAs: found.authorisedAs,
        offset: page.offset,
        limit: page.limit,
        total: found.total,
        records,
      }
    },
  }
}
