import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { backendOf } from '../db/openDatabase.ts';
import { validationError } from '../domain/errors.ts';
import { mapAppendError } from './errors.ts';
import { isUuid, newEventId } from './eventId.ts';
import { anyHandles, type InlineProjection, runInlineProjections } from './inlineProjection.ts';
import { announceAfterCommit } from './notifier.ts';
import type {
  AppendItem,
  AppendMultiResult,
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventShape,
  ExpectedVersion,
  NewEvent,
  RecordedEvent,
} from './types.ts';
import type { Upcasters } from './upcasters.ts';

/** What an append needs besides its events: inline projections to run, upcasters for the result. */
export interface AppendContext {
  inlineProjections?: readonly InlineProjection[];
  upcasters?: Upcasters;
  /**
   * When subscribers are told: 'in-transaction' (NOTIFY inside the append transaction, delivered at
   * its commit) or 'after-commit' (NOTIFY sent right after COMMIT, coalesced; see notifier.ts).
   * PostgreSQL serialises the commits (and fsyncs) of notifying transactions, so by default an
   * append on a PostgreSQL handle notifies after commit when other appends of this process are in
   * flight, and in its transaction otherwise (no extra round trip when alone). PGlite and appends
   * inside a caller's transaction (whose commit we do not see) always notify in the transaction.
   */
  notify?: 'in-transaction' | 'after-commit';
}

interface AppendRow {
  item: number;
  stream: string;
  from_version: number;
  to_version: number;
  from_position: number | null;
  to_position: number | null;
  recorded_at: Date | null;
  existed: boolean;
}

interface PreparedEvent {
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

/**
 * Appends `events` to one stream, atomically. See `appendMulti` for the rules (expected version,
 * idempotency, transactions); this is its one-stream form.
 */
export async function appendToStream<E extends EventShape = EventShape>(
  db: Db,
  stream: string,
  events: readonly NewEvent<E>[],
  options: AppendOptions = {},
  context: AppendContext = {},
): Promise<AppendResult<E>> {
  const result = await appendMulti<E>(
    db,
    [{ stream, events, expectedVersion: options.expectedVersion }],
    context,
  );
  return result.streams[0]!;
}

/**
 * Appends to several streams atomically: all or nothing. Each stream's expected version is checked
 * (a mismatch throws ConcurrencyError with the expected and actual versions, and nothing is stored).
 *
 * Idempotent: when every event id is already stored exactly where this append would put it, the
 * original result comes back with `existed: true` and nothing is stored (also with 'any'). An id
 * stored elsewhere throws DuplicateEventIdError.
 *
 * `db` may be a transaction in which nothing has been written yet (the append must be its first
 * write; the caller commits). Otherwise the append runs as one statement, or in its own transaction
 * when inline projections handle some of the events.
 */
export async function appendMulti<E extends EventShape = EventShape>(
  db: Db,
  items: readonly AppendItem<E>[],
  context: AppendContext = {},
): Promise<AppendMultiResult<E>> {
  const prepared = prepareBatch(items);
  const batch = JSON.stringify(
    prepared.map((p) => ({ stream: p.stream, expected: p.expected, events: p.events })),
  );
  const projections = context.inlineProjections ?? [];
  const types = new Set(prepared.flatMap((p) => p.events.map((e) => e.type)));
  const projected = projections.length > 0 && anyHandles(projections, types);

  const inFlight = appendsInFlight.get(db) ?? 0;
  const afterCommit =
    !db.isTransaction &&
    (context.notify ?? (backendOf(db) === 'postgres' && inFlight > 0 ? 'after-commit' : 'in-transaction')) ===
      'after-commit';
  const call = async (executor: Db): Promise<AppendRow[]> =>
    (await sql<AppendRow>`select * from strata_append(${batch}::jsonb, ${!afterCommit})`.execute(executor))
      .rows;

  const withProjections = async (trx: Trx): Promise<AppendMultiResult<E>> => {
    const result = toResult<E>(prepared, await call(trx), context.upcasters);
    if (projected && !result.existed) {
      await runInlineProjections(
        trx,
        projections,
        result.streams.flatMap((s) => s.events as RecordedEvent[]),
      );
    }
    return result;
  };

  let result: AppendMultiResult<E>;
  appendsInFlight.set(db, inFlight + 1);
  try {
    if (db.isTransaction) return await withProjections(db as Trx);
    result = projected
      ? await db.transaction().execute(withProjections)
      : toResult<E>(prepared, await call(db), context.upcasters);
  } catch (error) {
    throw mapAppendError(error);
  } finally {
    appendsInFlight.set(db, (appendsInFlight.get(db) ?? 1) - 1);
  }
  // Not awaited: with other appends in flight, a read right after this one is not guaranteed to
  // see it anyway (their open transactions hold the safe head back just like this NOTIFY's).
  if (afterCommit && !result.existed && result.position > 0) void announceAfterCommit(db, result.position);
  return result;
}

/** Appends of this process in flight per root handle (decides where to NOTIFY). */
const appendsInFlight = new WeakMap<Db, number>();

interface PreparedItem {
  stream: string;
  expected: ExpectedVersion;
  events: PreparedEvent[];
}

function prepareBatch(items: readonly AppendItem[]): PreparedItem[] {
  if (items.length === 0) throw validationError('an append needs at least one stream');
  const streams = new Set<string>();
  const ids = new Set<string>();
  return items.map((item) => {
    if (typeof item.stream !== 'string' || item.stream.length === 0) {
      throw validationError('stream names must be non-empty strings');
    }
    if (streams.has(item.stream))
      throw validationError(`stream "${item.stream}" appears twice in one append`);
    streams.add(item.stream);
    const expected = item.expectedVersion ?? 'any';
    if (
      !(
        expected === 'any' ||
        expected === 'no_stream' ||
        expected === 'stream_exists' ||
        (typeof expected === 'number' && Number.isInteger(expected) && expected >= 0)
      )
    ) {
      throw validationError(`invalid expectedVersion ${JSON.stringify(expected)}`);
    }
    const events = item.events.map((event): PreparedEvent => {
      if (typeof event.type !== 'string' || event.type.length === 0) {
        throw validationError('event types must be non-empty strings');
      }
      const id = event.id ?? newEventId();
      if (!isUuid(id)) throw validationError(`event id "${id}" is not a UUID`);
      const key = id.toLowerCase();
      if (ids.has(key)) throw validationError(`event id ${id} appears twice in one append`);
      ids.add(key);
      const schemaVersion = event.metadata?.schemaVersion ?? 1;
      if (!Number.isInteger(schemaVersion) || schemaVersion < 1)
        throw validationError('schemaVersion must be >= 1');
      return {
        id: key,
        type: event.type,
        data: event.data === undefined ? null : event.data,
        metadata: { ...event.metadata, schemaVersion },
      };
    });
    return { stream: item.stream, expected, events };
  });
}

function toResult<E extends EventShape>(
  prepared: readonly PreparedItem[],
  rows: readonly AppendRow[],
  upcasters: Upcasters | undefined,
): AppendMultiResult<E> {
  let position = 0;
  let existed = false;
  const streams = prepared.map((item, index): AppendResult<E> => {
    const row = rows.find((r) => r.item === index);
    if (!row) throw new Error(`append returned no row for stream ${item.stream}`);
    existed ||= row.existed;
    const fromPosition = row.from_position === null ? 0 : Number(row.from_position);
    const last = row.to_position === null ? 0 : Number(row.to_position);
    position = Math.max(position, last);
    const recordedAt = row.recorded_at ?? new Date(0);
    const events = item.events.map((event, k) => {
      const recorded = {
        ...event,
        stream: item.stream,
        version: row.from_version + k,
        position: fromPosition + k,
        recordedAt,
      } as RecordedEvent;
      return (upcasters ? upcasters.apply(recorded) : recorded) as RecordedEvent<E>;
    });
    return {
      stream: item.stream,
      nextExpectedVersion: row.to_version,
      position: last,
      existed: row.existed,
      events,
    };
  });
  return { position, existed, streams };
}
