import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { perHandle } from '../db/openDatabase.ts';
import { safelyVisible } from './rows.ts';

/**
 * The highest position a reader may safely see: every event at or below it is committed or aborted
 * for good, so reading up to it never skips one that commits later. 0 when there are none.
 */
export async function head(db: Db): Promise<number> {
  const { rows } = await sql<{ head: number }>`
    select coalesce(max(position), 0) as head from events where ${safelyVisible}`.execute(db);
  return Number(rows[0]?.head ?? 0);
}

/**
 * The newest safely visible position recorded at or before `time` (0 when none): "the store as of
 * that time". `recorded_at` is taken under the append lock, so it never decreases along positions.
 */
export async function positionAt(db: Db, time: Date): Promise<number> {
  const { rows } = await sql<{ position: number }>`select strata_position_at(${time}) as position`.execute(
    db,
  );
  return Number(rows[0]?.position ?? 0);
}

/**
 * The newest committed position (may be ahead of `head()` while older transactions are in flight,
 * anywhere on the server). Right for "as of now, my own writes included"; never for checkpoints.
 */
export async function lastPosition(db: Db): Promise<number> {
  const { rows } = await sql<{
    position: number;
  }>`select coalesce(max(position), 0) as position from events`.execute(db);
  return Number(rows[0]?.position ?? 0);
}

/**
 * Resolves once `head()` has reached `position` (polling with a short back-off). The safe head can
 * lag a commit while any older writing transaction on the same server is still running, so use
 * this before reading the global order right after an append (readStream needs no waiting).
 * Rejects after `timeoutMs` (default 30 s).
 */
export async function waitForVisible(db: Db, position: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while ((await head(db)) < position) {
    if (Date.now() > deadline)
      throw new Error(`position ${position} did not become visible within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 50);
  }
}

/** The newest committed position and the newest safely visible one, read in one snapshot. */
export interface Heads {
  last: number;
  safe: number;
}

export async function heads(db: Db): Promise<Heads> {
  const { rows } = await sql<{ last: number; safe: number }>`
    select coalesce((select max(position) from events), 0) as last,
           coalesce((select max(position) from events where ${safelyVisible}), 0) as safe`.execute(db);
  return { last: Number(rows[0]?.last ?? 0), safe: Number(rows[0]?.safe ?? 0) };
}

/**
 * What one process knows of the heads of a database, for readers that want to serve "now" and
 * "as of P" from memory:
 * - `safe` only grows: every position at or below it stays committed-or-aborted for good, so
 *   anything read as of such a position never changes (it needs no database round trip to know);
 * - `fresh()` reads the heads with a statement sent after the call, so the answer includes every
 *   commit that completed before it, whichever process made it (a caller's own writes, through
 *   this server or another one on the same database).
 * Callers share statements: a read is sent one event-loop turn after it is first asked for, and
 * until then every new caller joins it, so requests that arrive together share one.
 */
export class HeadWatch {
  #safe = 0;
  #next: Promise<Heads> | undefined;

  constructor(private readonly db: Db) {}

  /** A lower bound of the safe head (0 before anything was read). */
  get safe(): number {
    return this.#safe;
  }

  fresh(): Promise<Heads> {
    this.#next ??= nextTurn()
      .then(() => {
        this.#next = undefined; // sent now: later callers need the next one
        return heads(this.db);
      })
      .then((read) => {
        if (read.safe > this.#safe) this.#safe = read.safe;
        return read;
      });
    return this.#next;
  }
}

let turn: Promise<void> | undefined;

/** Resolves in the next event-loop turn, one promise for every caller of this turn. */
export function nextTurn(): Promise<void> {
  turn ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  );
  return turn;
}

/** The process-wide HeadWatch of a database handle. */
export const headWatch = perHandle((db: Db) => new HeadWatch(db));
