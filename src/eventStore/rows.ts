import { sql } from 'kysely';
import type { EventMetadata, RecordedEvent } from './types.ts';
import type { Upcasters } from './upcasters.ts';

/**
 * What every read selects, in the shape `toRecordedEvent` expects. `recorded_at` travels as epoch
 * milliseconds (it is stored at millisecond precision): a float parses far faster than a timestamp.
 */
export const eventColumns = [
  'position',
  'id',
  'stream',
  'version',
  'type',
  'data',
  'metadata',
  sql<number>`(extract(epoch from recorded_at) * 1000)::float8`.as('recorded_ms'),
] as const;

export interface EventRow {
  position: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_ms: number;
}

/**
 * SQL for "rows a reader may safely see": written by a transaction older than every transaction
 * still running. Event-writing transactions get their xid under the append lock in position order,
 * so the visible set is always a prefix of the position order. A scalar subquery evaluates it once.
 */
export const safelyVisible = sql<boolean>`transaction_id < (select pg_snapshot_xmin(pg_current_snapshot()))`;

export function toRecordedEvent(row: EventRow, upcasters?: Upcasters): RecordedEvent {
  const metadata = row.metadata as EventMetadata;
  if (metadata.schemaVersion === undefined) metadata.schemaVersion = 1;
  const event: RecordedEvent = {
    id: row.id,
    stream: row.stream,
    version: row.version,
    position: Number(row.position),
    type: row.type,
    data: row.data,
    metadata,
    recordedAt: new Date(row.recorded_ms),
  };
  return upcasters ? upcasters.apply(event) : event;
}
