/**
 * Roles and mandates. An official acts in a role their agency gave them (the `officials`
 * register); a person acts for themself. Every authorisation decision returns the role or
 * mandate it used, so the act can record it.
 */
import type { Kysely } from 'kysely'
import type { Schema } from '../storage/index.ts'
import { IdentityError } from './errors.ts'

export interface Mandate {
  /** `self`, or an official's role. */
  readonly as: string
  /** The agency (registry code) an official acts for. */
  readonly agency?: string
}

export async function rolesOf(
  db: Kysely<Schema>,
  personalCode: string,
): Promise<{ role: string; agency: string }[]> {
  const rows = await db
    .selectFrom('officials')
    .select(['role', 'agency_code'])
    .where('personal_code', '=', personalCode)
    .execute()
  return rows.map((row) => ({ role: row.role, agency: row.agency_code }))
}

/** The first of `roles` the person holds, or ROLE_REQUIRED naming what was needed. */
export async function requireRole(
  db: Kysely<Schema>,
  personalCode: string,
  roles: readonly string[],
): Promise<Mandate> {
  const held = (await rolesOf(db, personalCode)).find((entry) => roles.includes(entry.role))
  if (held === undefined)
    throw new IdentityError('ROLE_REQUIRED', `this needs the role of ${roles.join(' or ')}`, {
      roles,
    })
  return { as: held.role, agency: held.agency }
}
