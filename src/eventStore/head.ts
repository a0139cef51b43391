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
  const { rows } = await sql<{ position: number }>`
    select position from events
     where recorded_at <= ${time} and ${safelyVisible}
     order by recorded_at desc, position desc
     limit 1`.execute(db);
  return Number(rows[0]?.position ?? 0);
}
