import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { eventsChannel } from './subscribe.ts';

/**
 * Sends the events channel's NOTIFY right after an append has committed, in a transaction of its own.
 *
 * Why not inside the append transaction: PostgreSQL serialises the commits of notifying
 * transactions (a database-wide lock from pre-commit until the commit record is flushed), so
 * concurrent appends would fsync one by one instead of sharing a group commit. A notify-only
 * transaction writes no WAL that needs flushing, so this costs one short round trip.
 *
 * Appends committing while a NOTIFY is in flight share the next one (it carries the highest
 * position). `announce` resolves once a NOTIFY sent after the call has completed, so the caller's
 * next read is not held back by it. If the process dies between a commit and its NOTIFY,
 * subscribers find the events at their next re-check: later, never lost.
 */
class Notifier {
  private pending = 0;
  private waiters: (() => void)[] = [];
  private flushing = false;

  constructor(private readonly db: Db) {}

  announce(position: number): Promise<void> {
    if (position > this.pending) this.pending = position;
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (!this.flushing) void this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiters.length > 0) {
        const waiting = this.waiters;
        this.waiters = [];
        await sql`select pg_notify(${eventsChannel}, ${String(this.pending)})`
          .execute(this.db)
          .catch(() => {});
        for (const resolve of waiting) resolve();
      }
    } finally {
      this.flushing = false;
    }
  }
}

const notifiers = new WeakMap<Db, Notifier>();

/** NOTIFYs `position` on the events channel (after the append's commit), coalescing concurrent calls. */
export function announceAfterCommit(db: Db, position: number): Promise<void> {
  let notifier = notifiers.get(db);
  if (!notifier) {
    notifier = new Notifier(db);
    notifiers.set(db, notifier);
  }
  return notifier.announce(position);
}
