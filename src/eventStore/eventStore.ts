import type { Backend, Db } from '../db/database.ts';
import type { Notifications } from '../db/notifications.ts';
import { appendMulti, appendToStream } from './appendToStream.ts';
import { ContentStore } from './contentStore.ts';
import { head, lastPosition, positionAt, waitForVisible } from './head.ts';
import type { InlineProjection } from './inlineProjection.ts';
import { type AsyncProjection, ProjectionRunner, type ProjectionRunnerOptions } from './projectionRunner.ts';
import { readAll, readAllPage } from './readAll.ts';
import { readStream, streamVersion } from './readStream.ts';
import { type SubscribeOptions, type Subscription, subscribe } from './subscribe.ts';
import type {
  AppendItem,
  AppendMultiResult,
  AppendOptions,
  AppendResult,
  EventShape,
  NewEvent,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  RecordedEvent,
} from './types.ts';
import { type Upcaster, Upcasters } from './upcasters.ts';

/** What the event store needs of an open database (a DatabaseHandle from openDatabase fits). */
export interface EventStoreDatabase {
  db: Db;
  notifications: Notifications;
  backend: Backend;
}

export interface EventStoreOptions {
  upcasters?: Upcasters;
  /** Default safety re-check interval for subscriptions and projection runners (ms, default 5000). */
  fallbackMs?: number;
}

/** Options of `append`/`appendMulti` on the facade. */
export interface StoreAppendOptions extends AppendOptions {
  /** Append inside this transaction (nothing may have been written in it yet); the caller commits. */
  trx?: Db;
}

/**
 * The event store bound to one database, with its upcasters and inline projections. Every method
 * is a thin wrapper over the plain function of the same name in src/eventStore/.
 */
export class EventStore {
  readonly db: Db;
  readonly notifications: Notifications;
  readonly backend: Backend;
  readonly upcasters: Upcasters;
  readonly content: ContentStore;
  private readonly inline: InlineProjection[] = [];
  private readonly fallbackMs: number | undefined;

  constructor(database: EventStoreDatabase, options: EventStoreOptions = {}) {
    this.db = database.db;
    this.notifications = database.notifications;
    this.backend = database.backend;
    this.upcasters = options.upcasters ?? new Upcasters();
    this.content = new ContentStore(database.db);
    this.fallbackMs = options.fallbackMs;
  }

  /** Registers the upcaster `type` v`fromVersion` → v`fromVersion + 1`, applied on every read. */
  registerUpcaster(type: string, fromVersion: number, upcast: Upcaster): this {
    this.upcasters.register(type, fromVersion, upcast);
    return this;
  }

  /** Registers a projection run inside every append transaction that appends one of its types. */
  registerInlineProjection(projection: InlineProjection): this {
    if (this.inline.some((p) => p.name === projection.name)) {
      throw new Error(`inline projection ${projection.name} is already registered`);
    }
    this.inline.push(projection);
    return this;
  }

  get inlineProjections(): readonly InlineProjection[] {
    return this.inline;
  }

  append<E extends EventShape = EventShape>(
    stream: string,
    events: readonly NewEvent<E>[],
    options: StoreAppendOptions = {},
  ): Promise<AppendResult<E>> {
    return appendToStream<E>(options.trx ?? this.db, stream, events, options, this.context());
  }

  appendMulti<E extends EventShape = EventShape>(
    items: readonly AppendItem<E>[],
    options: { trx?: Db } = {},
  ): Promise<AppendMultiResult<E>> {
    return appendMulti<E>(options.trx ?? this.db, items, this.context());
  }

  readStream<E extends EventShape = EventShape>(
    stream: string,
    options?: ReadStreamOptions,
  ): Promise<RecordedEvent<E>[]> {
    return readStream<E>(this.db, stream, options, this.upcasters);
  }

  streamVersion(stream: string): Promise<number> {
    return streamVersion(this.db, stream);
  }

  readAll<E extends EventShape = EventShape>(options?: ReadAllOptions): Promise<RecordedEvent<E>[]> {
    return readAll<E>(this.db, options, this.upcasters);
  }

  readAllPage<E extends EventShape = EventShape>(options?: ReadAllOptions): Promise<ReadAllPage<E>> {
    return readAllPage<E>(this.db, options, this.upcasters);
  }

  /** The highest position a reader may safely see now. */
  head(): Promise<number> {
    return head(this.db);
  }

  /** The newest committed position (own writes included; not safe for checkpoints). */
  lastPosition(): Promise<number> {
    return lastPosition(this.db);
  }

  /** Resolves once `head()` has reached `position`. */
  waitForVisible(position: number, timeoutMs?: number): Promise<void> {
    return waitForVisible(this.db, position, timeoutMs);
  }

  /** The newest position recorded at or before `time`. */
  positionAt(time: Date): Promise<number> {
    return positionAt(this.db, time);
  }

  subscribe<E extends EventShape = EventShape>(options: SubscribeOptions = {}): Subscription<E> {
    return subscribe<E>(
      this.db,
      this.notifications,
      { fallbackMs: this.fallbackMs, ...options },
      this.upcasters,
    );
  }

  /** A runner for an async projection (call `start()` on it). */
  projection(projection: AsyncProjection, options: ProjectionRunnerOptions = {}): ProjectionRunner {
    return new ProjectionRunner(this, projection, {
      upcasters: this.upcasters,
      fallbackMs: this.fallbackMs,
      ...options,
    });
  }

  private context() {
    return { inlineProjections: this.inline, upcasters: this.upcasters };
  }
}

/** Convenience: `createEventStore(await openDatabase(...))`. */
export const createEventStore = (database: EventStoreDatabase, options?: EventStoreOptions): EventStore =>
  new EventStore(database, options);
