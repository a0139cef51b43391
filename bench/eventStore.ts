/**
 * Event store benchmark (printed, not asserted). Same workloads, same run, same row shape:
 *   - Strata's event store (append function: advisory lock + xid8, NOTIFY, expected-version checks),
 *   - @event-driven-io/emmett-postgresql 0.42 (getPostgreSQLEventStore),
 *   - raw INSERTs into a table shaped like `events` (same columns and indexes), single-row and
 *     100-row multi-VALUES, autocommit.
 * on PostgreSQL (a throwaway database on BENCH_DATABASE_URL's server, default 127.0.0.1:5432) and on
 * PGlite (in memory; Strata and raw only). Run alone: `npx tsx bench/eventStore.ts`.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { dumbo } from '@event-driven-io/dumbo';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import type { Db } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/openDatabase.ts';
import { newEventId } from '../src/eventStore/eventId.ts';
import { EventStore } from '../src/eventStore/eventStore.ts';

const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const seconds = Number(process.env.BENCH_SECONDS ?? 2.5);
const batchSize = 100;

const payload = {
  image: 'sha256:0f3e',
  path: '/usr/lib/x86_64-linux-gnu/libc.so.6',
  mode: 0o644,
  size: 1_922_136,
};
const newEvent = () => ({
  id: newEventId(),
  type: 'FileWritten',
  data: payload,
  metadata: { correlationId: newEventId(), actor: 'bench', schemaVersion: 1 },
});

interface Result {
  backend: 'postgres' | 'pglite';
  workload: string;
  unit: string;
  raw?: number;
  strata?: number;
  emmett?: number;
}

/** Runs `op` from `writers` concurrent loops for `ms`; returns [events, elapsed ms]. */
async function slice(
  writers: number,
  op: (writer: number) => Promise<number>,
  ms: number,
): Promise<[number, number]> {
  let events = 0;
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (performance.now() < end) {
        const n = await op(w);
        events += n;
      }
    }),
  );
  return [events, performance.now() - start];
}

const rounds = 5;

/**
 * Events per second of each contender, measured in alternating slices (raw, strata, emmett, raw, …)
 * so that all of them see the same machine: the machine is shared and its load drifts.
 */
async function compare(
  writers: number,
  contenders: ((writer: number) => Promise<number>)[],
): Promise<number[]> {
  for (const op of contenders) await slice(writers, op, 150); // warm-up
  const totals = contenders.map(() => [0, 0]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, op] of contenders.entries()) {
      const [events, ms] = await slice(writers, op, (seconds * 1000) / rounds);
      totals[i]![0]! += events;
      totals[i]![1]! += ms;
    }
  }
  return totals.map(([events, ms]) => events! / (ms! / 1000));
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

/** Strata: appends to one stream per writer with the exact expected version. */
function strataOps(store: EventStore, tag: string) {
  const versions = new Map<number, number>();
  const append = async (w: number, n: number) => {
    const stream = `${tag}-${w}`;
    const expectedVersion = versions.get(w) ?? 0;
    const r = await store.append(stream, Array.from({ length: n }, newEvent), { expectedVersion });
    versions.set(w, r.nextExpectedVersion);
    return n;
  };
  return { single: (w: number) => append(w, 1), batch: (w: number) => append(w, batchSize) };
}

/** Raw INSERTs of the same row shape, autocommit, version tracked like a stream. */
function rawOps(query: (text: string, params: unknown[]) => Promise<unknown>, tag: string) {
  const versions = new Map<number, number>();
  const insert = async (w: number, n: number) => {
    const stream = `${tag}-${w}`;
    const v = versions.get(w) ?? 0;
    const values: string[] = [];
    const params: unknown[] = [];
    for (let k = 0; k < n; k++) {
      const e = newEvent();
      const b = params.length;
      values.push(`($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, now())`);
      params.push(e.id, stream, v + k + 1, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata));
    }
    await query(
      `insert into raw_events (id, stream, version, type, data, metadata, recorded_at) values ${values.join(', ')}`,
      params,
    );
    versions.set(w, v + n);
    return n;
  };
  return { single: (w: number) => insert(w, 1), batch: (w: number) => insert(w, batchSize) };
}

async function createRawTable(db: Db): Promise<void> {
  await sql`create sequence raw_events_position_seq`.execute(db);
  await sql`create table raw_events (like events including all)`.execute(db);
  await sql`alter table raw_events alter column position set default nextval('raw_events_position_seq')`.execute(
    db,
  );
}

type PageReader = (after: number) => Promise<{ count: number; next: number }>;

/** Events per second of each reader over the first `max` events, in alternating rounds. */
async function compareReads(readers: PageReader[], max: number): Promise<number[]> {
  const totals = readers.map(() => [0, 0]);
  for (let r = 0; r < 3; r++) {
    for (const [i, read] of readers.entries()) {
      let after = 0;
      let count = 0;
      const start = performance.now();
      while (count < max) {
        const page = await read(after);
        if (page.count === 0) break;
        count += page.count;
        after = page.next;
      }
      totals[i]![0]! += count;
      totals[i]![1]! += performance.now() - start;
    }
  }
  return totals.map(([events, ms]) => events! / (ms! / 1000));
}

/** Wake-up latency: from the append's commit (its promise resolving) to the subscriber having the event. */
async function subscriptionLatency(
  store: EventStore,
  samples: number,
): Promise<{ p50: number; p99: number; e2e50: number }> {
  const stream = `latency-${randomBytes(4).toString('hex')}`;
  const subscription = store.subscribe({
    after: await store.head(),
    streamPrefix: stream,
    fallbackMs: 30_000,
  });
  const received = new Map<string, number>();
  let wake: (() => void) | undefined;
  const consuming = (async () => {
    for await (const event of subscription) {
      received.set(event.id, performance.now());
      wake?.();
    }
  })();
  await new Promise((r) => setTimeout(r, 100));
  const wakeups: number[] = [];
  const endToEnd: number[] = [];
  for (let i = 0; i < samples; i++) {
    const event = newEvent();
    const arrived = new Promise<void>((resolve) => {
      wake = () => received.has(event.id) && resolve();
    });
    const sent = performance.now();
    await store.append(stream, [event]);
    const committed = performance.now();
    await arrived;
    const at = received.get(event.id)!;
    wakeups.push(Math.max(0, at - committed));
    endToEnd.push(at - sent);
    await new Promise((r) => setTimeout(r, 2));
  }
  await subscription.close();
  await consuming;
  wakeups.sort((a, b) => a - b);
  endToEnd.sort((a, b) => a - b);
  return { p50: percentile(wakeups, 50), p99: percentile(wakeups, 99), e2e50: percentile(endToEnd, 50) };
}

async function benchPostgres(results: Result[], notes: string[]): Promise<void> {
  const name = `strata_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  let handle: DatabaseHandle | undefined;
  let rawPool: pg.Pool | undefined;
  let emmett: ReturnType<typeof getPostgreSQLEventStore> | undefined;
  let emmettReader: ReturnType<typeof dumbo> | undefined;
  try {
    handle = await openDatabase({ databaseUrl, poolSize: 12 });
    await migrateToLatest(handle.db);
    await createRawTable(handle.db);
    const store = new EventStore(handle);
    rawPool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    const rawQuery = (text: string, params: unknown[]) => rawPool!.query(text, params);
    emmett = getPostgreSQLEventStore(databaseUrl);
    await emmett.schema.migrate();
    const emmettVersions = new Map<string, bigint>();
    const emmettAppend = async (tag: string, w: number, n: number) => {
      const stream = `${tag}-${w}`;
      const expectedStreamVersion = emmettVersions.get(stream) ?? 0n;
      const r = await emmett!.appendToStream(
        stream,
        Array.from({ length: n }, () => {
          const e = newEvent();
          return { type: e.type, data: e.data, metadata: e.metadata };
        }),
        { expectedStreamVersion },
      );
      emmettVersions.set(stream, r.nextExpectedStreamVersion);
      return n;
    };

    for (const [workload, writers, kind] of [
      ['single-event appends, 1 writer', 1, 'single'],
      ['single-event appends, 8 writers', 8, 'single'],
      [`${batchSize}-event batches, 1 writer`, 1, 'batch'],
      [`${batchSize}-event batches, 8 writers`, 8, 'batch'],
    ] as const) {
      const tag = `${kind}-${writers}`;
      const [raw, strata, em] = await compare(writers, [
        rawOps(rawQuery, tag)[kind],
        strataOps(store, tag)[kind],
        (w) => emmettAppend(tag, w, kind === 'single' ? 1 : batchSize),
      ]);
      results.push({ backend: 'postgres', workload, unit: 'events/s', raw, strata, emmett: em });
    }

    const total = Math.min(await store.head(), 50_000);
    emmettReader = dumbo({ connectionString: databaseUrl });
    const [rawRead, strataRead, emmettRead] = await compareReads(
      [
        async (after) => {
          const r = await rawPool!.query(
            'select position, id, stream, version, type, data, metadata, recorded_at from raw_events where position > $1 order by position limit 1000',
            [after],
          );
          return { count: r.rows.length, next: Number(r.rows.at(-1)?.position ?? after) };
        },
        async (after) => {
          const page = await store.readAllPage({ after, limit: 1000 });
          return { count: page.events.length, next: page.next };
        },
        async (after) => {
          const r = await readMessagesBatch(emmettReader!.execute, { after: BigInt(after), batchSize: 1000 });
          return { count: r.messages.length, next: Number(r.currentGlobalPosition) };
        },
      ],
      total,
    );
    results.push({
      backend: 'postgres',
      workload: `readAll (pages of 1000, ${total} events)`,
      unit: 'events/s',
      raw: rawRead,
      strata: strataRead,
      emmett: emmettRead,
    });

    const latency = await subscriptionLatency(store, 300);
    notes.push(
      `postgres subscription wake-up (commit → subscriber): p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms; append+delivery p50 ${latency.e2e50.toFixed(2)} ms (NOTIFY; fallback set to 30 s)`,
    );
  } finally {
    await emmettReader?.close().catch(() => {});
    await emmett?.close().catch(() => {});
    await rawPool?.end().catch(() => {});
    await handle?.close().catch(() => {});
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
  }
}

async function benchPglite(results: Result[], notes: string[]): Promise<void> {
  const handle = await openDatabase({ dataDir: 'memory://' });
  try {
    await migrateToLatest(handle.db);
    await createRawTable(handle.db);
    const store = new EventStore(handle);
    // Through Kysely, like Strata's own queries, with parameters.
    const pgliteQuery = (text: string, params: unknown[]) =>
      handle.db.executeQuery(CompiledQuery.raw(text, params));
    for (const [workload, writers, kind] of [
      ['single-event appends, 1 writer', 1, 'single'],
      [`${batchSize}-event batches, 1 writer`, 1, 'batch'],
    ] as const) {
      const tag = `${kind}-${writers}`;
      const [raw, strata] = await compare(writers, [
        rawOps(pgliteQuery, tag)[kind],
        strataOps(store, tag)[kind],
      ]);
      results.push({ backend: 'pglite', workload, unit: 'events/s', raw, strata });
    }
    const total = Math.min(await store.head(), 50_000);
    const [rawRead, strataRead] = await compareReads(
      [
        async (after) => {
          const r = await sql<{ position: number }>`
            select position, id, stream, version, type, data, metadata, recorded_at from raw_events
             where position > ${after} order by position limit 1000`.execute(handle.db);
          return { count: r.rows.length, next: Number(r.rows.at(-1)?.position ?? after) };
        },
        async (after) => {
          const page = await store.readAllPage({ after, limit: 1000 });
          return { count: page.events.length, next: page.next };
        },
      ],
      total,
    );
    results.push({
      backend: 'pglite',
      workload: `readAll (pages of 1000, ${total} events)`,
      unit: 'events/s',
      raw: rawRead,
      strata: strataRead,
    });
    const latency = await subscriptionLatency(store, 100);
    notes.push(
      `pglite subscription wake-up (commit → subscriber): p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms; append+delivery p50 ${latency.e2e50.toFixed(2)} ms`,
    );
  } finally {
    await handle.close();
  }
}

function printTable(results: Result[]): void {
  const fmt = (n: number | undefined) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
  const ratio = (n: number | undefined, raw: number | undefined) =>
    n === undefined || raw === undefined ? '—' : `${(n / raw).toFixed(2)}×`;
  const header = ['backend', 'workload', 'raw SQL', 'strata', 'strata/raw', 'emmett 0.42', 'emmett/raw'];
  const rows = results.map((r) => [
    r.backend,
    `${r.workload} (${r.unit})`,
    fmt(r.raw),
    fmt(r.strata),
    ratio(r.strata, r.raw),
    fmt(r.emmett),
    ratio(r.emmett, r.raw),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(
    `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const row of rows) console.log(line(row));
}

/** Runs every workload on PostgreSQL and PGlite and prints one table. */
export async function runEventStoreBench(): Promise<void> {
  const results: Result[] = [];
  const notes: string[] = [];
  const started = performance.now();
  await benchPostgres(results, notes);
  await benchPglite(results, notes);
  printTable(results);
  for (const note of notes) console.log(`- ${note}`);
  console.log(
    `- ${seconds} s per measurement, ${((performance.now() - started) / 1000).toFixed(0)} s in all`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runEventStoreBench();
}
