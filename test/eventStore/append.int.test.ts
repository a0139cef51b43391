import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isStrataError } from '../../src/domain/errors.ts';
import {
  ConcurrencyError,
  DuplicateEventIdError,
  EventStore,
  type ExpectedVersion,
  newEventId,
} from '../../src/eventStore/index.ts';
import { describeEachBackend, uniq } from '../support/backends.ts';

const ev = (n: number, type = 'Thing') =>
  Array.from({ length: n }, (_, i) => ({ id: newEventId(), type, data: { i } }));

async function countEvents(store: EventStore, stream?: string): Promise<number> {
  let q = store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n'));
  if (stream) q = q.where('stream', '=', stream);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

describeEachBackend('event store: append', (backend) => {
  const store = () => new EventStore(backend());

  it('numbers a stream from version 1 and positions increase globally', async () => {
    const s = uniq('s');
    const first = await store().append(s, ev(1));
    expect(first.nextExpectedVersion).toBe(1);
    expect(first.events[0]!.version).toBe(1);
    const more = await store().append(s, ev(3), { expectedVersion: 1 });
    expect(more.nextExpectedVersion).toBe(4);
    expect(more.events.map((e) => e.version)).toEqual([2, 3, 4]);
    expect(more.events[0]!.position).toBeGreaterThan(first.position);
    expect(more.events.map((e) => e.position - more.events[0]!.position)).toEqual([0, 1, 2]);
    expect(more.position).toBe(more.events[2]!.position);
    expect(await store().streamVersion(s)).toBe(4);
    expect(await store().streamVersion(uniq('none'))).toBe(0);
  });

  // state: the stream's version before the append (0 = no stream)
  const matrix: { state: number; expected: ExpectedVersion; ok: boolean }[] = [
    { state: 0, expected: 'any', ok: true },
    { state: 0, expected: 'no_stream', ok: true },
    { state: 0, expected: 'stream_exists', ok: false },
    { state: 0, expected: 0, ok: true },
    { state: 0, expected: 1, ok: false },
    { state: 2, expected: 'any', ok: true },
    { state: 2, expected: 'no_stream', ok: false },
    { state: 2, expected: 'stream_exists', ok: true },
    { state: 2, expected: 2, ok: true },
    { state: 2, expected: 1, ok: false },
    { state: 2, expected: 0, ok: false },
    { state: 2, expected: 5, ok: false },
  ];
  it.each(matrix)(
    'expected version $expected on a stream at $state → ok=$ok',
    async ({ state, expected, ok }) => {
      const s = uniq('m');
      if (state > 0) await store().append(s, ev(state));
      const attempt = store().append(s, ev(2), { expectedVersion: expected });
      if (ok) {
        const result = await attempt;
        expect(result.nextExpectedVersion).toBe(state + 2);
        expect(await store().streamVersion(s)).toBe(state + 2);
      } else {
        const error = await attempt.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ConcurrencyError);
        const conflict = error as ConcurrencyError;
        expect(conflict.code).toBe('CONCURRENCY');
        expect(isStrataError(conflict)).toBe(true);
        expect(conflict.expected).toEqual(expected);
        expect(conflict.actual).toBe(state);
        expect(conflict.details).toMatchObject({ stream: s, expected, actual: state });
        expect(await store().streamVersion(s)).toBe(state);
      }
    },
  );

  it.each<ExpectedVersion>(['any', 'no_stream', 0])(
    'an identical retry (expected %s) returns the original result and stores nothing',
    async (expectedVersion) => {
      const s = uniq('idem');
      const events = ev(3);
      const original = await store().append(s, events, { expectedVersion });
      const before = await countEvents(store());
      const retry = await store().append(s, events, { expectedVersion });
      expect(retry.existed).toBe(true);
      expect(original.existed).toBe(false);
      expect(retry.position).toBe(original.position);
      expect(retry.nextExpectedVersion).toBe(3);
      expect(retry.events.map((e) => [e.id, e.version, e.position])).toEqual(
        original.events.map((e) => [e.id, e.version, e.position]),
      );
      expect(await countEvents(store())).toBe(before);
    },
  );

  it('a retry after later appends to the stream is still recognised (exact expected version)', async () => {
    const s = uniq('idem2');
    const events = ev(2);
    const original = await store().append(s, events, { expectedVersion: 'no_stream' });
    await store().append(s, ev(1), { expectedVersion: 2 });
    const retry = await store().append(s, events, { expectedVersion: 'no_stream' });
    expect(retry.existed).toBe(true);
    expect(retry.position).toBe(original.position);
    expect(await store().streamVersion(s)).toBe(3);
  });

  it('an id stored at another place is a typed error, never a silent drop', async () => {
    const s = uniq('dup');
    const [a, b] = ev(2);
    await store().append(s, [a!]);
    // another stream
    const other = await store()
      .append(uniq('other'), [a!])
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(DuplicateEventIdError);
    expect((other as DuplicateEventIdError).code).toBe('CONFLICT');
    expect((other as DuplicateEventIdError).details).toMatchObject({
      eventId: a!.id,
      storedStream: s,
      storedVersion: 1,
    });
    // same stream, another version
    await store().append(s, [b!]);
    const moved = await store()
      .append(s, [a!], { expectedVersion: 2 })
      .catch((e: unknown) => e);
    expect(moved).toBeInstanceOf(DuplicateEventIdError);
    // with 'any' the same stream is the same place: a late retry of the first append
    expect((await store().append(s, [a!])).existed).toBe(true);
    // partly stored: the old id with a new one
    const partial = await store()
      .append(s, [b!, ...ev(1)])
      .catch((e: unknown) => e);
    expect(partial).toBeInstanceOf(DuplicateEventIdError);
    // a retry claiming a wrong expected version is not the same append
    const wrongExpectation = await store()
      .append(s, [a!], { expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(wrongExpectation).toBeInstanceOf(DuplicateEventIdError);
    expect(await store().streamVersion(s)).toBe(2);
  });

  it('rejects ids repeated inside one append and invalid input before touching the database', async () => {
    const [a] = ev(1);
    await expect(store().append(uniq('v'), [a!, a!])).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(store().append(uniq('v'), [{ id: 'nope', type: 'T', data: {} }])).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(store().append('', ev(1))).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(store().append(uniq('v'), ev(1), { expectedVersion: -1 })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });

  it('appendMulti is atomic: a conflict in one stream appends nothing anywhere', async () => {
    const [s1, s2, s3] = [uniq('a'), uniq('b'), uniq('c')];
    await store().append(s2, ev(1));
    const before = await countEvents(store());
    const error = await store()
      .appendMulti([
        { stream: s1, events: ev(2), expectedVersion: 'no_stream' },
        { stream: s2, events: ev(1), expectedVersion: 'no_stream' },
        { stream: s3, events: ev(1) },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect((error as ConcurrencyError).stream).toBe(s2);
    expect(await countEvents(store())).toBe(before);
    expect(await store().streamVersion(s1)).toBe(0);

    const ok = await store().appendMulti([
      { stream: s1, events: ev(2), expectedVersion: 'no_stream' },
      { stream: s2, events: ev(1), expectedVersion: 1 },
    ]);
    expect(ok.streams.map((r) => r.nextExpectedVersion)).toEqual([2, 2]);
    const positions = ok.streams.flatMap((r) => r.events.map((e) => e.position));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(positions.at(-1)! - positions[0]!).toBe(2);
    expect(ok.position).toBe(positions.at(-1));
  });

  it('appendMulti retried as a whole is idempotent', async () => {
    const items = [
      { stream: uniq('m1'), events: ev(2), expectedVersion: 'no_stream' as const },
      { stream: uniq('m2'), events: ev(1), expectedVersion: 'no_stream' as const },
    ];
    const first = await store().appendMulti(items);
    const again = await store().appendMulti(items);
    expect(again.existed).toBe(true);
    expect(again.position).toBe(first.position);
  });

  it('appends inside a caller transaction: committed with it, gone with its rollback', async () => {
    const s = uniq('trx');
    await store()
      .db.transaction()
      .execute(async (trx) => {
        await store().append(s, ev(2), { trx });
      });
    expect(await store().streamVersion(s)).toBe(2);
    await store()
      .db.transaction()
      .execute(async (trx) => {
        await store().append(s, ev(1), { trx, expectedVersion: 2 });
        throw new Error('abort');
      })
      .catch(() => {});
    expect(await store().streamVersion(s)).toBe(2);
  });

  it('refuses an append that is not the first write of its transaction', async () => {
    const error = await store()
      .db.transaction()
      .execute(async (trx) => {
        await sql`create temp table if not exists scratch_first_write (x int)`.execute(trx);
        await sql`insert into scratch_first_write values (1)`.execute(trx);
        await store().append(uniq('late'), ev(1), { trx });
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION' });
  });

  it('stores metadata (known and free keys) with schemaVersion defaulting to 1', async () => {
    const s = uniq('meta');
    await store().append(s, [
      {
        type: 'T',
        data: { x: 1 },
        metadata: {
          correlationId: 'c1',
          causationId: 'k1',
          sessionId: 'sess',
          actor: 'alice',
          custom: [1, 2],
        },
      },
      { type: 'T', data: null, metadata: { schemaVersion: 3 } },
    ]);
    const [a, b] = await store().readStream(s);
    expect(a!.metadata).toEqual({
      correlationId: 'c1',
      causationId: 'k1',
      sessionId: 'sess',
      actor: 'alice',
      custom: [1, 2],
      schemaVersion: 1,
    });
    expect(b!.metadata.schemaVersion).toBe(3);
    expect(b!.data).toBeNull();
    expect(a!.recordedAt).toBeInstanceOf(Date);
  });

  it('never leaves the append lock held, whatever fails', async () => {
    const s = uniq('lock');
    const [a] = ev(1);
    await store().append(s, [a!]);
    for (let i = 0; i < 5; i++) {
      await store()
        .append(s, ev(1), { expectedVersion: 0 })
        .catch(() => {});
      await store()
        .append(uniq('x'), [a!])
        .catch(() => {});
    }
    // and a failing inline projection (rolls back after the lock was released)
    const failing = new EventStore(backend()).registerInlineProjection({
      name: 'boom',
      handles: ['Boom'],
      apply: async () => {
        throw new Error('boom');
      },
    });
    await failing.append(s, [{ type: 'Boom', data: {} }]).catch(() => {});
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = 1398035009`.execute(
      store().db,
    );
    expect(rows[0]!.n).toBe(0);
    // and appends still go through
    await store().append(s, ev(1), { expectedVersion: 1 });
  });
});

describe('newEventId', () => {
  it('makes time-ordered UUIDv7s', () => {
    const ids = Array.from({ length: 5 }, () => newEventId());
    expect(new Set(ids).size).toBe(5);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
