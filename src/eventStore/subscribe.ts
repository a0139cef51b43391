import type { Db } from '../db/database.ts';
import type { Notifications } from '../db/notifications.ts';
import { readAllPage } from './readAll.ts';
import type { EventShape, RecordedEvent } from './types.ts';
import type { Upcasters } from './upcasters.ts';

/** The channel every append notifies (payload: its last position), inside its transaction or right after its commit. */
export const eventsChannel = 'strata_events';

export interface SubscribeOptions {
  /** Deliver events with position > after (default 0: from the beginning). */
  after?: number;
  streamPrefix?: string;
  types?: readonly string[];
  /** Events read per query (default 500). */
  batchSize?: number;
  /**
   * Safety re-check interval in ms (default 5000). Only a fallback: the normal wake-up is the
   * NOTIFY of each append; a re-check only re-reads from the cursor, it never skips.
   */
  fallbackMs?: number;
}

/** Catch-up then live stream of committed events in global order, each exactly once. */
export interface Subscription<E extends EventShape = EventShape> extends AsyncIterable<RecordedEvent<E>> {
  /** The cursor: everything at or below it has been delivered (or filtered out). */
  readonly position: number;
  /** Wake-ups so far: by NOTIFY, by short re-read while an announced position was not yet visible, by fallback. */
  readonly wakeups: { notify: number; retry: number; fallback: number };
  /** Ends the iteration (a pending `next()` resolves done) and releases the listener. */
  close(): Promise<void>;
}

/**
 * Subscribes to the global event order. Listens before the first read, so nothing committed
 * between the catch-up and the live phase is missed. Iterate it once.
 */
export function subscribe<E extends EventShape = EventShape>(
  db: Db,
  notifications: Notifications,
  options: SubscribeOptions = {},
  upcasters?: Upcasters,
): Subscription<E> {
  return new EventSubscription<E>(db, notifications, options, upcasters);
}

class EventSubscription<E extends EventShape> implements Subscription<E> {
  position: number;
  readonly wakeups = { notify: 0, retry: 0, fallback: 0 };
  private closed = false;
  private iterating = false;
  /** Set by every wake-up; cleared before each read, so a NOTIFY during a read is never lost. */
  private dirty = true;
  /** Highest position announced by NOTIFY. */
  private announced = 0;
  private wake: (() => void) | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly batchSize: number;
  private readonly fallbackMs: number;

  constructor(
    private readonly db: Db,
    private readonly notifications: Notifications,
    private readonly options: SubscribeOptions,
    private readonly upcasters: Upcasters | undefined,
  ) {
    this.position = options.after ?? 0;
    this.batchSize = options.batchSize ?? 500;
    this.fallbackMs = options.fallbackMs ?? 5_000;
  }

  private onNotify = (payload: string): void => {
    const position = Number(payload);
    if (Number.isSafeInteger(position) && position > this.announced) this.announced = position;
    this.dirty = true;
    this.wake?.();
  };

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent<E>> {
    if (this.iterating) throw new Error('a subscription can be iterated only once');
    this.iterating = true;
    try {
      if (this.closed) return;
      this.unlisten = await this.notifications.listen(eventsChannel, this.onNotify);
      let retryMs = 2;
      while (!this.closed) {
        this.dirty = false;
        const page = await readAllPage<E>(
          this.db,
          {
            after: this.position,
            limit: this.batchSize,
            streamPrefix: this.options.streamPrefix,
            types: this.options.types,
          },
          this.upcasters,
        );
        for (const event of page.events) {
          if (this.closed) return;
          this.position = event.position;
          yield event;
        }
        const progressed = page.next > this.position || page.events.length > 0;
        this.position = Math.max(this.position, page.next);
        if (!page.done || this.dirty) continue;
        if (progressed) retryMs = 2;
        if (this.announced > this.position) {
          // An append committed but an older transaction is still running, so its events are not
          // yet safe to read. Re-read shortly (bounded back-off); the older one may never notify.
          this.wakeups.retry++;
          await this.waitFor(retryMs);
          retryMs = Math.min(retryMs * 2, 250);
          continue;
        }
        if (!(await this.waitFor(this.fallbackMs))) this.wakeups.fallback++;
        else this.wakeups.notify++;
      }
    } finally {
      await this.close();
    }
  }

  /** Waits for a wake-up or the timeout; true when woken (NOTIFY or close). */
  private waitFor(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(true);
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.();
  }
}
