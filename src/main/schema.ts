/**
 * The node's own table, as Kysely types: idempotency keys of HTTP acts. Declaration merging adds
 * it to storage's `Schema`.
 */
/** An HTTP act's idempotency key and, once it finished, the answer to replay. */
export interface IdempotentRequestTable {
  identity: string
  idempotency_key: string
  fingerprint: string
  state: 'started' | 'done'
  status: number | null
  content_type: string | null
  body: Uint8Array | null
  created_at: string
}

export interface NodeTables {
  idempotent_requests: IdempotentRequestTable
}

declare module '../storage/index.ts' {
  // Declaration merging: the whole database's `Schema` gains these tables.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Schema extends NodeTables {}
}
