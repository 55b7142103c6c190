/**
 * The personal-data door (ARCHITECTURE invariant 1). Every read of a personal table goes through
 * `AccessGate.read`, which needs an actor (who, for which agency, through which system) and a
 * purpose (why), and in the same transaction as the read writes one access record per person
 * whose data was returned, plus its ledger-outbox entry. The reply leaves only after that
 * transaction has committed (durable: SQLite `synchronous=FULL`, PostgreSQL commit).
 *
 * Group commit: reads that arrive while a batch is running wait for the next batch, and a batch
 * runs all its reads and writes all their records in one transaction, so concurrent readers
 * share one fsync instead of paying one each.
 *
 * Fail closed (invariant 4): when the outbox holds more entries, or an older entry, than the
 * configured bounds — the ledger is not keeping up or is down — every read is refused.
 *
 * On PostgreSQL the batch switches to the `estate_door` role for its transaction: no other
 * role can read a personal table.
 */
import { randomBytes } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import { parsePersonalCode, type Clock } from '../shared/index.ts'
import { DOOR_ROLE, type Schema, type Store } from '../storage/index.ts'
import { commitValues, ledgerRecorder, outboxBacklog } from '../ledger/index.ts'
import { RegistryError } from './errors.ts'
import type { AccessRecordTable } from './schema.ts'

export interface Actor {
  /** The calling information system, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`. */
  readonly clientId: string
  /** Registry code of the agency the actor acts for. */
  readonly agencyCode: string
  /** Personal code of the official, or of the person acting for themself. */
  readonly personalCode: string
}

export interface Purpose {
  /** Legal basis or case reference (`X-Road-Issue`). */
  readonly reason: string
  /** Covert police queries stay hidden from the person until this date (ISO). */
  readonly covertUntil?: string
}

export interface PersonalRead<T> {
  readonly registry: string
  /** Which data, as the person will see it in their data tracker (`population.person`). */
  readonly data: string
  run(db: Kysely<Schema>): Promise<{ readonly value: T; readonly subjects: readonly string[] }>
}

export interface AccessGateBounds {
  readonly maxOutboxEntries: number
  readonly maxOutboxAgeSeconds: number
}

export interface AccessGateMetrics {
  onBatch(size: number, records: number): void
  onRefused(reason: 'backlog' | 'invalid'): void
}

export interface AccessGate {
  read<T>(actor: Actor, purpose: Purpose, read: PersonalRead<T>): Promise<T>
}

interface Pending {
  readonly actor: Actor
  readonly purpose: Purpose
  readonly read: PersonalRead<unknown>
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

const MAX_BATCH = 256
const MAX_PURPOSE_LENGTH = 500

export function createAccessGate(options: {
  store: Store
  clock: Clock
  bounds: AccessGateBounds
  metrics?: AccessGateMetrics
  /**
   * An embassy's node on its standby: the reads run on the local replica (`store`, read only)
   * and their access records are written at the primary (`recordsAt`); the data is answered
   * only once the records committed there, so nothing is read without its record.
   */
  recordsAt?: Store
}): AccessGate {
  const { store, clock, bounds, metrics } = options
  // SQLite has one writer; PostgreSQL commits batches side by side on the pool.
  const maxConcurrent = store.engine === 'sqlite' ? 1 : 8
  const backlog = createBacklogCheck(clock, bounds)
  const names = new Map<string, { name: string; until: number }>()
  const queue: Pending[] = []
  let running = 0

  const schedule = (): void => {
    while (running < maxConcurrent && queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH)
      running++
      void runBatch(batch).finally(() => {
        running--
        schedule()
      })
    }
  }

  const runBatch = async (batch: Pending[]): Promise<void> => {
    if (options.recordsAt !== undefined) return runSplitBatch(batch, options.recordsAt)
    const outcomes: Array<{ value?: unknown; error?: unknown }> = []
    try {
      let records = 0
      // On PostgreSQL the application's pool switches to the door's role for this transaction.
      await store.db.transaction().execute(async (trx) => {
        if (store.engine === 'postgres')
          await sql`SET LOCAL ROLE ${sql.raw(DOOR_ROLE)}`.execute(trx)
        await backlog.refuseIfBehind(trx)
        const accessRows: AccessRow[] = []
        // Each act in its own savepoint: one that fails (even with an SQL error, which on
        // PostgreSQL would abort the whole transaction) is undone alone, never half-kept, and
        // never takes the others in its batch down with it.
        for (const pending of batch) {
          await sql`SAVEPOINT gate_act`.execute(trx)
          try {
            const { value, subjects } = await pending.read.run(trx)
            await sql`RELEASE SAVEPOINT gate_act`.execute(trx)
            outcomes.push({ value })
            for (const subject of new Set(subjects)) accessRows.push(accessRow(pending, subject))
          } catch (error) {
            await sql`ROLLBACK TO SAVEPOINT gate_act`.execute(trx)
            await sql`RELEASE SAVEPOINT gate_act`.execute(trx)
            outcomes.push({ error })
          }
        }
        records = accessRows.length
        await writeAccessRecords(trx, accessRows, clock.now().toISOString(), names)
      })
      metrics?.onBatch(batch.length, records)
    } catch (error) {
      return refuseBatch(batch, error)
    }
    settleBatch(batch, outcomes)
  }

  // The records did not commit: no read of the batch is answered.
  const refuseBatch = (batch: Pending[], error: unknown): void => {
    if (error instanceof RegistryError && error.code === 'ACCESS_LOG_BACKLOG')
      metrics?.onRefused('backlog')
    for (const pending of batch) pending.reject(error)
  }
  const settleBatch = (
    batch: Pending[],
    outcomes: Array<{ value?: unknown; error?: unknown }>,
  ): void =>
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]
      if ('error' in outcome) pending.reject(outcome.error)
      else pending.resolve(outcome.value)
    })

  // Reads on the replica, each in its own read-only transaction; then every record of the
  // batch in one transaction at the primary; then the answers.
  const runSplitBatch = async (batch: Pending[], primary: Store): Promise<void> => {
    const outcomes: Array<{ value?: unknown; error?: unknown }> = []
    const accessRows: AccessRow[] = []
    for (const pending of batch) {
      try {
        const { value, subjects } = await store.db.transaction().execute(async (trx) => {
          if (store.engine === 'postgres')
            await sql`SET LOCAL ROLE ${sql.raw(DOOR_ROLE)}`.execute(trx)
          return pending.read.run(trx)
        })
        outcomes.push({ value })
        for (const subject of new Set(subjects)) accessRows.push(accessRow(pending, subject))
      } catch (error) {
        outcomes.push({ error })
      }
    }
    try {
      await primary.db.transaction().execute(async (trx) => {
        if (primary.engine === 'postgres')
          await sql`SET LOCAL ROLE ${sql.raw(DOOR_ROLE)}`.execute(trx)
        await backlog.refuseIfBehind(trx)
        await writeAccessRecords(trx, accessRows, clock.now().toISOString(), names)
      })
      metrics?.onBatch(batch.length, accessRows.length)
    } catch (error) {
      return refuseBatch(batch, error)
    }
    settleBatch(batch, outcomes)
  }

  return {
    read<T>(actor: Actor, purpose: Purpose, read: PersonalRead<T>): Promise<T> {
      try {
        assertActor(actor)
        assertPurpose(purpose)
      } catch (error) {
        metrics?.onRefused('invalid')
        return Promise.reject(error)
      }
      return new Promise<T>((resolve, reject) => {
        queue.push({ actor, purpose, read, resolve: resolve as (value: unknown) => void, reject })
        // Wait one turn of the event loop so reads arriving together share a batch.
        if (queue.length === 1) setImmediate(schedule)
      })
    },
  }
}

interface AccessRow {
  readonly subject: string
  readonly actor: Actor
  readonly purpose: Purpose
  readonly registry: string
  readonly data: string
}

function accessRow(pending: Pending, subject: string): AccessRow {
  return {
    subject,
    actor: pending.actor,
    purpose: pending.purpose,
    registry: pending.read.registry,
    data: pending.read.data,
  }
}

/**
 * The fail-closed check, at most every 100 ms: between checks the outbox can only have grown by
 * what this process wrote, which the bounds (thousands of entries, tens of seconds) dwarf.
 */
function createBacklogCheck(clock: Clock, bounds: AccessGateBounds) {
  let checkedAt = -Infinity
  return {
    async refuseIfBehind(db: Transaction<Schema>): Promise<void> {
      const now = clock.now().getTime()
      if (now - checkedAt < 100) return
      await refuseOnBacklog(db, clock, bounds)
      checkedAt = now
    },
  }
}

async function refuseOnBacklog(
  db: Transaction<Schema>,
  clock: Clock,
  bounds: AccessGateBounds,
): Promise<void> {
  const backlog = await outboxBacklog(db)
  if (backlog === undefined) return
  const entries = backlog.entries
  const ageSeconds = (clock.now().getTime() - Date.parse(backlog.oldest)) / 1000
  if (entries > bounds.maxOutboxEntries || ageSeconds > bounds.maxOutboxAgeSeconds) {
    throw new RegistryError(
      'ACCESS_LOG_BACKLOG',
      'personal data cannot be read now: access records are not reaching the ledger',
      { outboxEntries: entries, oldestSeconds: Math.round(ageSeconds) },
    )
  }
}

async function writeAccessRecords(
  db: Transaction<Schema>,
  rows: readonly AccessRow[],
  recordedAt: string,
  cache: Map<string, { name: string; until: number }>,
): Promise<void> {
  if (rows.length === 0) return
  const names = await actorNames(db, rows, cache)
  for (let start = 0; start < rows.length; start += 500) {
    const chunk = rows.slice(start, start + 500).map((row) => ({
      recorded_at: recordedAt,
      subject_code: row.subject,
      actor_code: row.actor.personalCode,
      actor_name: names.get(row.actor.personalCode) ?? '',
      client_id: row.actor.clientId,
      agency_code: row.actor.agencyCode,
      registry: row.registry,
      data: row.data,
      purpose: row.purpose.reason,
      covert_until: row.purpose.covertUntil ?? null,
      salt: randomBytes(16),
    }))
    const ids = await db.insertInto('access_records').values(chunk).returning('id').execute()
    await ledgerRecorder.record(
      db,
      chunk.map((record, index) => ({
        kind: 'access',
        refId: Number(ids[index].id),
        recordedAt,
        entry: Buffer.from(
          JSON.stringify({
            kind: 'access',
            commitment: commitAccessRecord(record),
            at: recordedAt,
          }),
        ),
      })),
    )
  }
}

/**
 * The public log holds only this salted hash of the access record, never whose data was read;
 * the readable record stays in the database, and the hash ties the two together for an audit.
 */
export function commitAccessRecord(record: Omit<AccessRecordTable, 'id' | 'actor_name'>): string {
  return commitValues(record.salt, accessRecordValues(record))
}

/** The values an access record's commitment covers, in order (a receipt's opening). */
export function accessRecordValues(
  record: Omit<AccessRecordTable, 'id' | 'actor_name' | 'salt'>,
): unknown[] {
  return [
    record.recorded_at,
    record.subject_code,
    record.actor_code,
    record.client_id,
    record.agency_code,
    record.registry,
    record.data,
    record.purpose,
    record.covert_until,
  ]
}

/** Officials' names for the records, cached for a minute: a handful of officials read a lot. */
async function actorNames(
  db: Transaction<Schema>,
  rows: readonly AccessRow[],
  cache: Map<string, { name: string; until: number }>,
): Promise<Map<string, string>> {
  const now = Date.now()
  const codes = [...new Set(rows.map((row) => row.actor.personalCode))]
  const missing = codes.filter((code) => (cache.get(code)?.until ?? 0) < now)
  if (missing.length > 0) {
    if (cache.size > 10_000) cache.clear()
    const found = await db
      .selectFrom('persons')
      .select(['personal_code', 'first_name', 'last_name'])
      .where('personal_code', 'in', missing)
      .execute()
    for (const person of found) {
      const name = `${person.first_name} ${person.last_name}`
      cache.set(person.personal_code, { name, until: now + 60_000 })
    }
  }
  return new Map(codes.map((code) => [code, cache.get(code)?.name ?? '']))
}

function assertActor(actor: Actor): void {
  if (
    typeof actor?.clientId !== 'string' ||
    actor.clientId === '' ||
    typeof actor.agencyCode !== 'string'
  ) {
    throw new RegistryError(
      'ACCESS_ACTOR_REQUIRED',
      'a personal-data read needs the calling system and agency',
    )
  }
  try {
    parsePersonalCode(actor.personalCode, 'X-Road-UserId')
  } catch {
    throw new RegistryError(
      'ACCESS_ACTOR_REQUIRED',
      'a personal-data read needs the acting person: X-Road-UserId with a valid personal code (EE…)',
      { field: 'X-Road-UserId' },
    )
  }
}

function assertPurpose(purpose: Purpose): void {
  const reason = purpose?.reason
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_PURPOSE_LENGTH) {
    throw new RegistryError(
      'ACCESS_PURPOSE_REQUIRED',
      `a personal-data read needs a purpose (X-Road-Issue, 1-${MAX_PURPOSE_LENGTH} characters)`,
      { field: 'X-Road-Issue' },
    )
  }
}
