import { type Kysely, sql } from 'kysely';

/**
 * strata_read_all: one page of the global order, always walked along the primary key.
 * With stale statistics (right after a bulk load) the planner may otherwise pick a bitmap scan of
 * the whole remaining range plus a sort for `order by position limit n`, which costs O(remaining)
 * per page. The function pins the ordered index scan. Frozen: never edit after it has shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(`
create function strata_read_all(p_after bigint, p_to bigint, p_limit integer, p_prefix text, p_types text[])
returns table("position" bigint, id uuid, stream text, version integer, type text, data jsonb, metadata jsonb,
              recorded_ms double precision)
language sql stable
set enable_bitmapscan = off
set enable_seqscan = off
set enable_sort = off
as $fn$
  select e.position, e.id, e.stream, e.version, e.type, e.data, e.metadata,
         (extract(epoch from e.recorded_at) * 1000)::float8
    from events e
   where e.position > p_after
     and (p_to is null or e.position <= p_to)
     and e.transaction_id < (select pg_snapshot_xmin(pg_current_snapshot()))
     and (p_prefix is null or left(e.stream, length(p_prefix)) = p_prefix)
     and (p_types is null or e.type = any(p_types))
   order by e.position
   limit p_limit
$fn$`)
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('drop function if exists strata_read_all(bigint, bigint, integer, text, text[])').execute(db);
}
