import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import type { Db, Trx } from '../../src/db/database.ts';
import {
  type AsyncProjection,
  EventStore,
  newEventId,
  ProjectionRunner,
  type RecordedEvent,
  readCheckpoint,
} from '../../src/eventStore/index.ts';
import { describeEachBackend, uniq } from '../support/backends.ts';

const ev = (n: number, type = 'Counted') =>
  Array.from({ length: n }, (_, i) => ({ id: newEventId(), type, data: { i } }));

async function counts(db: Db, table: string, prefix: string): Promise<Record<string, number>> {
  const { rows } = await sql<{ stream: string; n: number }>`
    select stream, n from ${sql.table(table)} where stream like ${`${prefix}%`} order by stream`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.stream, Number(r.n)]));
}

/** Counts applied events per stream, and records every applied event id (a repeat would violate the key). */
function countingProjection(
  name: string,
  table: string,
  options: Partial<AsyncProjection> = {},
): AsyncProjection {
  return {
    name,
    handles: ['Counted'],
    async apply(trx: Trx, events: RecordedEvent[]) {
      for (const e of events) {
        await sql`insert into ${sql.table(`${table}_seen`)} (id) values (${e.id})`.execute(trx);
        await sql`insert into ${sql.table(table)} (stream, n) values (${e.stream}, 1)
                  on conflict (stream) do update set n = ${sql.table(table)}.n + 1`.execute(trx);
      }
    },
    async reset(trx: Trx) {
      await sql`delete from ${sql.table(table)}`.execute(trx);
      await sql`delete from ${sql.table(`${table}_seen`)}`.execute(trx);
    },
    ...options,
  };
}

describeEachBackend('event store: projections', (backend) => {
  const store = () => new EventStore(backend());

  beforeAll(async () => {
    for (const t of ['inline_counts', 'async_counts', 'async_counts2']) {
      await sql`create table ${sql.table(t)} (stream text primary key, n int not null)`.execute(backend().db);
      await sql`create table ${sql.table(`${t}_seen`)} (id uuid primary key)`.execute(backend().db);
    }
  });

  it('inline projections run in the append transaction: read your writes, roll back together', async () => {
    const inline = countingProjection('inline', 'inline_counts');
    const s = store().registerInlineProjection({ name: 'inline', handles: ['Counted'], apply: inline.apply });
    const p = uniq('in');
    const events = ev(3);
    await s.append(`${p}/1`, events);
    expect(await counts(s.db, 'inline_counts', p)).toEqual({ [`${p}/1`]: 3 });
    // events of other types do not reach it
    await s.append(`${p}/1`, ev(2, 'Ignored'));
    expect(await counts(s.db, 'inline_counts', p)).toEqual({ [`${p}/1`]: 3 });
    // an idempotent retry does not apply twice
    expect((await s.append(`${p}/1`, events)).existed).toBe(true);
    expect(await counts(s.db, 'inline_counts', p)).toEqual({ [`${p}/1`]: 3 });
    // a failing projection fails the append: nothing stored
    s.registerInlineProjection({
      name: 'fails',
      handles: ['Counted'],
      apply: async () => {
        throw new Error('projection failed');
      },
    });
    await expect(s.append(`${p}/2`, ev(1))).rejects.toThrow('projection failed');
    expect(await s.streamVersion(`${p}/2`)).toBe(0);
    expect(await counts(s.db, 'inline_counts', p)).toEqual({ [`${p}/1`]: 3 });
  });

  it('async projections apply every event exactly once across restarts, failures and rebuilds', async () => {
    const p = uniq('as');
    const name = uniq('proj');
    let failNext = 1;
    const projection = countingProjection(name, 'async_counts', {
      streamPrefix: `${p}/`,
      batchSize: 7,
      async apply(trx, events) {
        await countingProjection(name, 'async_counts').apply(trx, events);
        if (failNext > 0) {
          failNext--;
          throw new Error('transient failure after writing'); // rolled back with its checkpoint
        }
      },
    });
    const errors: unknown[] = [];
    await store().append(`${p}/a`, ev(10));
    await store().append(`${uniq('other')}`, ev(5));
    const runner = store()
      .projection(projection, { onError: (e) => errors.push(e), fallbackMs: 30_000 })
      .start();
    await store().appendMulti([
      { stream: `${p}/a`, events: ev(5) },
      { stream: `${p}/b`, events: ev(4) },
    ]);
    await runner.catchUp();
    expect(errors.length).toBe(1);
    expect(await counts(store().db, 'async_counts', p)).toEqual({ [`${p}/a`]: 15, [`${p}/b`]: 4 });
    expect(await readCheckpoint(store().db, name)).toBe(runner.position);
    await runner.stop();

    // events appended while stopped are picked up by the next runner, from the stored checkpoint
    await store().append(`${p}/b`, ev(3));
    const next = store().projection(projection, { fallbackMs: 30_000 }).start();
    const last = await store().append(`${p}/c`, ev(2));
    await next.waitFor(last.position);
    expect(await counts(store().db, 'async_counts', p)).toEqual({
      [`${p}/a`]: 15,
      [`${p}/b`]: 7,
      [`${p}/c`]: 2,
    });

    // rebuild: reset hook + replay from zero gives the same read model
    await next.rebuild();
    expect(await counts(store().db, 'async_counts', p)).toEqual({
      [`${p}/a`]: 15,
      [`${p}/b`]: 7,
      [`${p}/c`]: 2,
    });
    expect(next.position).toBeGreaterThanOrEqual(last.position);
    await next.stop();
  });

  it('one runner per projection at a time: the other stands by and takes over', async () => {
    const p = uniq('lock');
    const name = uniq('single');
    const projection = countingProjection(name, 'async_counts2', { streamPrefix: `${p}/` });
    const first = store().projection(projection, { standbyRetryMs: 50, fallbackMs: 30_000 }).start();
    await first.catchUp();
    const second = new ProjectionRunner(backend(), projection, {
      standbyRetryMs: 50,
      fallbackMs: 30_000,
    }).start();
    await new Promise((r) => setTimeout(r, 200));
    expect(first.active).toBe(true);
    expect(second.active).toBe(false);
    await store().append(`${p}/x`, ev(3));
    await first.catchUp();
    await first.stop();
    const later = await store().append(`${p}/x`, ev(2));
    await second.waitFor(later.position);
    expect(second.active).toBe(true);
    expect(await counts(store().db, 'async_counts2', p)).toEqual({ [`${p}/x`]: 5 });
    await second.stop();
  });
});
