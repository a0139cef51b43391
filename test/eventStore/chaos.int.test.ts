import { expect, it } from 'vitest';
import { EventStore, newEventId, type RecordedEvent } from '../../src/eventStore/index.ts';
import { describePostgres, uniq } from '../support/backends.ts';

const writers = 8;
const transactionsPerWriter = 120;

/** A small deterministic PRNG per writer, so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePostgres(
  'event store: chaos',
  (backend) => {
    it(`${writers} concurrent writers, random transactions, some aborting: a subscriber from 0 sees every committed event once, in order`, async () => {
      const store = new EventStore(backend());
      const run = uniq('chaos');
      const committed = new Set<string>();
      const aborted = new Set<string>();

      const seen: RecordedEvent[] = [];
      const subscription = store.subscribe({
        after: 0,
        streamPrefix: run,
        batchSize: 200,
        fallbackMs: 30_000,
      });
      const consuming = (async () => {
        for await (const event of subscription) seen.push(event);
      })();

      // A second consumer that checkpoints by position with small pages, like a projection.
      const checkpointed: RecordedEvent[] = [];
      let writing = true;
      let pollDeadline = Number.POSITIVE_INFINITY;
      const polling = (async () => {
        let after = 0;
        for (;;) {
          const page = await store.readAllPage({ after, limit: 37, streamPrefix: run });
          checkpointed.push(...page.events);
          after = page.next;
          if (page.done) {
            if (!writing && (checkpointed.length >= committed.size || Date.now() > pollDeadline)) return;
            await sleep(2);
          }
        }
      })();

      const writer = async (w: number) => {
        const random = prng(w + 1);
        const own = `${run}/writer-${w}`;
        for (let t = 0; t < transactionsPerWriter; t++) {
          // now and then a long non-append transaction (holds an xid, delays visibility, must not cause skips)
          if (w === 0 && t % 20 === 0) {
            await store.db.transaction().execute(async (trx) => {
              await store.content.putMany([new TextEncoder().encode(`${run} ${t}`)], trx);
              await sleep(30);
            });
          }
          const count = 1 + Math.floor(random() * 25);
          const events = Array.from({ length: count }, () => ({
            id: newEventId(),
            type: 'Chaos',
            data: { w, t },
          }));
          const abort = random() < 0.15;
          const hold = Math.floor(random() * 8);
          const shape = random();
          try {
            if (!abort && hold < 3) {
              // plain appends (their own statement; NOTIFY after commit when others are in flight)
              if (shape < 0.2) {
                await store.appendMulti([
                  { stream: `${own}-a`, events: events.slice(0, 1) },
                  ...(count > 1 ? [{ stream: `${run}/shared-${t % 3}`, events: events.slice(1) }] : []),
                ]);
              } else {
                await store.append(shape < 0.6 ? own : `${run}/shared-${t % 5}`, events);
              }
              for (const e of events) committed.add(e.id);
              continue;
            }
            await store.db.transaction().execute(async (trx) => {
              if (shape < 0.2) {
                const half = Math.ceil(count / 2);
                await store.appendMulti(
                  [
                    { stream: `${own}-a`, events: events.slice(0, half) },
                    { stream: `${run}/shared-${t % 3}`, events: events.slice(half) },
                  ].filter((i) => i.events.length > 0),
                  { trx },
                );
              } else {
                await store.append(shape < 0.6 ? own : `${run}/shared-${t % 5}`, events, { trx });
              }
              if (hold > 0) await sleep(hold);
              if (abort) throw new Error('abort');
            });
            for (const e of events) committed.add(e.id);
          } catch (error) {
            if ((error as Error).message !== 'abort') throw error;
            for (const e of events) aborted.add(e.id);
          }
        }
      };
      await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
      const deadline = Date.now() + 30_000;
      pollDeadline = deadline;
      writing = false;

      while (seen.length < committed.size && Date.now() < deadline) await sleep(10);
      await subscription.close();
      await consuming;
      await polling;

      expect(committed.size).toBeGreaterThan(5_000);
      expect(aborted.size).toBeGreaterThan(0);
      for (const events of [seen, checkpointed]) {
        const ids = events.map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length); // never repeated
        expect(ids.length).toBe(committed.size); // never skipped
        expect(ids.every((id) => committed.has(id))).toBe(true); // aborted never
        const positions = events.map((e) => e.position);
        expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true); // global order
      }
      // per stream, versions are 1..n in order
      const byStream = new Map<string, number[]>();
      for (const e of seen) byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), e.version]);
      for (const versions of byStream.values()) expect(versions).toEqual(versions.map((_, i) => i + 1));
      // and a plain read from the start agrees
      const all: RecordedEvent[] = [];
      for (let after = 0; ; ) {
        const page = await store.readAllPage({ after, limit: 1000, streamPrefix: run });
        all.push(...page.events);
        after = page.next;
        if (page.done) break;
      }
      expect(all.map((e) => e.id)).toEqual(seen.map((e) => e.id));
      expect(subscription.wakeups.notify).toBeGreaterThan(0);
    }, 180_000);
  },
  { poolSize: 16 },
);
