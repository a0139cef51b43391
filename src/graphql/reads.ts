import type { Db } from '../db/database.ts';
import { headWatch, nextTurn } from '../eventStore/head.ts';
import { type AsOfCache, asOfCache } from '../projections/asOfCache.ts';

/**
 * One request's view of time, for reads served from the as-of cache (src/projections/asOfCache.ts).
 *
 * `stableAt(asOf)` says at which position a read the client asked for `asOf` may come from the
 * cache, or undefined when it must go to the database as before:
 * - `asOf` given: itself, once it is at or below a safe head (known to the process, or read now);
 *   a position still ahead of the safe head is read directly. Settled once per request.
 * - no `asOf` ("now"): the newest position, read by a statement sent after this request arrived
 *   (HeadWatch.fresh, shared with concurrent requests), so it includes every commit that completed
 *   before: the caller's own writes, through this server or any other on the database. Only when
 *   no commit is in flight below it (safe head = newest): otherwise "now" is read directly.
 * A query settles "now" once, so all its fields read the same state; a mutation settles it anew
 * after each write (src/graphql/mutation.ts).
 */
export class ReadScope {
  #now: Promise<number | undefined> | undefined;
  readonly #at = new Map<number, Promise<number | undefined>>();

  constructor(private readonly db: Db) {}

  /** After a write: the next read without asOf settles "now" again. */
  forgetNow(): void {
    this.#now = undefined;
  }

  get cache(): AsOfCache {
    return asOfCache(this.db);
  }

  stableAt(asOf: number | undefined): Promise<number | undefined> {
    const watch = headWatch(this.db);
    if (asOf === undefined) {
      this.#now ??= watch.fresh().then(
        (heads) => (heads.safe === heads.last ? heads.last : undefined),
        () => undefined,
      );
      return this.#now;
    }
    let at = this.#at.get(asOf);
    if (!at) {
      // A settled `asOf` needs no round trip, but answering it at once, request by request, measured
      // 15-20% slower under load than "now" reads, which wait for their shared head statement and so
      // run a turn's requests together: settled reads wait for the turn the same way (same-process
      // A/B, 64 connections).
      at =
        asOf <= watch.safe
          ? nextTurn().then(() => asOf)
          : watch.fresh().then(
              (heads) => (asOf <= heads.safe ? asOf : undefined),
              () => undefined,
            );
      this.#at.set(asOf, at);
    }
    return at;
  }
}
