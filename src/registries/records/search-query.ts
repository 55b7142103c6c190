import type { SelectQueryBuilder } from 'kysely'
import type { SearchCriteria } from './registry-definition.ts'

/**
 * Applies exact matches and a prefix match to a query, translating API field names to columns.
 * Column names come from the registry's own map, never from the caller.
 */
export function applyCriteria<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  criteria: SearchCriteria,
  columns: Readonly<Record<string, string>>,
): SelectQueryBuilder<DB, TB, O> {
  let result = query
  for (const [field, value] of Object.entries(criteria.equals)) {
    result = result.where(columns[field] as never, '=', value as never)
  }
  if (criteria.prefix !== undefined) {
    const column = columns[criteria.prefix.field]
    // A range instead of LIKE: uses the index on both engines and has no wildcard escaping.
    result = result
      .where(column as never, '>=', criteria.prefix.value as never)
      .where(column as never, '<', (criteria.prefix.value + '\uffff') as never)
  }
  return result
}

/** How many records match in all (for paging), or just the ones found when no total is wanted. */
export async function countMatching<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  criteria: SearchCriteria,
  found: number,
): Promise<number> {
  if (criteria.countTotal === false) return found
  const row = await query.select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow()
  return Number((row as { count: unknown }).count)
}
