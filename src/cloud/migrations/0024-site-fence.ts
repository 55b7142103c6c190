import { sql, type Kysely } from 'kysely'
import type { Engine } from '../../platform/index.ts'

/**
 * The fence on every act of the platform, not only on `cloud_acts`: whatever the platform writes
 * as an act ends in the ledger (an outbox row in the act's own transaction, or a ledger entry),
 * so a check there covers them all. On a fenced site (an old primary a promotion reached) such
 * a write is refused; on PostgreSQL it is also refused when the connection declares a generation
 * (`estate.generation`, set by the node from the highest it has seen) other than the site's —
 * a node that has met the new primary cannot write to the old one. Statement triggers: one
 * lookup of the one-row `cloud_site` per statement.
 */
export function siteFenceMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (engine === 'postgres') {
        await sql`CREATE FUNCTION cloud_check_fence() RETURNS trigger LANGUAGE plpgsql AS $$
          DECLARE
            site_generation bigint;
            site_fenced text;
            declared text := current_setting('estate.generation', true);
          BEGIN
            SELECT generation, fenced_at INTO site_generation, site_fenced
              FROM cloud_site WHERE id = 1;
            IF site_fenced IS NOT NULL THEN
              RAISE EXCEPTION 'site fenced at %: it is no longer the primary', site_fenced
                USING ERRCODE = 'ES001';
            END IF;
            IF declared IS NOT NULL AND declared <> '' AND declared::bigint <> site_generation THEN
              RAISE EXCEPTION 'a node of generation % refused: this site is at generation %',
                declared, site_generation USING ERRCODE = 'ES001';
            END IF;
            RETURN NULL;
          END $$`.execute(db)
        for (const table of ['ledger_outbox', 'ledger_entries'])
          await sql`CREATE TRIGGER ${sql.raw(`${table}_fence`)} BEFORE INSERT ON ${sql.table(table)}
            FOR EACH STATEMENT EXECUTE FUNCTION cloud_check_fence()`.execute(db)
        return
      }
      for (const table of ['ledger_outbox', 'ledger_entries'])
        await sql`CREATE TRIGGER ${sql.raw(`${table}_fence`)} BEFORE INSERT ON ${sql.table(table)}
          WHEN (SELECT fenced_at FROM cloud_site WHERE id = 1) IS NOT NULL
          BEGIN SELECT RAISE(ABORT, 'CLOUD_FENCED: the site is fenced'); END`.execute(db)
    },
  }
}
