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
    /** `verified`: the source checks itself against `digest` (fails before its end), so it is not hashed again. */
    expected?: { digest?: Digest; size?: number; verified?: boolean },
  ): Promise<{ digest: Digest; size: number }>;
  get(digest: Digest): AsyncIterable<Uint8Array>;
  readAll(digest: Digest): Promise<Uint8Array>;
  /** Many blobs (a layer's files) written in large batches while the caller reads on; see BlobWriter. */
  openWriter(): BlobWriter;
}

/** Blobs written in batches, one written while the next fills (src/eventStore/contentStore.ts). */
export interface BlobWriter {
  /** A whole blob whose sha256 the caller has just computed over these bytes. */
  add(data: Uint8Array, digest: Digest): Promise<void>;
  /**
   * A streamed blob; `digest()` is asked once the stream has ended (the caller hashed it on the way);
   * `size`, its exact size when known.
   */
  addStream(source: AsyncIterable<Uint8Array>, digest: () => Digest, size?: number): Promise<void>;
  /** Writes the rest and waits for every write; throws the first failure. */
  close(): Promise<void>;
  /** Drops what is queued and waits for the write in flight (never throws). */
  abort(): Promise<void>;
}
