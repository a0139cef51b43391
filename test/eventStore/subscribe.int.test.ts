import { expect, it } from 'vitest';
import { EventStore, newEventId, type RecordedEvent } from '../../src/eventStore/index.ts';
import { describeEachBackend, uniq } from '../support/backends.ts';

const ev = (n: number, type = 'Thing') =>
  Array.from({ length: n }, (_, i) => ({ id: newEventId(), type, data: { i } }));

/** Collects `count` events from an iterator (leaving it open for more). */
async function take(iterator: AsyncIterator<RecordedEvent>, count: number): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

describeEachBackend('event store: subscriptions', (backend) => {
  const store = () => new EventStore(backend());

  it('catches up, then follows live appends, each event once and in order', async () => {
    const p = uniq('sub');
    const start = await store().head();
    await store().append(`${p}/1`, ev(5));
    const sub = store().subscribe({ after: start, streamPrefix: p, batchSize: 2, fallbackMs: 30_000 });
    const it = sub[Symbol.asyncIterator]();
    const caught = await take(it, 5);
    expect(caught.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
    const live = take(it, 6);
    await store().append(`${p}/2`, ev(3));
    await store().append(`${p}/1`, ev(3));
    const followed = await live;
    expect(followed.map((e) => `${e.stream.slice(-1)}:${e.version}`)).toEqual([
      '2:1',
      '2:2',
      '2:3',
      '1:6',
      '1:7',
      '1:8',
    ]);
    const all = [...caught, ...followed].map((e) => e.position);
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(new Set(all).size).toBe(all.length);
    expect(sub.position).toBe(all.at(-1));
    await sub.close();
    expect((await it.next()).done).toBe(true);
  });

  it('filters by type and starts after the given position', async () => {
    const p = uniq('filt');
    const first = await store().append(`${p}/x`, [...ev(2, 'Keep'), ...ev(2, 'Drop')]);
    await store().append(`${p}/x`, [...ev(1, 'Drop'), ...ev(1, 'Keep')]);
    const sub = store().subscribe({ after: first.events[0]!.position, streamPrefix: p, types: ['Keep'] });
    const it = sub[Symbol.asyncIterator]();
    const got = await take(it, 2);
    expect(got.map((e) => e.version)).toEqual([2, 6]);
    await sub.close();
  });

  it('a live subscriber is woken by NOTIFY, long before the fallback re-check', async () => {
    const p = uniq('live');
    const sub = store().subscribe({ after: await store().head(), streamPrefix: p, fallbackMs: 30_000 });
    const it = sub[Symbol.asyncIterator]();
    const next = it.next();
    await new Promise((r) => setTimeout(r, 100)); // the subscriber is now waiting, caught up
    const appendedAt = Date.now();
    await store().append(`${p}/1`, ev(1));
    const result = await next;
    expect(result.done).toBe(false);
    expect((result.value as RecordedEvent).stream).toBe(`${p}/1`);
    expect(Date.now() - appendedAt).toBeLessThan(30_000);
    expect(sub.wakeups.fallback).toBe(0);
    expect(sub.wakeups.notify).toBeGreaterThanOrEqual(1);
    await sub.close();
  });

  it('an append inside a caller transaction wakes subscribers when that transaction commits', async () => {
    const p = uniq('trxlive');
    const sub = store().subscribe({ after: await store().head(), streamPrefix: p, fallbackMs: 30_000 });
    const it = sub[Symbol.asyncIterator]();
    const next = it.next();
    await new Promise((r) => setTimeout(r, 100));
    await store()
      .db.transaction()
      .execute(async (trx) => {
        await store().append(`${p}/1`, ev(2), { trx });
      });
    expect(((await next).value as RecordedEvent).version).toBe(1);
    expect(((await it.next()).value as RecordedEvent).version).toBe(2);
    expect(sub.wakeups.fallback).toBe(0);
    await sub.close();
  });

  it('breaking out of for-await releases the subscription', async () => {
    const p = uniq('brk');
    await store().append(`${p}/1`, ev(3));
    const sub = store().subscribe({ streamPrefix: p });
    let n = 0;
    for await (const _ of sub) if (++n === 2) break;
    expect(n).toBe(2);
    expect(sub.position).toBeGreaterThan(0);
  });
});
