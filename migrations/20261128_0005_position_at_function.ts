import { type Kysely, sql } from 'kysely';

/**
 * strata_position_at: the newest safely visible position recorded at or before a time, always by a
 * backward walk of the (recorded_at, position) index (stale statistics could otherwise make it
 * sort every earlier event). Frozen: never edit after it has shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(`
create function strata_position_at(p_time timestamptz)
returns bigint
language sql stable
set enable_bitmapscan = off
set enable_seqscan = off
set enable_sort = off
as $fn$
  select coalesce((
    select e.position from events e
     where e.recorded_at <= p_time
       and e.transaction_id < (select pg_snapshot_xmin(pg_current_snapshot()))
     order by e.recorded_at desc, e.position desc
     limit 1), 0)
$fn$`)
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('drop function if exists strata_position_at(timestamptz)').execute(db);
}
