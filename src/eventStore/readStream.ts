import type { Db } from '../db/database.ts';
import { validationError } from '../domain/errors.ts';
import { eventColumns, toRecordedEvent } from './rows.ts';
import type { EventShape, ReadStreamOptions, RecordedEvent } from './types.ts';
import type { Upcasters } from './upcasters.ts';

/**
 * Reads one stream's committed events in version order (forward or backward), upcast.
 * A stream's committed versions are always 1..n without holes, so this reads committed rows
 * directly: a command handler sees its own appends as soon as they commit.
 */
export async function readStream<E extends EventShape = EventShape>(
  db: Db,
  stream: string,
  options: ReadStreamOptions = {},
  upcasters?: Upcasters,
): Promise<RecordedEvent<E>[]> {
  const direction = options.direction ?? 'forward';
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 0)) {
    throw validationError('limit must be a non-negative integer');
  }
  let query = db.selectFrom('events').select(eventColumns).where('stream', '=', stream);
  if (direction === 'forward') {
    if (options.fromVersion !== undefined) query = query.where('version', '>=', options.fromVersion);
    if (options.toVersion !== undefined) query = query.where('version', '<=', options.toVersion);
    query = query.orderBy('version', 'asc');
  } else {
    if (options.fromVersion !== undefined) query = query.where('version', '<=', options.fromVersion);
    if (options.toVersion !== undefined) query = query.where('version', '>=', options.toVersion);
    query = query.orderBy('version', 'desc');
  }
  if (options.limit !== undefined) query = query.limit(options.limit);
  const rows = await query.execute();
  return rows.map((row) => toRecordedEvent(row, upcasters) as RecordedEvent<E>);
}

/** A stream's current version: the number of its committed events (0 when it does not exist). */
export async function streamVersion(db: Db, stream: string): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('stream', '=', stream)
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}
