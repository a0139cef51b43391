import type { ColumnType } from 'kysely';

/**
 * Tables owned by the event store and content store (migrations/20261128_0001, _0002).
 * int8 columns are read as JS numbers on both backends (see src/db/openDatabase.ts).
 */
export interface EventsTable {
  position: ColumnType<number, never, never>;
  id: string;
  stream: string;
  version: number;
  type: string;
  data: ColumnType<unknown, string, never>;
  metadata: ColumnType<Record<string, unknown>, string, never>;
  recorded_at: ColumnType<Date, never, never>;
  transaction_id: ColumnType<string, never, never>;
}

export interface ProjectionCheckpointsTable {
  name: string;
  position: number;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ContentBlobsTable {
  digest: string;
  blob_id: number;
  size: number;
  chunk_size: number;
  chunk_count: number;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface ContentChunksTable {
  blob_id: number;
  idx: number;
  data: Uint8Array;
}

export interface EventStoreTables {
  events: EventsTable;
  projection_checkpoints: ProjectionCheckpointsTable;
  content_blobs: ContentBlobsTable;
  content_chunks: ContentChunksTable;
}
