import { type Kysely, sql } from 'kysely';

/**
 * Event store: events, projection checkpoints and the append function.
 * Frozen: never edit after it has shipped; add a new migration instead.
 *
 * Gap-free global order: `strata_append` takes the session advisory lock (1398035009, 1) right before
 * the events INSERT, which must be the transaction's first write, so the transaction id is assigned
 * under the lock and xid order equals position order among event-writing transactions. It releases
 * the lock right after the INSERT (before inline projections and COMMIT). Readers only take rows with
 * `transaction_id < pg_snapshot_xmin(pg_current_snapshot())`: the visible set is a prefix of positions.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

const statements = [
  `
create sequence events_position_seq as bigint minvalue 1 cache 1`,
  `
create table events (
  position bigint primary key,
  id uuid not null,
  stream text not null,
  version integer not null check (version >= 1),
  type text not null,
  data jsonb not null,
  metadata jsonb not null,
  recorded_at timestamptz not null,
  transaction_id xid8 not null default pg_current_xact_id(),
  constraint events_id_key unique (id),
  constraint events_stream_version_key unique (stream, version)
)`,
  `create index events_recorded_at_idx on events (recorded_at, position)`,
  `
create table projection_checkpoints (
  name text primary key,
  position bigint not null default 0,
  updated_at timestamptz not null default now()
)`,
  `
-- p_batch: [{"stream": text, "expected": "any"|"no_stream"|"stream_exists"|<int>, "events": [{"id","type","data","metadata"}]}]
-- Returns one row per batch item. Errors (SQLSTATE, DETAIL is JSON):
--   SE001 expected version mismatch {stream, expected, actual}
--   SE002 an event id is already stored at another place {eventId, stream, version, attemptedStream}
--   SE003 the transaction already wrote before the append
--   SE004 invalid batch
create function strata_append(p_batch jsonb)
returns table(item integer, stream text, from_version integer, to_version integer,
              from_position bigint, to_position bigint, recorded_at timestamptz, existed boolean)
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_streams text[];
  v_expected jsonb[];
  v_counts integer[];
  v_base integer[];
  v_actual integer[];
  v_n integer;
  v_total integer := 0;
  v_first bigint;
  v_now timestamptz;
  v_locked boolean := false;
  v_constraint text;
  v_exp jsonb;
  v_mismatch integer;
begin
  if pg_current_xact_id_if_assigned() is not null then
    raise exception using errcode = 'SE003',
      message = 'an append must be the first write of its transaction';
  end if;
  if jsonb_typeof(p_batch) is distinct from 'array' or jsonb_array_length(p_batch) = 0 then
    raise exception using errcode = 'SE004', message = 'append batch must be a non-empty array';
  end if;

  select array_agg(b.value->>'stream' order by b.ord),
         array_agg(b.value->'expected' order by b.ord),
         array_agg(coalesce(jsonb_array_length(b.value->'events'), 0) order by b.ord)
    into v_streams, v_expected, v_counts
    from jsonb_array_elements(p_batch) with ordinality as b(value, ord);
  v_n := array_length(v_streams, 1);
  if array_position(v_streams, null) is not null then
    raise exception using errcode = 'SE004', message = 'every batch item needs a stream';
  end if;
  if v_n > 1 and (select count(distinct s) from unnest(v_streams) s) <> v_n then
    raise exception using errcode = 'SE004', message = 'a stream may appear only once in a batch';
  end if;
  v_base := array_fill(0, array[v_n]);
  for i in 1 .. v_n loop
    v_base[i] := v_total;
    v_total := v_total + v_counts[i];
  end loop;

  loop
    -- Current version of every stream (committed rows; an in-flight writer of the same stream makes
    -- the INSERT below wait on the unique index and then fail, and we come back here).
    v_actual := array_fill(0, array[v_n]);
    for i in 1 .. v_n loop
      v_actual[i] := coalesce((select max(e.version) from events e where e.stream = v_streams[i]), 0);
    end loop;

    v_mismatch := null;
    for i in 1 .. v_n loop
      v_exp := v_expected[i];
      if (jsonb_typeof(v_exp) = 'number' and v_actual[i] <> (v_exp #>> '{}')::integer)
         or (v_exp = '"no_stream"'::jsonb and v_actual[i] <> 0)
         or (v_exp = '"stream_exists"'::jsonb and v_actual[i] = 0) then
        v_mismatch := i;
        exit;
      end if;
    end loop;

    if v_mismatch is not null then
      if v_locked then
        perform pg_advisory_unlock(1398035009, 1);
        v_locked := false;
      end if;
      -- A retry of an append that already succeeded is not a conflict.
      return query select * from strata_append_existing(p_batch);
      if found then
        return;
      end if;
      raise exception using errcode = 'SE001',
        message = format('stream %s is at version %s, expected %s', v_streams[v_mismatch], v_actual[v_mismatch], v_expected[v_mismatch]),
        detail = jsonb_build_object('stream', v_streams[v_mismatch], 'expected', v_expected[v_mismatch],
                                    'actual', v_actual[v_mismatch])::text;
    end if;

    if v_total = 0 then
      for i in 1 .. v_n loop
        item := i - 1; stream := v_streams[i]; from_version := v_actual[i]; to_version := v_actual[i];
        from_position := null; to_position := null; recorded_at := null; existed := false;
        return next;
      end loop;
      return;
    end if;

    begin
      if not v_locked then
        perform pg_advisory_lock(1398035009, 1);
        v_locked := true;
      end if;
      -- Millisecond precision: a JS Date round-trips exactly (positionAt(event.recordedAt) finds it).
      v_now := date_trunc('milliseconds', clock_timestamp());
      v_first := nextval('events_position_seq');
      if v_total > 1 then
        perform setval('events_position_seq', v_first + v_total - 1);
      end if;

      insert into events (position, id, stream, version, type, data, metadata, recorded_at)
      select v_first + v_base[b.ord] + e.ord - 1,
             (e.value->>'id')::uuid,
             v_streams[b.ord],
             v_actual[b.ord] + e.ord,
             e.value->>'type',
             e.value->'data',
             coalesce(e.value->'metadata', '{}'::jsonb),
             v_now
        from jsonb_array_elements(p_batch) with ordinality as b(value, ord)
        cross join lateral jsonb_array_elements(b.value->'events') with ordinality as e(value, ord);

      perform pg_advisory_unlock(1398035009, 1);
      v_locked := false;
      exit;
    exception
      when unique_violation then
        get stacked diagnostics v_constraint = constraint_name;
        if v_constraint = 'events_stream_version_key' then
          -- A concurrent append to one of our streams committed while we waited; re-check under the lock.
          continue;
        end if;
        perform pg_advisory_unlock(1398035009, 1);
        v_locked := false;
        if v_constraint = 'events_id_key' then
          return query select * from strata_append_existing(p_batch);
          if found then
            return;
          end if;
        end if;
        raise;
      when others or query_canceled then
        if v_locked then
          perform pg_advisory_unlock(1398035009, 1);
          v_locked := false;
        end if;
        raise;
    end;
  end loop;

  perform pg_notify('strata_events', (v_first + v_total - 1)::text);

  for i in 1 .. v_n loop
    item := i - 1; stream := v_streams[i];
    from_version := v_actual[i] + 1; to_version := v_actual[i] + v_counts[i];
    from_position := case when v_counts[i] > 0 then v_first + v_base[i] end;
    to_position := case when v_counts[i] > 0 then v_first + v_base[i] + v_counts[i] - 1 end;
    recorded_at := v_now; existed := false;
    return next;
  end loop;
end
$fn$`,
  `
-- Idempotency check: when every event id of the batch is already stored exactly where the batch would
-- have put it (same stream, consecutive versions in order, consistent with the expected version),
-- returns the original result (existed = true). Returns no rows when none of the ids is stored.
-- Raises SE002 when some id is stored elsewhere or only part of the batch is stored.
create function strata_append_existing(p_batch jsonb)
returns table(item integer, stream text, from_version integer, to_version integer,
              from_position bigint, to_position bigint, recorded_at timestamptz, existed boolean)
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_bad record;
  v_found integer;
  v_total integer;
begin
  select count(*), count(e.id) into v_total, v_found
    from jsonb_array_elements(p_batch) as b(value)
    cross join lateral jsonb_array_elements(b.value->'events') as x(value)
    left join events e on e.id = (x.value->>'id')::uuid;
  if v_found = 0 then
    return;
  end if;

  -- Every stored id must be at (its batch stream, first stored version + index), and all must be stored.
  with wanted as (
    select b.ord as item, b.value->>'stream' as stream, b.value->'expected' as expected, x.ord as n,
           (x.value->>'id')::uuid as id
      from jsonb_array_elements(p_batch) with ordinality as b(value, ord)
      cross join lateral jsonb_array_elements(b.value->'events') with ordinality as x(value, ord)
  ), placed as (
    select w.*, e.stream as stored_stream, e.version as stored_version,
           first_value(e.version) over (partition by w.item order by w.n) as first_version
      from wanted w left join events e on e.id = w.id
  )
  select * into v_bad from placed p
   where p.stored_stream is null
      or p.stored_stream <> p.stream
      or p.stored_version <> p.first_version + p.n - 1
      or (p.n = 1 and (
            (jsonb_typeof(p.expected) = 'number' and p.stored_version <> (p.expected #>> '{}')::integer + 1)
         or (p.expected = '"no_stream"'::jsonb and p.stored_version <> 1)
         or (p.expected = '"stream_exists"'::jsonb and p.stored_version = 1)))
   order by p.item, p.n
   limit 1;
  if found then
    raise exception using errcode = 'SE002',
      message = case when v_bad.stored_stream is null
                     then format('event %s was not stored but other events of the same append were', v_bad.id)
                     else format('event id %s is already stored in stream %s at version %s', v_bad.id, v_bad.stored_stream, v_bad.stored_version) end,
      detail = jsonb_build_object('eventId', v_bad.id, 'stream', v_bad.stored_stream, 'version', v_bad.stored_version,
                                  'attemptedStream', v_bad.stream)::text;
  end if;

  return query
    select (b.ord - 1)::integer, b.value->>'stream',
           min(e.version), max(e.version), min(e.position), max(e.position), min(e.recorded_at), true
      from jsonb_array_elements(p_batch) with ordinality as b(value, ord)
      cross join lateral jsonb_array_elements(b.value->'events') as x(value)
      join events e on e.id = (x.value->>'id')::uuid
     group by b.ord, b.value->>'stream'
    union all
    select (b.ord - 1)::integer, b.value->>'stream',
           coalesce((select max(e.version) from events e where e.stream = b.value->>'stream'), 0),
           coalesce((select max(e.version) from events e where e.stream = b.value->>'stream'), 0),
           null, null, null, true
      from jsonb_array_elements(p_batch) with ordinality as b(value, ord)
     where jsonb_array_length(b.value->'events') = 0
     order by 1;
end
$fn$`,
];

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of [
    'drop function if exists strata_append(jsonb)',
    'drop function if exists strata_append_existing(jsonb)',
    'drop table if exists projection_checkpoints',
    'drop table if exists events',
    'drop sequence if exists events_position_seq',
  ]) {
    await sql.raw(statement).execute(db);
  }
}
