import { type Kysely, sql } from 'kysely';

/**
 * strata_append gets `p_notify` (default true, the old behaviour). NOTIFY inside a transaction takes
 * a database-wide lock from pre-commit until the commit is flushed, so concurrent notifying appends
 * commit one fsync at a time (no group commit). With p_notify = false the caller notifies after
 * COMMIT instead (a notify-only transaction writes no WAL to flush). Also a query-free path for
 * single-stream batches. Frozen: never edit after it has shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw('drop function strata_append(jsonb)').execute(db);
  await sql.raw(appendFunction).execute(db);
}

export async function down(_db: Kysely<any>): Promise<void> {
  throw new Error('20261128_0003_append_notify_option is irreversible');
}

const appendFunction = `
create function strata_append(p_batch jsonb, p_notify boolean default true)
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

  if jsonb_array_length(p_batch) = 1 then
    -- One stream (the common case): plain expressions, no query.
    v_streams := array[p_batch->0->>'stream'];
    v_expected := array[p_batch->0->'expected'];
    v_counts := array[coalesce(jsonb_array_length(p_batch->0->'events'), 0)];
  else
    select array_agg(b.value->>'stream' order by b.ord),
           array_agg(b.value->'expected' order by b.ord),
           array_agg(coalesce(jsonb_array_length(b.value->'events'), 0) order by b.ord)
      into v_streams, v_expected, v_counts
      from jsonb_array_elements(p_batch) with ordinality as b(value, ord);
  end if;
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

  if p_notify then
    perform pg_notify('strata_events', (v_first + v_total - 1)::text);
  end if;

  for i in 1 .. v_n loop
    item := i - 1; stream := v_streams[i];
    from_version := v_actual[i] + 1; to_version := v_actual[i] + v_counts[i];
    from_position := case when v_counts[i] > 0 then v_first + v_base[i] end;
    to_position := case when v_counts[i] > 0 then v_first + v_base[i] + v_counts[i] - 1 end;
    recorded_at := v_now; existed := false;
    return next;
  end loop;
end
$fn$`;
