/**
 * What a provider agency manages at its gateway, by HTTP (the GovStack Information Mediator
 * configuration-management API, `/api/v1/rights/…`) or the CLI: who may call which of its
 * services — per service, per endpoint (method and path pattern), for a subsystem or a group —
 * and each service's OpenAPI description. A member manages only its own services. Every change
 * is returned as an act for the ledger.
 */
import type { Kysely } from 'kysely'
import type { Clock } from '../shared/index.ts'
import type { Schema } from '../storage/index.ts'
import { validPathPattern, type AccessRight } from './access-rights.ts'
import { ExchangeError } from './errors.ts'
import { validIdentifier } from './request-path.ts'

export interface RightChange extends AccessRight {
  readonly action: 'allow' | 'deny'
  readonly by: string
}

const METHODS = new Set(['*', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])

/** A client as access rights name it: a subsystem id or `group:<code>`. */
export function validClient(client: string): boolean {
  if (client.startsWith('group:')) return validIdentifier(client.slice(6))
  const parts = client.split('/')
  return parts.length === 4 && parts.every(validIdentifier)
}

/** The service, if `member` provides it; otherwise why not. */
export async function ownService(
  db: Kysely<Schema>,
  member: string,
  serviceId: string,
): Promise<string> {
  const row = await db
    .selectFrom('exchange_services')
    .innerJoin(
      'exchange_subsystems',
      'exchange_subsystems.subsystem_id',
      'exchange_services.subsystem_id',
    )
    .select(['exchange_services.service_id', 'exchange_subsystems.member_id'])
    .where('exchange_services.service_id', '=', serviceId)
    .executeTakeFirst()
  if (row === undefined) throw new ExchangeError('UnknownService', `no service ${serviceId}`)
  if (row.member_id !== member)
    throw new ExchangeError('AccessDenied', `${serviceId} is not a service of ${member}`)
  return row.service_id
}

export async function allowRight(
  db: Kysely<Schema>,
  clock: Clock,
  right: AccessRight,
  by: string,
): Promise<RightChange | undefined> {
  checkRight(right)
  const result = await db
    .insertInto('exchange_access_rights')
    .values({
      service_id: right.service,
      client: right.client,
      method: right.method,
      path: right.path,
      granted_at: clock.now().toISOString(),
      granted_by: by,
    })
    .onConflict((conflict) =>
      conflict.columns(['service_id', 'client', 'method', 'path']).doNothing(),
    )
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
    ? { ...right, action: 'allow', by }
    : undefined
}

/** Removes a right; without method and path, every right of that client on the service. */
export async function denyRight(
  db: Kysely<Schema>,
  right: Omit<AccessRight, 'method' | 'path'> & { method?: string; path?: string },
  by: string,
): Promise<RightChange[]> {
  let query = db
    .deleteFrom('exchange_access_rights')
    .where('service_id', '=', right.service)
    .where('client', '=', right.client)
  if (right.method !== undefined) query = query.where('method', '=', right.method)
  if (right.path !== undefined) query = query.where('path', '=', right.path)
  const removed = await query.returning(['method', 'path']).execute()
  return removed.map((row) => ({
    service: right.service,
    client: right.client,
    method: row.method,
    path: row.path,
    action: 'deny' as const,
    by,
  }))
}

export async function listRights(
  db: Kysely<Schema>,
  filter: { readonly member?: string; readonly service?: string },
  page: { readonly after: number; readonly size: number },
): Promise<{
  rights: (AccessRight & { id: number; grantedAt: string; grantedBy: string })[]
  next?: number
}> {
  let query = db
    .selectFrom('exchange_access_rights')
    .innerJoin(
      'exchange_services',
      'exchange_services.service_id',
      'exchange_access_rights.service_id',
    )
    .innerJoin(
      'exchange_subsystems',
      'exchange_subsystems.subsystem_id',
      'exchange_services.subsystem_id',
    )
    .select([
      'exchange_access_rights.id',
      'exchange_access_rights.service_id',
      'exchange_access_rights.client',
      'exchange_access_rights.method',
      'exchange_access_rights.path',
      'exchange_access_rights.granted_at',
      'exchange_access_rights.granted_by',
    ])
    .where('exchange_access_rights.id', '>', page.after)
    .orderBy('exchange_access_rights.id')
    .limit(page.size + 1)
  if (filter.member !== undefined)
    query = query.where('exchange_subsystems.member_id', '=', filter.member)
  if (filter.service !== undefined)
    query = query.where('exchange_access_rights.service_id', '=', filter.service)
  const rows = await query.execute()
  const shown = rows.slice(0, page.size)
  return {
    rights: shown.map((row) => ({
      id: Number(row.id),
      service: row.service_id,
      client: row.client,
      method: row.method,
      path: row.path,
      grantedAt: row.granted_at,
      grantedBy: row.granted_by,
    })),
    ...(rows.length > page.size ? { next: Number(shown[shown.length - 1].id) } : {}),
  }
}

/** Stores a service's OpenAPI 3.0/3.1 description (JSON), checked to be one. */
export async function setOpenApi(
  db: Kysely<Schema>,
  serviceId: string,
  text: string,
): Promise<void> {
  let document: { openapi?: unknown; paths?: unknown }
  try {
    document = JSON.parse(text) as typeof document
  } catch {
    throw new ExchangeError('InvalidRequest', 'the OpenAPI description is not JSON')
  }
  if (typeof document.openapi !== 'string' || !/^3\.[01]\.\d+$/.test(document.openapi))
    throw new ExchangeError('InvalidRequest', 'an OpenAPI 3.0 or 3.1 description is expected')
  if (typeof document.paths !== 'object' || document.paths === null)
    throw new ExchangeError('InvalidRequest', 'the OpenAPI description has no paths')
  await db
    .updateTable('exchange_services')
    .set({ openapi: JSON.stringify(document) })
    .where('service_id', '=', serviceId)
    .execute()
}

function checkRight(right: AccessRight): void {
  if (!validClient(right.client))
    throw new ExchangeError(
      'InvalidClientIdentifier',
      `${right.client} is not a subsystem or group:CODE`,
    )
  if (!METHODS.has(right.method))
    throw new ExchangeError('InvalidRequest', `${right.method} is not an HTTP method or *`)
  if (!validPathPattern(right.path))
    throw new ExchangeError('InvalidRequest', `${right.path} is not a path pattern (/a/*/b/**)`)
}
