import { sql } from 'kysely';
import type { EventMetadata, RecordedEvent } from './types.ts';
import type { Upcasters } from './upcasters.ts';

/** The columns every read selects, in the shape `toRecordedEvent` expects. */
export const eventColumns = ['position', 'id', 'stream', 'version', 'type', 'data', 'metadata', 'recorded_at'] as const;

export interface EventRow {
  position: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_at: Date;
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
    recordedAt: row.recorded_at,
  };
  return upcasters ? upcasters.apply(event) : event;
}
