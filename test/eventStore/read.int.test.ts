import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/db/openDatabase.ts';
import { appendToStream, EventStore, newEventId, Upcasters } from '../../src/eventStore/index.ts';
import { describeEachBackend, describePostgres, uniq } from '../support/backends.ts';

const ev = (n: number, type = 'Thing') =>
  Array.from({ length: n }, (_, i) => ({ id: newEventId(), type, data: { i } }));

describeEachBackend('event store: reads', (backend) => {
  const store = () => new EventStore(backend());

  it('readStream: forward and backward with version bounds and limits', async () => {
    const s = uniq('rs');
    await store().append(s, ev(10));
    const versions = async (o: Parameters<EventStore['readStream']>[1]) =>
      (await store().readStream(s, o)).map((e) => e.version);
    expect(await versions({})).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await versions({ fromVersion: 4, toVersion: 6 })).toEqual([4, 5, 6]);
    expect(await versions({ fromVersion: 8, limit: 2 })).toEqual([8, 9]);
    expect(await versions({ direction: 'backward', limit: 3 })).toEqual([10, 9, 8]);
    expect(await versions({ direction: 'backward', fromVersion: 5, toVersion: 3 })).toEqual([5, 4, 3]);
    expect(await versions({ limit: 0 })).toEqual([]);
    expect(await store().readStream(uniq('missing'))).toEqual([]);
  });

  it('readAll: global order, after/to/limit, stream prefix and type filters', async () => {
    const p = uniq('ra');
    const start = await store().head();
    await store().appendMulti([
      { stream: `${p}/a`, events: ev(3, 'A') },
      { stream: `${p}/b`, events: ev(2, 'B') },
    ]);
    await store().append(`${p}/a`, ev(2, 'C'));
    await store().waitForVisible((await store().append(`${uniq('elsewhere')}`, ev(2, 'A'))).position);
    const all = await store().readAll({ after: start, limit: 100 });
    expect(all.length).toBe(9);
    const positions = all.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(new Set(positions).size).toBe(9);

    const mine = await store().readAll({ after: start, streamPrefix: `${p}/` });
    expect(mine.map((e) => `${e.stream.slice(-1)}${e.type}`)).toEqual([
      'aA',
      'aA',
      'aA',
      'bB',
      'bB',
      'aC',
      'aC',
    ]);
    const typed = await store().readAll({ after: start, types: ['B', 'C'], streamPrefix: p });
    expect(typed.map((e) => e.type)).toEqual(['B', 'B', 'C', 'C']);

    const page = await store().readAllPage({ after: start, limit: 4 });
    expect(page.events.length).toBe(4);
    expect(page.done).toBe(false);
    const rest = await store().readAllPage({ after: page.next, limit: 100 });
    expect([...page.events, ...rest.events].map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(rest.done).toBe(true);

    // a filtered page moves its cursor past the events it dropped
    const sparse = await store().readAllPage({ after: start, types: ['nothing-has-this-type'] });
    expect(sparse.events).toEqual([]);
    expect(sparse.next).toBe(await store().head());

    const bounded = await store().readAll({ after: start, to: positions[2]! });
    expect(bounded.map((e) => e.position)).toEqual(positions.slice(0, 3));
  });

  it('head and positionAt', async () => {
    const before = new Date(Date.now() - 1000);
    const r1 = await store().append(uniq('h'), ev(2));
    await store().waitForVisible(r1.position);
    expect(await store().head()).toBeGreaterThanOrEqual(r1.position);
    expect(await store().lastPosition()).toBeGreaterThanOrEqual(r1.position);
    const at = await store().positionAt(r1.events[0]!.recordedAt);
    expect(at).toBeGreaterThanOrEqual(r1.position);
    await new Promise((r) => setTimeout(r, 20));
    const r2 = await store().append(uniq('h'), ev(1));
    await store().waitForVisible(r2.position);
    expect(await store().positionAt(new Date(r2.events[0]!.recordedAt.getTime() - 10))).toBeLessThan(
      r2.position,
    );
    expect(await store().positionAt(r2.events[0]!.recordedAt)).toBe(r2.position);
    expect(await store().positionAt(new Date(0))).toBe(0);
    expect(await store().positionAt(before)).toBeLessThan(r1.position);
  });

  it('an aborted append is never visible, its positions are simply skipped', async () => {
    const s = uniq('abort');
    const before = await store().head();
    await store()
      .db.transaction()
      .execute(async (trx) => {
        await store().append(s, ev(3), { trx });
        throw new Error('abort');
      })
      .catch(() => {});
    const after = await store().append(s, ev(1));
    await store().waitForVisible(after.position);
    const all = await store().readAll({ after: before });
    expect(all.map((e) => e.stream)).toEqual([s]);
    expect(all[0]!.version).toBe(1);
    expect(after.position).toBeGreaterThan(before);
  });

  it('upcasts on every read path, chaining versions', async () => {
    const upcasters = new Upcasters()
      .register('Renamed', 1, (data: { name: string }) => ({
        first: data.name.split(' ')[0],
        last: data.name.split(' ')[1],
      }))
      .register('Renamed', 2, (data: { first: string; last: string }) => ({
        ...data,
        display: `${data.last}, ${data.first}`,
      }));
    const upcasting = new EventStore(backend(), { upcasters });
    const s = uniq('up');
    const start = await upcasting.head();
    const appended = await upcasting.append(s, [
      { type: 'Renamed', data: { name: 'Ada Lovelace' } },
      { type: 'Renamed', data: { first: 'Alan', last: 'Turing' }, metadata: { schemaVersion: 2 } },
      { type: 'Renamed', data: { first: 'G', last: 'H', display: 'H, G' }, metadata: { schemaVersion: 3 } },
      { type: 'Other', data: { name: 'x y' } },
    ]);
    const expected = [
      { data: { first: 'Ada', last: 'Lovelace', display: 'Lovelace, Ada' }, v: 3 },
      { data: { first: 'Alan', last: 'Turing', display: 'Turing, Alan' }, v: 3 },
      { data: { first: 'G', last: 'H', display: 'H, G' }, v: 3 },
      { data: { name: 'x y' }, v: 1 },
    ];
    const shape = (events: { data: unknown; metadata: { schemaVersion: number } }[]) =>
      events.map((e) => ({ data: e.data, v: e.metadata.schemaVersion }));
    expect(shape(await upcasting.readStream(s))).toEqual(expected);
    await upcasting.waitForVisible(appended.position);
    expect(shape(await upcasting.readAll({ after: start, streamPrefix: s }))).toEqual(expected);
    const sub = upcasting.subscribe({ after: start, streamPrefix: s });
    const seen: { data: unknown; metadata: { schemaVersion: number } }[] = [];
    for await (const e of sub) {
      seen.push(e);
      if (seen.length === 4) break;
    }
    expect(shape(seen)).toEqual(expected);
    // stored as written
    expect((await store().readStream(s))[0]!.data).toEqual({ name: 'Ada Lovelace' });
  });
});

describePostgres('event store: visibility under concurrency', (backend) => {
  it('a committed append stays invisible while an older append is in flight; then both appear in order', async () => {
    const store = new EventStore(backend());
    const start = await store.head();
    const slow = await store.db.startTransaction().execute();
    const older = await store.append(uniq('older'), ev(1), { trx: slow });
    const newer = await store.append(uniq('newer'), ev(1));
    expect(newer.position).toBeGreaterThan(older.position);
    // the newer one is committed, but reading it now would let a checkpoint skip the older one
    expect(await store.readAll({ after: start })).toEqual([]);
    expect(await store.head()).toBeLessThan(older.position);
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from events where position = ${newer.position}`.execute(store.db);
    expect(rows[0]!.n).toBe(1); // plainly visible to SQL, just not yet safe
    await slow.commit().execute();
    await store.waitForVisible(newer.position); // other writers on the server may hold it back a moment
    const all = await store.readAll({ after: start });
    expect(all.map((e) => e.position)).toEqual([older.position, newer.position]);
  });

  it('uncommitted events are invisible to readers on other connections', async () => {
    const store = new EventStore(backend());
    const s = uniq('uncommitted');
    const trx = await store.db.startTransaction().execute();
    await store.append(s, ev(2), { trx });
    expect(await store.readStream(s)).toEqual([]);
    expect(await store.streamVersion(s)).toBe(0);
    await trx.rollback().execute();
    expect(await store.readStream(s)).toEqual([]);
  });

  it('concurrent writers to one stream: exactly one wins each version, the loser gets the actual version', async () => {
    const store = new EventStore(backend());
    const s = uniq('race');
    await store.append(s, ev(1));
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => store.append(s, ev(1), { expectedVersion: 1 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONCURRENCY', actual: 2 });
    }
    // 'any' never loses
    const anys = await Promise.all(Array.from({ length: 6 }, () => store.append(s, ev(1))));
    expect(anys.map((r) => r.nextExpectedVersion).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('concurrent retries of the same append store it once', async () => {
    const store = new EventStore(backend());
    const s = uniq('retries');
    const events = ev(2);
    const results = await Promise.all(Array.from({ length: 5 }, () => store.append(s, events)));
    expect(results.filter((r) => !r.existed).length).toBe(1);
    expect(new Set(results.map((r) => r.position)).size).toBe(1);
    expect(await store.streamVersion(s)).toBe(2);
  });

  it('a statement cancelled while holding the append lock releases it (no leak into the pool)', async () => {
    const store = new EventStore(backend());
    const s = uniq('cancel');
    const blocker = await store.db.startTransaction().execute();
    await store.append(s, ev(1), { trx: blocker }); // s@1 uncommitted: a second s@1 waits on it
    const error = await store.db
      .connection()
      .execute(async (conn) => {
        await sql`set statement_timeout = 300`.execute(conn);
        try {
          // waits on the unique index while holding the append lock, then is cancelled
          return await appendToStream(conn, s, ev(1), { expectedVersion: 0 });
        } finally {
          await sql`reset statement_timeout`.execute(conn);
        }
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '57014' }); // query_canceled
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = 1398035009`.execute(
      store.db,
    );
    expect(rows[0]!.n).toBe(0);
    // other appends are not blocked
    await store.append(uniq('free'), ev(1));
    await blocker.rollback().execute();
    expect((await store.append(s, ev(1), { expectedVersion: 0 })).nextExpectedVersion).toBe(1);
  });

  it('a second handle on the same database sees the same store', async () => {
    const other = await openDatabase({ databaseUrl: backend().databaseUrl! });
    try {
      const s = uniq('shared');
      await new EventStore(backend()).append(s, ev(1));
      expect((await new EventStore(other).readStream(s)).length).toBe(1);
    } finally {
      await other.close();
    }
  });
});
