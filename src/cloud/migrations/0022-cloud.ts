import { sql, type Kysely } from 'kysely'
import type { Engine } from '../../platform/index.ts'

/**
 * The government cloud at two sites (issue "The government cloud at two sites"):
 *
 * - `cloud_site`, one row: the fencing `generation` (bumped by every promotion on the new
 *   primary), `fenced_at` (set on an old primary that a promotion could still reach), and the
 *   replication mode (`synchronous`, or `degraded` after an operator's `e-state site degrade`).
 * - `cloud_site_events`: what operators and promotions did to the site (promote, fence,
 *   degrade, restore-sync), newest last.
 * - `cloud_acts`: one row per act, keyed by its idempotency key, written in the act's own
 *   transaction. A retry after "outcome unknown" finds its key and does not apply the act twice.
 *
 * The fence lives in the database, on both engines: a trigger refuses an act whose declared
 * generation is not the site's, or any act on a fenced site. Every act writes its key here, so
 * every act's transaction passes the check, in the same transaction, at no extra round trip.
 */
export function cloudMigration(engine: Engine) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('cloud_site')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('generation', 'bigint', (c) => c.notNull())
        .addColumn('replication_mode', 'text', (c) => c.notNull())
        .addColumn('mode_changed_at', 'text', (c) => c.notNull())
        .addColumn('fenced_at', 'text')
        .execute()
      await db.schema
        .createTable('cloud_site_events')
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('generation', 'bigint', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('cloud_acts')
        .addColumn('act_key', 'text', (c) => c.primaryKey())
        .addColumn('generation', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await sql`insert into cloud_site (id, generation, replication_mode, mode_changed_at)
        values (1, 1, 'synchronous', ${new Date().toISOString()})`.execute(db)
      if (engine === 'postgres') await postgresFence(db)
      else await sqliteFence(db)
    },
  }
}

async function postgresFence(db: Kysely<unknown>): Promise<void> {
  // SQLSTATE 'ES001' is ours (class ES): the client maps it to CLOUD_FENCED.
  await sql`CREATE FUNCTION cloud_check_generation() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      site_generation bigint;
      site_fenced text;
    BEGIN
      SELECT generation, fenced_at INTO site_generation, site_fenced FROM cloud_site WHERE id = 1;
      IF site_fenced IS NOT NULL THEN
        RAISE EXCEPTION 'site fenced at %: it is no longer the primary', site_fenced
          USING ERRCODE = 'ES001';
      END IF;
      IF NEW.generation IS DISTINCT FROM site_generation THEN
        RAISE EXCEPTION 'act of generation % refused: this site is at generation %',
          NEW.generation, site_generation USING ERRCODE = 'ES001';
      END IF;
      RETURN NEW;
    END $$`.execute(db)
  await sql`CREATE TRIGGER cloud_acts_generation BEFORE INSERT ON cloud_acts
    FOR EACH ROW EXECUTE FUNCTION cloud_check_generation()`.execute(db)
}

async function sqliteFence(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TRIGGER cloud_acts_generation BEFORE INSERT ON cloud_acts
    WHEN (SELECT fenced_at FROM cloud_site WHERE id = 1) IS NOT NULL
      OR NEW.generation IS NOT (SELECT generation FROM cloud_site WHERE id = 1)
    BEGIN SELECT RAISE(ABORT, 'CLOUD_FENCED: act refused, generation or fence'); END`.execute(db)
}
