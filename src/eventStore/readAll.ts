import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { validationError } from '../domain/errors.ts';
import { head } from './head.ts';
import { type EventRow, eventColumns, safelyVisible, toRecordedEvent } from './rows.ts';
import type { EventShape, ReadAllOptions, ReadAllPage, RecordedEvent } from './types.ts';
import type { Upcasters } from './upcasters.ts';

const defaultLimit = 1000;

/** Reads committed events across all streams in global position order (a safe prefix: never skips). */
export async function readAll<E extends EventShape = EventShape>(
  db: Db,
  options: ReadAllOptions = {},
  upcasters?: Upcasters,
): Promise<RecordedEvent<E>[]> {
  return (await readAllPage<E>(db, options, upcasters)).events;
}

/**
 * One page of `readAll` plus the cursor to continue from. The cursor moves past the events the
 * filters dropped (up to the safe head), so sparse filtered reads do not rescan.
 */
export async function readAllPage<E extends EventShape = EventShape>(
  db: Db,
  options: ReadAllOptions = {},
  upcasters?: Upcasters,
): Promise<ReadAllPage<E>> {
  const after = options.after ?? 0;
  const limit = options.limit ?? defaultLimit;
  if (!Number.isInteger(limit) || limit < 1) throw validationError('limit must be a positive integer');
  if (!Number.isSafeInteger(after) || after < 0) throw validationError('after must be a non-negative integer');

  // Fix the upper bound at the safe head first: every event up to it is committed or aborted for
  // good, so the page query (a later snapshot) sees all of them and the cursor may move up to it.
  const safeHead = await head(db);
  const upper = options.to === undefined ? safeHead : Math.min(options.to, safeHead);
  if (upper <= after) return { events: [], next: after, done: true };
  let query = db
    .selectFrom('events')
    .select(eventColumns)
    .where('position', '>', after)
    .where('position', '<=', upper)
    .where(safelyVisible);
  if (options.streamPrefix !== undefined && options.streamPrefix !== '') {
    query = query.where(sql<boolean>`left(stream, ${options.streamPrefix.length}) = ${options.streamPrefix}`);
  }
  if (options.types !== undefined) {
    if (options.types.length === 0) return { events: [], next: upper, done: true };
    query = query.where('type', 'in', [...options.types]);
  }
  const rows = await query.orderBy('position', 'asc').limit(limit).execute();
  const events = rows.map((row) => toRecordedEvent(row as EventRow, upcasters) as RecordedEvent<E>);
  if (events.length === limit && events.at(-1)!.position < upper) {
    return { events, next: events.at(-1)!.position, done: false };
  }
  return { events, next: upper, done: true };
}
