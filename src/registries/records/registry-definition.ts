import type { TObject } from 'typebox'
import type { Kysely } from 'kysely'
import type { Envelope } from '../../crypto/index.ts'
import type { Schema } from '../../storage/index.ts'
import type { RegistryName } from '../country/profile.ts'

export type FieldKind = 'personalCode' | 'registryCode' | 'date' | 'text' | 'code'

export type WritableKind = 'email' | 'phone' | 'date' | 'personalCode'

export interface SearchCriteria {
  /** Exact matches, field → value (from `query.<field>` or a read body). */
  readonly equals: Readonly<Record<string, string>>
  /** Case-sensitive prefix match on one field (`search` + `filter`). */
  readonly prefix?: { readonly field: string; readonly value: string }
  readonly descending: boolean
  readonly offset: number
  readonly limit: number
  /** False when only the records matter (read, exists): skips the count query. */
  readonly countTotal?: boolean
}

export interface RegistryContext {
  readonly db: Kysely<Schema>
  readonly envelope: Envelope
}

/**
 * One base registry as the Digital Registries Data API sees it: its record shape, the fields a
 * caller may search by, and how records are read. The API layer stays generic over these.
 */
export interface RegistryDefinition<R extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: RegistryName
  readonly version: '1.0'
  readonly title: string
  /** The field that identifies a record (`readValue/{uuid}` and `{ID}/delete`). */
  readonly idField: string
  /** Searchable fields and how their values are validated. */
  readonly fields: Readonly<Record<string, FieldKind>>
  /** The field `search` applies to when `filter` is absent. */
  readonly defaultSearchField: string
  readonly recordSchema: TObject
  /** Whether records hold personal data (then every read goes through the access gate). */
  readonly personal: boolean
  /** Which data, as the data tracker shows it. */
  readonly dataLabel: string
  /**
   * What the keeper may change through the API, and where it is stored. Records are created by
   * state acts (a birth, a registration) and never deleted, so only updates are offered.
   */
  readonly writable?: {
    readonly table: 'persons' | 'vehicles'
    readonly key: string
    readonly fields: Readonly<
      Record<string, { readonly column: string; readonly kind: WritableKind }>
    >
  }
  search(
    context: RegistryContext,
    criteria: SearchCriteria,
  ): Promise<{ records: R[]; total: number }>
  /** Personal codes whose data a record shows (for access records). */
  subjectsOf(record: R): string[]
  /**
   * Whose record it is, for self-service reads (default: every subject). A population record
   * shows relatives' codes, but only its own person may read it through the portal.
   */
  ownersOf?(record: R): string[]
}
