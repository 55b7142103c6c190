/**
 * Operating the exchange: per-message monitoring records for the members involved (ids, sizes,
 * durations, outcome — never a payload, a path or a person), and the anonymised open-data
 * statistics the state publishes about its exchange, as Estonia publishes X-Road's: messages per
 * day, client member and service, only for days at least `delayDays` old, small counts
 * suppressed so that no single person's dealings can be read from them.
 */
import { sql, type Kysely } from 'kysely'
import type { Schema } from '../storage/index.ts'

export const STATISTICS_DELAY_DAYS = 7
const SUPPRESS_BELOW = 5

export interface MonitoringRecord {
  readonly id: number
  readonly messageId: string
  readonly side: string
  readonly client: string
  readonly service: string
  readonly method: string
  readonly status: number
  readonly errorType: string | null
  readonly requestSize: number
  readonly responseSize: number
  readonly startedAt: string
  readonly durationMs: number
}

/** The monitoring records of messages `member` sent or served, oldest first, after `after`. */
export async function monitoringRecords(
  db: Kysely<Schema>,
  member: string,
  after: number,
  limit: number,
): Promise<MonitoringRecord[]> {
  const rows = await db
    .selectFrom('exchange_message_log')
    .select([
      'id',
      'message_id',
      'side',
      'client',
      'service',
      'method',
      'status',
      'error_type',
      'request_size',
      'response_size',
      'started_at',
      'duration_ms',
    ])
    .where('id', '>', after)
    .where((where) =>
      where.or([where('client', 'like', `${member}/%`), where('service', 'like', `${member}/%`)]),
    )
    .orderBy('id')
    .limit(limit)
    .execute()
  return rows.map((row) => ({
    id: Number(row.id),
    messageId: row.message_id,
    side: row.side,
    client: row.client,
    service: row.service,
    method: row.method,
    status: row.status,
    errorType: row.error_type,
    requestSize: Number(row.request_size),
    responseSize: Number(row.response_size),
    startedAt: row.started_at,
    durationMs: row.duration_ms,
  }))
}

export interface StatisticsRow {
  readonly day: string
  readonly clientMember: string
  readonly service: string
  /** A count, or `"<5"` when suppressed. */
  readonly messages: number | string
  readonly failed: number | string
  readonly averageMs: number | null
}

/** Open-data statistics for [from, to), cut at `now` minus the delay; one row per day and pair. */
export async function exchangeStatistics(
  db: Kysely<Schema>,
  range: { readonly from: Date; readonly to: Date; readonly now: Date },
): Promise<{ readonly published: string; readonly until: string; readonly rows: StatisticsRow[] }> {
  const cutoff = new Date(range.now.getTime() - STATISTICS_DELAY_DAYS * 86_400_000)
  cutoff.setUTCHours(0, 0, 0, 0)
  const until = range.to < cutoff ? range.to : cutoff
  const rows = await db
    .selectFrom('exchange_message_log')
    .select([
      sql<string>`substr(started_at, 1, 10)`.as('day'),
      'client',
      'service',
      sql<number>`count(*)`.as('messages'),
      sql<number>`sum(case when status >= 400 then 1 else 0 end)`.as('failed'),
      sql<number>`avg(duration_ms)`.as('average'),
    ])
    // Each message once: the provider's record (the consumer's would count it again).
    .where('side', '=', 'provider')
    .where('started_at', '>=', range.from.toISOString())
    .where('started_at', '<', until.toISOString())
    .groupBy([sql`substr(started_at, 1, 10)`, 'client', 'service'])
    .orderBy(sql`substr(started_at, 1, 10)`)
    .execute()
  // Aggregated by client member: a subsystem can be one small office.
  const merged = new Map<
    string,
    {
      day: string
      clientMember: string
      service: string
      messages: number
      failed: number
      total: number
    }
  >()
  for (const row of rows) {
    const clientMember = row.client.split('/').slice(0, 3).join('/')
    const key = `${row.day}|${clientMember}|${row.service}`
    const entry = merged.get(key) ?? {
      day: row.day,
      clientMember,
      service: row.service,
      messages: 0,
      failed: 0,
      total: 0,
    }
    entry.messages += Number(row.messages)
    entry.failed += Number(row.failed)
    entry.total += Number(row.average) * Number(row.messages)
    merged.set(key, entry)
  }
  const shown = (count: number) => (count < SUPPRESS_BELOW ? `<${SUPPRESS_BELOW}` : count)
  return {
    published: range.now.toISOString(),
    until: until.toISOString(),
    rows: [...merged.values()].map((entry) => ({
      day: entry.day,
      clientMember: entry.clientMember,
      service: entry.service,
      messages: shown(entry.messages),
      failed: entry.failed === 0 ? 0 : shown(entry.failed),
      averageMs: entry.messages < SUPPRESS_BELOW ? null : Math.round(entry.total / entry.messages),
    })),
  }
}
