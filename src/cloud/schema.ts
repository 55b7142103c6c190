/**
 * The site's tables, as Kysely types: its generation and fence, what operators did to it, and
 * acts by idempotency key. Declaration merging adds them to storage's `Schema`.
 */
/** The site's one row: the fencing generation and the replication mode (`cloud/`). */
export interface CloudSiteTable {
  id: number
  generation: number
  replication_mode: 'synchronous' | 'degraded'
  mode_changed_at: string
  fenced_at: string | null
}

export interface CloudSiteEventTable {
  at: string
  generation: number
  event: string
  detail: string
}

/** One row per act, by idempotency key: a retried act finds it and is not applied twice. */
export interface CloudActTable {
  act_key: string
  generation: number
  created_at: string
}

export interface CloudTables {
  cloud_site: CloudSiteTable
  cloud_site_events: CloudSiteEventTable
  cloud_acts: CloudActTable
}

declare module '../storage/index.ts' {
  // Declaration merging: the whole database's `Schema` gains these tables.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Schema extends CloudTables {}
}
