/**
 * The base registries as the Digital Registries Data API serves them: list, read, exists,
 * readValue and myPersonalDataUsage, generic over `REGISTRIES`. Authorisation is deny by
 * default: a member reads a registry only if its agency keeps it or has been granted it; a
 * personal record only through the access gate, as an official of the calling agency or as the
 * person the record is about.
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Envelope } from '../crypto/index.ts'
import { assertRegistryCode, parsePersonalCode, type Clock } from '../shared/index.ts'
import type { Schema, Store } from '../storage/index.ts'
import {
  accessRecordValues,
  type AccessGate,
  type Actor,
  type PersonalRead,
} from './access-gate.ts'
import { REGISTRY_NAMES, type RegistryName } from './country/profile.ts'
import { RegistryError } from './errors.ts'
import type { RegistryChangeTable } from './schema.ts'
import {
  REGISTRIES,
  type RegistryDefinition,
  type SearchCriteria,
  type WritableKind,
} from './records/index.ts'
import { commitValues, ledgerRecorder } from '../ledger/index.ts'

export const MAX_PAGE_SIZE = 100
const MAX_OFFSET = 10_000
const MIN_PERSONAL_PREFIX = 2

/** Who calls: the authenticated member (and subsystem), and what its request headers said. */
export interface Caller {
  readonly clientId: string
  readonly agencyCode: string
  /** `X-Road-UserId` without the country prefix, if given. */
  readonly userCode?: string
  /** `X-Road-Issue`, if given. */
  readonly issue?: string
  /**
   * A covert read (police surveillance): hidden from the person's data tracker until this date
   * (ISO 8601), though logged from the start. Only a police officer may ask for it.
   */
  readonly covertUntil?: string
  /** What the calling agency keeps and what it has been granted to read (deny by default). */
  readonly grants: { readonly keeps: readonly string[]; readonly reads: readonly string[] }
}

export interface ListQuery {
  readonly search?: string
  readonly filter?: string
  readonly ordering?: string
  readonly page?: number
  readonly pageSize?: number
  readonly equals: Readonly<Record<string, string>>
}

export interface ListResult {
  readonly count: number
  readonly page: number
  readonly pageSize: number
  readonly results: Record<string, unknown>[]
}

export interface PersonalDataUsage {
  id: string
  readerId: string
  readerInitials: string
  readerInstitutionId: string
  readerInstitutionName: string
  readerApplicationName: string
  searchDateTime: string
  refrences: Array<{ ReferenceID: string }>
  purpose: string
  registry: string
  /** The official's full name (the GovStack shape has initials only). */
  readerName: string
  /** Until when the read was hidden from the person (covert police queries), if it was. */
  covertUntil: string | null
  /** The salt and values behind the record's ledger commitment (see `commitAccessRecord`). */
  opening: { salt: string; values: unknown[] }
}

export interface UsagePage {
  readonly records: PersonalDataUsage[]
  /** All matching records, for paging. */
  readonly total: number
  /** The mandate the answer was given on: `self`, `parent`, `data protection officer`. */
  readonly authorisedAs: string
}

/**
 * What a person may act for, as each register keeps it: the population register knows the
 * minors they are a parent of, the business register the boards they sit on.
 */
export interface Mandates {
  readonly children?: { personalCode: string; name: string }[]
  readonly companies?: { registryCode: string; name: string }[]
}

/** The registers that keep mandates. */
export const MANDATE_REGISTRIES = ['population', 'business'] as const

export interface RegistryService {
  list(caller: Caller, registry: string, version: string, query: ListQuery): Promise<ListResult>
  read(
    caller: Caller,
    registry: string,
    version: string,
    content: Record<string, unknown>,
  ): Promise<Record<string, unknown>>
  exists(
    caller: Caller,
    registry: string,
    version: string,
    content: Record<string, unknown>,
  ): Promise<boolean>
  /**
   * Changes the keeper-writable fields of the records matching `query` (one, or up to 100 with
   * `many`), as an official of the keeping agency, through the gate; returns the new records.
   */
  update(
    caller: Caller,
    registry: string,
    version: string,
    query: Record<string, unknown>,
    write: Record<string, unknown>,
    many: boolean,
  ): Promise<Record<string, unknown>[]>
  readValue(
    caller: Caller,
    registry: string,
    version: string,
    id: string,
    field: string,
  ): Promise<unknown>
  /** Reads of one person's data, newest first: only for the person or a data protection officer. */
  personalDataUsage(
    caller: Caller,
    userId: string,
    registry: string,
    page?: { offset: number; limit: number },
  ): Promise<UsagePage>
  /** What the person may act for: their minor children, the companies whose board they are on. */
  /** The acting person's own mandates in one register (self-service only). */
  mandatesOf(caller: Caller, registry: (typeof MANDATE_REGISTRIES)[number]): Promise<Mandates>
  registryList(): Array<{
    name: RegistryName
    version: string
    title: string
    personal: boolean
    fields: string[]
  }>
}

export function createRegistryService(options: {
  store: Store
  gate: AccessGate
  envelope: Envelope
  clock: Clock
  instance: string
}): RegistryService {
  const { store, gate, envelope, clock } = options

  const runSearch = async (
    caller: Caller,
    definition: RegistryDefinition,
    criteria: SearchCriteria,
  ) => {
    if (!definition.personal) return definition.search({ db: store.db, envelope }, criteria)
    const actor = actorOf(caller)
    const read: PersonalRead<{ records: Record<string, unknown>[]; total: number }> = {
      registry: definition.name,
      data: definition.dataLabel,
      async run(db) {
        const result = await definition.search({ db, envelope }, criteria)
        const subjects = result.records.flatMap((record) => definition.subjectsOf(record))
        const owners = result.records.flatMap((record) =>
          (definition.ownersOf ?? definition.subjectsOf)(record),
        )
        await authoriseSubjects(db, caller, actor, owners)
        if (caller.covertUntil !== undefined && !(await isOfficial(db, actor, 'police officer'))) {
          throw new RegistryError('ACCESS_DENIED', 'only a police officer may read covertly', {
            mandate: 'police officer',
          })
        }
        return { value: result, subjects }
      },
    }
    return gate.read(
      actor,
      {
        reason: caller.issue ?? '',
        ...(caller.covertUntil === undefined ? {} : { covertUntil: caller.covertUntil }),
      },
      read,
    )
  }

  const resolve = async (
    caller: Caller,
    registry: string,
    version: string,
  ): Promise<RegistryDefinition> => {
    const definition = registryOf(registry, version)
    authoriseRegistry(caller, definition.name)
    return definition
  }

  const findOne = async (
    caller: Caller,
    registry: string,
    version: string,
    content: Record<string, unknown>,
  ) => {
    const definition = await resolve(caller, registry, version)
    const equals = validateEquals(definition, content, 'query.content')
    if (Object.keys(equals).length === 0) {
      throw new RegistryError(
        'REGISTRY_QUERY_TOO_BROAD',
        'query.content must name at least one field',
        { field: 'query.content' },
      )
    }
    const { records } = await runSearch(caller, definition, oneRecord(equals))
    return records[0]
  }

  return {
    async list(caller, registry, version, query) {
      const definition = await resolve(caller, registry, version)
      const pageSize = query.pageSize ?? 20
      const page = query.page ?? 1
      if ((page - 1) * pageSize > MAX_OFFSET) {
        throw new RegistryError(
          'REGISTRY_QUERY_TOO_BROAD',
          `results past ${MAX_OFFSET} are not paged; narrow the query`,
          { field: 'page' },
        )
      }
      const criteria: SearchCriteria = {
        equals: validateEquals(definition, query.equals, 'query'),
        prefix: prefixOf(definition, query),
        descending: query.ordering === 'descending' || query.ordering === 'desc',
        offset: (page - 1) * pageSize,
        limit: pageSize,
      }
      if (
        definition.personal &&
        Object.keys(criteria.equals).length === 0 &&
        criteria.prefix === undefined
      ) {
        throw new RegistryError(
          'REGISTRY_QUERY_TOO_BROAD',
          `listing the ${definition.name} register needs a search or a query.<field> (data minimisation)`,
          { field: 'search' },
        )
      }
      const { records, total } = await runSearch(caller, definition, criteria)
      return { count: total, page, pageSize, results: records }
    },
    async read(caller, registry, version, content) {
      const record = await findOne(caller, registry, version, content)
      if (record === undefined) throw new RegistryError('RECORD_NOT_FOUND', 'no record found')
      return record
    },
    async exists(caller, registry, version, content) {
      return (await findOne(caller, registry, version, content)) !== undefined
    },
    async update(caller, registry, version, query, write, many) {
      const definition = await resolve(caller, registry, version)
      const writable = definition.writable
      if (writable === undefined) {
        throw new RegistryError(
          'METHOD_NOT_ALLOWED',
          `the ${definition.name} register is not changed through this API: its records change by state acts`,
          { registry: definition.name },
        )
      }
      authoriseKeeper(caller, definition.name)
      const equals = validateEquals(definition, query, 'query.content')
      if (Object.keys(equals).length === 0) {
        throw new RegistryError(
          'REGISTRY_QUERY_TOO_BROAD',
          'query.content must name at least one field',
          {
            field: 'query.content',
          },
        )
      }
      const changes = validateWrite(writable.fields, write)
      const actor = actorOf(caller)
      const reason = caller.issue ?? ''
      const fields = Object.keys(changes)
      return gate.read(
        actor,
        { reason },
        {
          registry: definition.name,
          data: `${definition.dataLabel} (changed: ${fields.join(', ')})`,
          async run(db) {
            if (!(await isOfficial(db, actor, ['registrar', 'clerk']))) {
              throw new RegistryError(
                'ACCESS_DENIED',
                'only a registrar or clerk of the keeping agency may change its register',
                {
                  field: 'X-Road-UserId',
                },
              )
            }
            const criteria = {
              equals,
              descending: false,
              offset: 0,
              limit: many ? 100 : 2,
              countTotal: false,
            }
            const found = await definition.search({ db, envelope }, criteria)
            if (found.records.length === 0)
              throw new RegistryError('RECORD_NOT_FOUND', 'no record found')
            if (!many && found.records.length > 1) {
              throw new RegistryError(
                'REGISTRY_QUERY_AMBIGUOUS',
                'query.content matches more than one record; use updateEntries',
                {
                  field: 'query.content',
                },
              )
            }
            const ids = found.records.map((record) => String(record[definition.idField]))
            const columns = Object.fromEntries(
              fields.map((field) => [writable.fields[field].column, changes[field]]),
            )
            const recordedAt = clock.now().toISOString()
            for (const id of ids) {
              await db
                .updateTable(writable.table)
                .set(columns as never)
                .where(writable.key as never, '=', id as never)
                .execute()
              await recordChange(db, {
                registry: definition.name,
                id,
                actor,
                reason,
                change: changes,
                recordedAt,
              })
            }
            const updated = await definition.search(
              { db, envelope },
              { ...criteria, equals: { [definition.idField]: ids[0] }, limit: 1 },
            )
            const records =
              ids.length === 1
                ? updated.records
                : (
                    await Promise.all(
                      ids.map((id) =>
                        definition.search(
                          { db, envelope },
                          { ...criteria, equals: { [definition.idField]: id }, limit: 1 },
                        ),
                      ),
                    )
                  ).flatMap((result) => result.records)
            return {
              value: records,
              subjects: records.flatMap((record) => definition.subjectsOf(record)),
            }
          },
        },
      )
    },
    async readValue(caller, registry, version, id, field) {
      const definition = await resolve(caller, registry, version)
      if (!Object.hasOwn(definition.recordSchema.properties, field)) {
        throw new RegistryError(
          'REGISTRY_FIELD_UNKNOWN',
          `the ${definition.name} register has no field "${field}"`,
          { field },
        )
      }
      const equals = validateEquals(definition, { [definition.idField]: id }, 'uuid')
      const { records } = await runSearch(caller, definition, oneRecord(equals))
      if (records[0] === undefined) throw new RegistryError('RECORD_NOT_FOUND', 'no record found')
      return records[0][field]
    },
    async personalDataUsage(caller, userId, registry, page = { offset: 0, limit: 1000 }) {
      const subject = personalCodeOf(userId, 'userId')
      if (registry !== '*') registryOf(registry, '1.0')
      const actor = actorOf(caller)
      // The person looking at their own tracker needs no stated purpose; anyone else does.
      const reason =
        caller.issue ??
        (actor.personalCode === subject
          ? SELF_ACCESS
          : selfService(caller)
            ? REPRESENTATIVE_ACCESS
            : '')
      return gate.read(
        actor,
        { reason },
        {
          registry: 'tracker',
          data: 'tracker.data-usage',
          async run(db) {
            const self = actor.personalCode === subject && selfService(caller)
            // The mandate the decision rests on: the person, a parent of a minor, or a DPO.
            let authorisedAs: string
            if (self) authorisedAs = 'self'
            else if (
              selfService(caller) &&
              (await isParentOfMinor(db, actor.personalCode, subject, clock))
            )
              authorisedAs = 'parent'
            else if (await isOfficial(db, actor, 'data protection officer')) {
              // An official looking into someone's tracker states why (X-Road-Issue).
              if (caller.issue === undefined)
                throw new RegistryError(
                  'ACCESS_PURPOSE_REQUIRED',
                  'state the purpose of this read in X-Road-Issue',
                  { field: 'X-Road-Issue' },
                )
              authorisedAs = 'data protection officer'
            } else {
              throw new RegistryError(
                'ACCESS_DENIED',
                "only the person, a parent of a minor, or a data protection officer may see who read a person's data",
                {
                  mandate: 'self, parent or data protection officer',
                },
              )
            }
            let query = db
              .selectFrom('access_records')
              .where('access_records.subject_code', '=', subject)
              // The person's own looks at their tracker are logged, not listed back to them.
              .where((eb) =>
                eb.or([
                  eb('access_records.registry', '!=', 'tracker'),
                  eb('access_records.actor_code', '!=', subject),
                ]),
              )
            if (registry !== '*') query = query.where('access_records.registry', '=', registry)
            // Covert police queries stay hidden until their release date from everyone but a
            // data protection officer: the person, and a parent acting for them.
            if (authorisedAs !== 'data protection officer') {
              const now = clock.now().toISOString()
              query = query.where((eb) =>
                eb.or([
                  eb('access_records.covert_until', 'is', null),
                  eb('access_records.covert_until', '<=', now),
                ]),
              )
            }
            const counted = await query
              .select((eb) => eb.fn.countAll().as('total'))
              .executeTakeFirst()
            const rows = await query
              .leftJoin('agencies', 'agencies.registry_code', 'access_records.agency_code')
              .selectAll('access_records')
              .select('agencies.name as agency_name')
              .orderBy('access_records.id', 'desc')
              .limit(page.limit)
              .offset(page.offset)
              .execute()
            const records = rows.map((row): PersonalDataUsage => ({
              id: String(row.id),
              readerId: `${options.instance}${row.actor_code}`,
              readerInitials: initials(row.actor_name),
              readerInstitutionId: `${options.instance}${row.agency_code}`,
              readerInstitutionName: row.agency_name ?? row.agency_code,
              readerApplicationName: row.client_id,
              searchDateTime: row.recorded_at,
              refrences: [{ ReferenceID: row.data }],
              purpose: row.purpose,
              registry: row.registry,
              readerName: row.actor_name,
              covertUntil: row.covert_until,
              opening: {
                salt: Buffer.from(row.salt).toString('hex'),
                values: accessRecordValues(row),
              },
            }))
            return {
              value: { records, total: Number(counted?.total ?? 0), authorisedAs },
              subjects: [subject],
            }
          },
        },
      )
    },
    async mandatesOf(caller, registry) {
      const actor = actorOf(caller)
      if (!selfService(caller))
        throw new RegistryError('ACCESS_DENIED', 'mandates are shown to the person themself', {})
      const reason = { reason: 'the person looks up what they may act for (their mandates)' }
      if (registry === 'business')
        return gate.read(actor, reason, {
          registry: 'business',
          data: 'business.mandates',
          async run(db) {
            const companies = await db
              .selectFrom('company_people')
              .innerJoin('companies', 'companies.registry_code', 'company_people.registry_code')
              .select(['companies.registry_code', 'companies.name'])
              .where('company_people.personal_code', '=', actor.personalCode)
              .where('company_people.role', '=', 'board member')
              .orderBy('companies.registry_code')
              .execute()
            return {
              value: {
                companies: companies.map((company) => ({
                  registryCode: company.registry_code,
                  name: company.name,
                })),
              },
              subjects: [actor.personalCode],
            }
          },
        })
      return gate.read(actor, reason, {
        registry: 'population',
        data: 'population.mandates',
        async run(db) {
          const today = clock.now()
          const adulthood = new Date(
            Date.UTC(today.getUTCFullYear() - 18, today.getUTCMonth(), today.getUTCDate()),
          )
            .toISOString()
            .slice(0, 10)
          const children = await db
            .selectFrom('persons')
            .select(['personal_code', 'first_name', 'last_name'])
            .where('status', '=', 'alive')
            .where('birth_date', '>', adulthood)
            .where((eb) =>
              eb.or([
                eb('mother_code', '=', actor.personalCode),
                eb('father_code', '=', actor.personalCode),
              ]),
            )
            .orderBy('personal_code')
            .execute()
          return {
            value: {
              children: children.map((child) => ({
                personalCode: child.personal_code,
                name: `${child.first_name} ${child.last_name}`,
              })),
            },
            subjects: [actor.personalCode, ...children.map((child) => child.personal_code)],
          }
        },
      })
    },
    registryList() {
      return REGISTRY_NAMES.map((name) => {
        const definition = REGISTRIES[name]
        return {
          name,
          version: definition.version,
          title: definition.title,
          personal: definition.personal,
          fields: Object.keys(definition.fields),
        }
      })
    },
  }
}

const SELF_ACCESS = 'the data subject views their own data (GDPR Art. 15)'
const REPRESENTATIVE_ACCESS = "a parent views their minor child's data as its legal representative"

/** Whether `parent` is recorded as a parent of `child`, who is alive and under 18 today. */
async function isParentOfMinor(
  db: Kysely<Schema>,
  parent: string,
  child: string,
  clock: Clock,
): Promise<boolean> {
  const today = clock.now()
  const adulthood = new Date(
    Date.UTC(today.getUTCFullYear() - 18, today.getUTCMonth(), today.getUTCDate()),
  )
  const row = await db
    .selectFrom('persons')
    .select('personal_code')
    .where('personal_code', '=', child)
    .where('status', '=', 'alive')
    .where('birth_date', '>', adulthood.toISOString().slice(0, 10))
    .where((eb) => eb.or([eb('mother_code', '=', parent), eb('father_code', '=', parent)]))
    .executeTakeFirst()
  return row !== undefined
}

/** Criteria for the first record matching exact values, without counting the rest. */
function oneRecord(equals: Record<string, string>): SearchCriteria {
  return { equals, descending: false, offset: 0, limit: 1, countTotal: false }
}

function registryOf(registry: string, version: string): RegistryDefinition {
  const definition = (REGISTRIES as Record<string, RegistryDefinition | undefined>)[registry]
  if (definition === undefined || !Object.hasOwn(REGISTRIES, registry)) {
    throw new RegistryError('REGISTRY_UNKNOWN', `no registry named "${registry}"`, {
      field: 'registryName',
      known: REGISTRY_NAMES,
    })
  }
  if (version !== definition.version) {
    throw new RegistryError(
      'REGISTRY_VERSION_UNKNOWN',
      `the ${registry} register has no version "${version}"`,
      {
        field: 'versionNumber',
        known: [definition.version],
      },
    )
  }
  return definition
}

/** Whether the calling system is one where residents act for themselves (the state portal). */
function selfService(caller: Caller): boolean {
  return caller.grants.reads.includes('self-service')
}

function authoriseRegistry(caller: Caller, registry: RegistryName): void {
  if (!caller.grants.keeps.includes(registry) && !caller.grants.reads.includes(registry)) {
    throw new RegistryError(
      'ACCESS_DENIED',
      `${caller.clientId} has no right to read the ${registry} register`,
      { registry },
    )
  }
}

/** An actor who is not an official of the calling agency may only see records about themself. */
/** An official of the calling agency reads; anyone else only their own records, through self-service. */
async function authoriseSubjects(
  db: Kysely<Schema>,
  caller: Caller,
  actor: Actor,
  owners: readonly string[],
): Promise<void> {
  if (await isOfficial(db, actor)) return
  if (selfService(caller) && owners.every((owner) => owner === actor.personalCode)) return
  throw new RegistryError(
    'ACCESS_DENIED',
    'the acting person is not an official of the calling agency and the data is not theirs',
    {
      field: 'X-Road-UserId',
    },
  )
}

async function isOfficial(
  db: Kysely<Schema>,
  actor: Actor,
  roles?: string | readonly string[],
): Promise<boolean> {
  let query = db
    .selectFrom('officials')
    .select('role')
    .where('personal_code', '=', actor.personalCode)
    .where('agency_code', '=', actor.agencyCode)
  if (roles !== undefined)
    query = query.where('role', 'in', typeof roles === 'string' ? [roles] : [...roles])
  return (await query.executeTakeFirst()) !== undefined
}

/** Only the agency that keeps a register changes it. */
function authoriseKeeper(caller: Caller, registry: RegistryName): void {
  if (!caller.grants.keeps.includes(registry)) {
    throw new RegistryError(
      'ACCESS_DENIED',
      `only the keeper of the ${registry} register may change it`,
      { registry },
    )
  }
}

/** The stored change and its ledger-outbox commitment, in the caller's transaction. */
async function recordChange(
  db: Kysely<Schema>,
  change: {
    registry: string
    id: string
    actor: Actor
    reason: string
    change: Record<string, string | null>
    recordedAt: string
  },
): Promise<void> {
  const row = {
    recorded_at: change.recordedAt,
    registry: change.registry,
    record_id: change.id,
    agency_code: change.actor.agencyCode,
    actor_code: change.actor.personalCode,
    client_id: change.actor.clientId,
    purpose: change.reason,
    change: JSON.stringify(change.change),
    salt: randomBytes(16),
  }
  const inserted = await db
    .insertInto('registry_changes')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow()
  const commitment = commitRegistryChange(row)
  await ledgerRecorder.record(db, [
    {
      kind: 'registry-change',
      refId: Number(inserted.id),
      recordedAt: row.recorded_at,
      entry: Buffer.from(
        JSON.stringify({
          kind: 'registry-change',
          registry: row.registry,
          commitment,
          at: row.recorded_at,
        }),
      ),
    },
  ])
}

function validateWrite(
  fields: NonNullable<RegistryDefinition['writable']>['fields'],
  write: Record<string, unknown>,
): Record<string, string | null> {
  const changes: Record<string, string | null> = {}
  for (const [field, value] of Object.entries(write)) {
    const name = `write.content.${field}`
    const spec = Object.hasOwn(fields, field) ? fields[field] : undefined
    if (spec === undefined) {
      throw new RegistryError(
        'REGISTRY_FIELD_UNKNOWN',
        `"${field}" cannot be changed through this API`,
        { field: name, writable: Object.keys(fields) },
      )
    }
    if (value === null && spec.kind !== 'date') {
      changes[field] = null
      continue
    }
    if (typeof value !== 'string' || !WRITABLE_PATTERNS[spec.kind].test(value)) {
      throw new RegistryError('INVALID_INPUT', `${name} is not a valid ${spec.kind}`, {
        field: name,
      })
    }
    changes[field] = spec.kind === 'personalCode' ? personalCodeOf(value, name) : value
  }
  if (Object.keys(changes).length === 0) {
    throw new RegistryError(
      'INVALID_INPUT',
      'write.content must name at least one field to change',
      { field: 'write.content' },
    )
  }
  return changes
}

const WRITABLE_PATTERNS: Readonly<Record<WritableKind, RegExp>> = {
  // eslint-disable-next-line no-control-regex
  email: /^[^\s@<>()[\],;:"\u0000-\u001f\u007f]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}$/,
  phone: /^\+[1-9]\d{6,14}$/,
  date: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/,
  personalCode: /^(?:[A-Z]{2})?[1-8]\d{10}$/,
}

function actorOf(caller: Caller): Actor {
  if (caller.userCode === undefined) {
    throw new RegistryError(
      'ACCESS_ACTOR_REQUIRED',
      'personal data needs the acting person in X-Road-UserId',
      { field: 'X-Road-UserId' },
    )
  }
  return { clientId: caller.clientId, agencyCode: caller.agencyCode, personalCode: caller.userCode }
}

function validateEquals(
  definition: RegistryDefinition,
  content: Record<string, unknown>,
  where: string,
): Record<string, string> {
  const equals: Record<string, string> = {}
  for (const [field, value] of Object.entries(content)) {
    const kind = Object.hasOwn(definition.fields, field) ? definition.fields[field] : undefined
    const name = `${where}.${field}`
    if (kind === undefined) {
      throw new RegistryError(
        'REGISTRY_FIELD_UNKNOWN',
        `the ${definition.name} register cannot be searched by "${field}"`,
        {
          field: name,
          searchable: Object.keys(definition.fields),
        },
      )
    }
    equals[field] = validateValue(kind, value, name)
  }
  return equals
}

function validateValue(
  kind: RegistryDefinition['fields'][string],
  value: unknown,
  field: string,
): string {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new RegistryError('INVALID_INPUT', `${field} must be a string`, { field })
  }
  const text = String(value)
  switch (kind) {
    case 'personalCode':
      return personalCodeOf(text, field)
    case 'registryCode':
      return assertRegistryCode(text, field)
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text))) {
        throw new RegistryError('INVALID_INPUT', `${field} must be a date (YYYY-MM-DD)`, { field })
      }
      return text
    case 'text':
    case 'code':
      // eslint-disable-next-line no-control-regex
      if (text.length === 0 || text.length > 200 || /[\u0000-\u001f\u007f]/.test(text)) {
        throw new RegistryError('INVALID_INPUT', `${field} must be 1-200 printable characters`, {
          field,
        })
      }
      return text
  }
}

/** Accepts a bare personal code or one with the issuing country's prefix (`EE38001085718`). */
export function personalCodeOf(value: string, field: string): string {
  const code = /^EE\d{11}$/.test(value) ? value.slice(2) : value
  parsePersonalCode(code, field)
  return code
}

function prefixOf(definition: RegistryDefinition, query: ListQuery): SearchCriteria['prefix'] {
  if (query.search === undefined || query.search === '') return undefined
  const field = query.filter ?? definition.defaultSearchField
  if (!Object.hasOwn(definition.fields, field)) {
    throw new RegistryError(
      'REGISTRY_FIELD_UNKNOWN',
      `the ${definition.name} register cannot be searched by "${field}"`,
      {
        field: 'filter',
        searchable: Object.keys(definition.fields),
      },
    )
  }
  const value = query.search.replace(/\*$/, '')
  if (definition.personal && value.length < MIN_PERSONAL_PREFIX) {
    throw new RegistryError(
      'REGISTRY_QUERY_TOO_BROAD',
      `search needs at least ${MIN_PERSONAL_PREFIX} characters`,
      { field: 'search' },
    )
  }
  validateValue('text', value, 'search')
  return { field, value }
}

function initials(name: string): string {
  return name
    .split(/[\s-]+/)
    .filter((part) => part !== '')
    .map((part) => part[0].toUpperCase())
    .join('')
}

/** The public log holds only this salted hash of a registry change (see `commitAccessRecord`). */
export function commitRegistryChange(row: Omit<RegistryChangeTable, 'id'>): string {
  return commitValues(row.salt, [
    row.recorded_at,
    row.registry,
    row.record_id,
    row.agency_code,
    row.actor_code,
    row.client_id,
    row.purpose,
    row.change,
  ])
}
