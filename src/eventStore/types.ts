/** Metadata stored with every event. Free keys are allowed next to the known ones. */
export interface EventMetadata {
  /** The request/command chain this event belongs to. */
  correlationId?: string;
  /** The event or command that caused this event. */
  causationId?: string;
  /** A client session (e.g. an interactive container session). */
  sessionId?: string;
  /** Who did it (user, service, CLI). */
  actor?: string;
  /** Version of this event type's data schema; 1 when not given. Upcasters bring old versions up. */
  schemaVersion: number;
  [key: string]: unknown;
}

/** The shape of a domain event: a type and its JSON data. Use a discriminated union for E. */
export interface EventShape {
  type: string;
  data: unknown;
}

/** An event to append. `id` (a UUID) makes retries idempotent: generate it once per intended event. */
export type NewEvent<E extends EventShape = EventShape> = E & {
  id?: string;
  metadata?: Partial<EventMetadata>;
};

/** Where a recorded event sits in its stream and in the global order. */
export interface RecordedEventInfo {
  id: string;
  stream: string;
  /** 1 for a stream's first event; a stream with n events is at version n. */
  version: number;
  /** Global, gap-tolerant, strictly increasing order of commit visibility (a JS number, exact to 2^53). */
  position: number;
  metadata: EventMetadata;
  recordedAt: Date;
}

/** A stored event. With E a union of event shapes, narrowing on `type` narrows `data`. */
export type RecordedEvent<E extends EventShape = EventShape> = E & RecordedEventInfo;

/**
 * The version the stream must be at for an append to go ahead:
 * 'any' (no check), 'no_stream' (no events yet), 'stream_exists' (at least one event), or exactly N.
 */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendOptions {
  /** Default 'any'. */
  expectedVersion?: ExpectedVersion;
}

/** One stream's part of an append. */
export interface AppendResult<E extends EventShape = EventShape> {
  stream: string;
  /** The stream's version after the append (pass it as expectedVersion next time). */
  nextExpectedVersion: number;
  /** Global position of this stream's last appended event; 0 when the part had no events. */
  position: number;
  /** True when these events were already stored by an earlier identical append (idempotent retry). */
  existed: boolean;
  events: RecordedEvent<E>[];
}

/** One stream of an atomic multi-stream append. */
export interface AppendItem<E extends EventShape = EventShape> {
  stream: string;
  events: readonly NewEvent<E>[];
  expectedVersion?: ExpectedVersion;
}

export interface AppendMultiResult<E extends EventShape = EventShape> {
  /** Highest global position written by the append (0 when nothing was written). */
  position: number;
  existed: boolean;
  streams: AppendResult<E>[];
}

export type Direction = 'forward' | 'backward';

export interface ReadStreamOptions {
  /** Default 'forward'. */
  direction?: Direction;
  /** Forward: first version (default 1). Backward: the version to start from, going down (default: last). */
  fromVersion?: number;
  /** Inclusive bound in the reading direction. */
  toVersion?: number;
  limit?: number;
}

export interface ReadAllOptions {
  /** Only events with position > after (default 0). */
  after?: number;
  /** Only events with position <= to. */
  to?: number;
  /** Default 1000. */
  limit?: number;
  /** Only streams whose name starts with this. */
  streamPrefix?: string;
  /** Only these event types. */
  types?: readonly string[];
}

export interface ReadAllPage<E extends EventShape = EventShape> {
  events: RecordedEvent<E>[];
  /**
   * Continue with `after: next`. It is past every event examined, including ones the filters
   * dropped, and never past an event that may still become visible.
   */
  next: number;
  /** True when `next` reached the readable head (or `to`): nothing more to read right now. */
  done: boolean;
}
