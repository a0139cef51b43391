import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
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
