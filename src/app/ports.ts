import type { Digest } from '../domain/digest.ts';

/**
 * What the command handlers need of the event store and the content store. The adapters in
 * src/app/openStrata.ts bind them to src/eventStore; tests use the same real stores.
 */
export interface StoredEvent {
  type: string;
  data: unknown;
  version: number;
  position: number;
}

export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

export interface AppendWrite {
  stream: string;
  events: { type: string; data: unknown }[];
  expectedVersion: ExpectedVersion;
}

/** Why events were appended: kept in every event's metadata (provenance, replay, blame). */
export interface CommandMetadata {
  correlationId: string;
  actor?: string;
  sessionId?: string;
  command?: string;
}

export interface EventLog {
  readStream(stream: string): Promise<StoredEvent[]>;
  /** Appends to several streams atomically (inline projections included); returns the last position. */
  append(writes: AppendWrite[], metadata: CommandMetadata): Promise<{ position: number }>;
}

export interface Blobs {
  put(
    source: AsyncIterable<Uint8Array> | Uint8Array,
    expected?: { digest?: Digest; size?: number },
  ): Promise<{ digest: Digest; size: number }>;
  /** Many small blobs in few statements (a layer's files). */
  putMany(items: readonly Uint8Array[]): Promise<{ digest: Digest; size: number }[]>;
  get(digest: Digest): AsyncIterable<Uint8Array>;
  readAll(digest: Digest): Promise<Uint8Array>;
}
