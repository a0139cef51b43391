import { sql } from 'kysely';
import type { Backend, Db, Trx } from '../db/database.ts';
import type { Notifications } from '../db/notifications.ts';
import { ensureCheckpoint, lockCheckpoint, readCheckpoint, storeCheckpoint } from './checkpoints.ts';
import { head, lastPosition } from './head.ts';
import { readAllPage } from './readAll.ts';
import { eventsChannel } from './subscribe.ts';
import type { RecordedEvent } from './types.ts';
import type { Upcasters } from './upcasters.ts';

/**
 * A read model kept up to date outside the append path. Each batch is applied and its checkpoint
 * stored in ONE transaction, so every event is applied exactly once, also across crashes.
 * `apply` must only write read-model rows (never append events: an append must be the first write).
 */
export interface AsyncProjection {
  /** Unique; also the checkpoint's and the advisory lock's key. */
  name: string;
  /** Event types to apply (default: all). */
  handles?: readonly string[];
  streamPrefix?: string;
  /** Events per transaction (default 500). */
  batchSize?: number;
  apply(trx: Trx, events: RecordedEvent[]): Promise<void>;
  /** Empties the read model for a rebuild (runs in the transaction that resets the checkpoint to 0). */
  reset?(trx: Trx): Promise<void>;
}

export interface ProjectionRunnerOptions {
  upcasters?: Upcasters;
  /** Safety re-check interval in ms (default 5000); NOTIFY is the normal wake-up. */
  fallbackMs?: number;
  /** How often a standby runner retries to take the lock (default 2000 ms). */
  standbyRetryMs?: number;
  /** Called with every failure (apply errors, lost connections); the runner retries with back-off. */
  onError?: (error: unknown) => void;
}

/** What a runner needs of an open database (a DatabaseHandle fits). */
export interface RunnerDatabase {
  db: Db;
  notifications: Notifications;
  backend: Backend;
}

/** Advisory lock class of projection runners; the object id is hashtext(name). */
const projectionLockClass = 1398035024;

/** PGlite is one process by construction: its runners exclude each other in memory. */
const pgliteRunners = new WeakMap<Db, Set<string>>();

/**
 * Runs one async projection: catches up from its checkpoint, then follows new events (woken by
 * NOTIFY). On PostgreSQL it holds a session advisory lock on a dedicated pooled connection, so one
 * process runs a given projection at a time; others stay on standby and take over when it goes.
 */
export class ProjectionRunner {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private dirty = true;
  private resetRequest: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private readonly waiters = new Set<{ position: number; resolve: () => void }>();
  private checkpoint = 0;
  private holding = false;
  /** Highest position known to be committed (NOTIFY payloads, catchUp targets), maybe not yet safe. */
  private announced = 0;
  /** Last error seen (cleared by the next successful batch). */
  lastError: unknown;

  constructor(
    private readonly database: RunnerDatabase,
    readonly projection: AsyncProjection,
    private readonly options: ProjectionRunnerOptions = {},
  ) {}

  /** The checkpoint: every event at or below it has been applied. */
  get position(): number {
    return this.checkpoint;
  }

  /** True while this runner holds the projection's lock (false on standby). */
  get active(): boolean {
    return this.holding;
  }

  /** Starts the runner in the background (idempotent). */
  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** Resolves once the checkpoint is at or past `position`. */
  waitFor(position: number): Promise<void> {
    if (this.checkpoint >= position) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ position, resolve }));
  }

  /** Resolves once the projection has applied every event committed before the call. */
  async catchUp(): Promise<number> {
    this.start();
    const target = await lastPosition(this.database.db);
    this.announce(target);
    await this.waitFor(target);
    return this.checkpoint;
  }

  private announce(position: number): void {
    if (position > this.announced) this.announced = position;
    this.nudge();
  }

  /** Empties the read model (reset hook), sets the checkpoint to 0 and replays up to the current head. */
  async rebuild(): Promise<void> {
    this.start();
    await new Promise<void>((resolve, reject) => {
      this.resetRequest = { resolve, reject };
      this.nudge();
    });
    await this.catchUp();
  }

  /** Stops after the current batch and releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.nudge();
    await this.loop;
    this.loop = undefined;
  }

  private nudge(): void {
    this.dirty = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private advance(position: number): void {
    this.checkpoint = position;
    for (const waiter of this.waiters) {
      if (position >= waiter.position) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private async run(): Promise<void> {
    const unlisten = await this.database.notifications.listen(eventsChannel, (payload) => {
      const position = Number(payload);
      this.announce(Number.isSafeInteger(position) ? position : 0);
    });
    let backoffMs = 500;
    try {
      while (!this.stopping) {
        try {
          await this.withLock(async (conn) => {
            backoffMs = 500;
            await this.follow(conn);
          });
        } catch (error) {
          this.lastError = error;
          this.options.onError?.(error);
          await this.sleep(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 30_000);
        }
      }
    } finally {
      await unlisten();
    }
  }

  /** Runs `body` while holding the projection's lock; returns after a standby wait when it cannot. */
  private async withLock(body: (conn: Db) => Promise<void>): Promise<void> {
    const { db, backend } = this.database;
    const name = this.projection.name;
    if (backend === 'pglite') {
      let names = pgliteRunners.get(db);
      if (!names) {
        names = new Set();
        pgliteRunners.set(db, names);
      }
      if (names.has(name)) return this.sleep(this.options.standbyRetryMs ?? 2_000);
      names.add(name);
      this.holding = true;
      try {
        await body(db);
      } finally {
        this.holding = false;
        names.delete(name);
      }
      return;
    }
    await db.connection().execute(async (conn) => {
      const { rows } = await sql<{ locked: boolean }>`
        select pg_try_advisory_lock(${projectionLockClass}, hashtext(${name})) as locked`.execute(conn);
      if (!rows[0]?.locked) {
        await this.sleep(this.options.standbyRetryMs ?? 2_000);
        return;
      }
      this.holding = true;
      try {
        await body(conn);
      } finally {
        this.holding = false;
        // The session lock must not outlive this use of the pooled connection.
        await sql`select pg_advisory_unlock(${projectionLockClass}, hashtext(${name}))`
          .execute(conn)
          .catch(() => {});
      }
    });
  }

  private async follow(conn: Db): Promise<void> {
    const name = this.projection.name;
    await ensureCheckpoint(conn, name);
    this.advance(await readCheckpoint(conn, name));
    let retryMs = 2;
    while (!this.stopping) {
      if (this.resetRequest) {
        const request = this.resetRequest;
        this.resetRequest = undefined;
        try {
          await conn.transaction().execute(async (trx) => {
            await lockCheckpoint(trx, name);
            await this.projection.reset?.(trx);
            await storeCheckpoint(trx, name, 0);
          });
          this.checkpoint = 0;
          request.resolve();
        } catch (error) {
          request.reject(error);
          throw error;
        }
      }
      this.dirty = false;
      const target = await head(conn);
      if (target > this.checkpoint) {
        await this.applyBatch(conn);
        this.lastError = undefined;
        retryMs = 2;
        continue;
      }
      if (this.dirty || this.resetRequest) continue;
      if (this.announced > this.checkpoint) {
        // Committed but not yet safe to read (an older transaction is still running): re-check soon.
        await this.sleep(retryMs);
        retryMs = Math.min(retryMs * 2, 250);
        continue;
      }
      await this.sleep(this.options.fallbackMs ?? 5_000);
    }
  }

  private async applyBatch(conn: Db): Promise<void> {
    const { name, handles, streamPrefix, batchSize, apply } = this.projection;
    const next = await conn.transaction().execute(async (trx) => {
      // Re-read under a row lock: exact even if another runner slipped in (e.g. after a lost lock).
      const from = await lockCheckpoint(trx, name);
      const page = await readAllPage(
        trx,
        { after: from, limit: batchSize ?? 500, types: handles, streamPrefix },
        this.options.upcasters,
      );
      if (page.events.length > 0) await apply.call(this.projection, trx, page.events);
      if (page.next !== from) await storeCheckpoint(trx, name, page.next);
      return page.next;
    });
    this.advance(next);
  }
}
