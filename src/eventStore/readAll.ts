import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { validationError } from '../domain/errors.ts';
import { head } from './head.ts';
import { type EventRow, toRecordedEvent } from './rows.ts';
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
  if (!Number.isSafeInteger(after) || after < 0)
    throw validationError('after must be a non-negative integer');

  const filtered =
    (options.streamPrefix !== undefined && options.streamPrefix !== '') || options.types !== undefined;
  if (options.types !== undefined && options.types.length === 0) {
    return {
      events: [],
      next: Math.max(after, Math.min(options.to ?? Number.POSITIVE_INFINITY, await head(db))),
      done: true,
    };
  }
  // With filters, fix the cursor's bound at the safe head first: every event up to it is committed
  // or aborted for good, so the page query (a later snapshot) sees all of those that match, and the
  // cursor may move up to the bound past the ones the filters dropped.
  const bound = filtered ? Math.min(options.to ?? Number.POSITIVE_INFINITY, await head(db)) : undefined;
  const to = bound ?? options.to ?? null;
  const { rows } = await sql<EventRow>`
    select * from strata_read_all(${after}, ${to}, ${limit},
      ${options.streamPrefix || null}, ${options.types ? [...options.types] : null})`.execute(db);
  const events = rows.map((row) => toRecordedEvent(row, upcasters) as RecordedEvent<E>);
  const last = events.at(-1)?.position ?? after;
  if (events.length === limit) return { events, next: last, done: false };
  return { events, next: bound === undefined ? last : Math.max(after, bound, last), done: true };
}
