import { beforeAll, describe, expect, it } from 'vitest';
import { createContainerFrom } from '../../src/app/containers.ts';
import { writeFile } from '../../src/app/files.ts';
import { importImage } from '../../src/app/importImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { openDatabase } from '../../src/db/index.ts';
import { containerStream } from '../../src/domain/streams.ts';
import { appendToStream } from '../../src/eventStore/appendToStream.ts';
import { readContent } from '../../src/eventStore/contentStore.ts';
import { heads, lastPosition } from '../../src/eventStore/head.ts';
import { readStream } from '../../src/eventStore/readStream.ts';
import { ReadScope } from '../../src/graphql/reads.ts';
import { AsOfCache } from '../../src/projections/asOfCache.ts';
import { readModelsProjection } from '../../src/projections/readModels.ts';
import { describePostgres } from '../support/backends.ts';
import { holdOpenTransaction } from '../support/heldTransaction.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { eachBackend, strataOn } from '../support/strata.ts';
import { dir, file } from '../support/tarBuilder.ts';
import { strataYoga } from './strataYoga.ts';

/**
 * Reads come from the cross-request as-of cache where that cannot be told apart from reading the
 * database (docs/graphql.md, "Consistency"): "now" always includes every completed write, from
 * this server or another, and a past position always reads the same.
 */
const fileQuery = `query($ref: String!, $at: Position) {
  container(ref: $ref, asOf: $at) { state file(path: "/root/f.txt") { content } }
  containers(all: true, asOf: $at) { edges { node { name } } }
}`;

async function seed(strata: Strata, names: string[]) {
  await importImage(strata, memoryImage([[dir('etc'), file('etc/motd', 'hi\n')]], { tag: 'cache:1' }));
  for (const name of names) await createContainerFrom(strata, { image: 'cache:1', name });
}

eachBackend('as-of cache: reads see every write at once, the past never changes', (getStrata) => {
  let strata: Strata;
  beforeAll(async () => {
    strata = await getStrata();
    await seed(strata, ['rc1']);
  });

  it('a read without asOf shows each write made just before it, through GraphQL or not', async () => {
    const { gql } = strataYoga(strata);
    const past: { at: number; content: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const content = `v${i}\n`;
      if (i % 2 === 0) {
        const result = await gql(
          `mutation($c: String!) { writeFile(container: "rc1", path: "/root/f.txt", content: $c) { __typename } }`,
          { c: content },
        );
        expect(result.writeFile.__typename).toBe('MutationWriteFileSuccess');
      } else {
        await writeFile(strata, 'rc1', { path: '/root/f.txt', content });
      }
      const now = await gql(fileQuery, { ref: 'rc1' });
      expect(now.container.file.content).toBe(content);
      past.push({ at: await lastPosition(strata.db), content });
    }
    // Each past position reads the same, twice (the second from the cache), after all the writes.
    for (let round = 0; round < 2; round++) {
      for (const { at, content } of past) {
        const then = await gql(fileQuery, { ref: 'rc1', at });
        expect(then.container.file.content).toBe(content);
      }
    }
  });

  it('each mutation of a document sees the writes of the ones before it in its payload', async () => {
    const { gql } = strataYoga(strata);
    const payload = (field: string) =>
      `${field}(container: "rc1") { ... on Mutation${field[0]!.toUpperCase()}${field.slice(1)}Success { data { file(path: "/root/f.txt") { content } sizeRw } } }`;
    const write = (alias: string, content: string) =>
      `${alias}: writeFile(container: "rc1", path: "/root/f.txt", content: "${content}") { __typename }`;
    const result = await gql(`mutation {
      ${write('w1', 'one')}
      a: ${payload('startContainer')}
      ${write('w2', 'second')}
      b: ${payload('stopContainer')}
    }`);
    expect(result.a.data).toEqual({ file: { content: 'one' }, sizeRw: 3 });
    expect(result.b.data).toEqual({ file: { content: 'second' }, sizeRw: 6 });
  });

  it('a container created or renamed away is seen at once by the next read', async () => {
    const { gql } = strataYoga(strata);
    expect((await gql(fileQuery, { ref: 'rc-late' })).container).toBeNull();
    const before = await lastPosition(strata.db);
    await createContainerFrom(strata, { image: 'cache:1', name: 'rc-late' });
    const now = await gql(fileQuery, { ref: 'rc-late' });
    expect(now.container.state).toBe('CREATED');
    expect(now.containers.edges.map((e: { node: { name: string } }) => e.node.name)).toContain('rc-late');
    const then = await gql(fileQuery, { ref: 'rc-late', at: before });
    expect(then.container).toBeNull();
    expect(then.containers.edges.map((e: { node: { name: string } }) => e.node.name)).not.toContain(
      'rc-late',
    );
  });
});

describePostgres('as-of cache with other writers on the database', (backend) => {
  let a: Strata;
  let b: Strata;
  beforeAll(async () => {
    const database = backend();
    a = strataOn(database);
    // A second pool on the same database: what another Strata server process writes through.
    const other = await openDatabase({ databaseUrl: database.databaseUrl! });
    b = strataOn(other, () => other.close());
    await seed(a, ['pc1', 'pc2']);
    return () => b.close();
  });

  it("another server's write is in the next read without asOf, whatever NOTIFY is doing", async () => {
    const { gql } = strataYoga(a);
    for (let i = 0; i < 12; i++) {
      const content = `other ${i}\n`;
      await writeFile(b, 'pc1', { path: '/root/f.txt', content });
      const now = await gql(fileQuery, { ref: 'pc1' });
      expect(now.container.file.content).toBe(content);
    }
  });

  it('"now" is not cached while a commit below the newest position is in flight', async () => {
    // An older write to pc2, held open in a transaction (as another server's slow commit would be),
    // while a newer write to pc1 commits above it.
    await writeFile(a, 'pc2', { path: '/root/f.txt', content: 'old\n' });
    await writeFile(a, 'pc2', { path: '/root/f.txt', content: 'held\n' });
    const { gql } = strataYoga(a);
    const id = (await gql('{ container(ref: "pc2") { containerId } }')).container.containerId;
    const stream = containerStream(id);
    const [written] = (await readStream(a.db, stream, { direction: 'backward', limit: 1 })) as {
      type: string;
      data: unknown;
      version: number;
    }[];
    await writeFile(a, 'pc2', { path: '/root/f.txt', content: 'before\n' });
    const projection = readModelsProjection((trx, digest) => readContent(trx, digest));
    const { release, committed: holder } = await holdOpenTransaction(b.db, async (trx) => {
      await appendToStream(
        trx,
        stream,
        [{ type: written!.type, data: written!.data }],
        { expectedVersion: written!.version + 1 },
        { inlineProjections: [projection] },
      );
    });
    await writeFile(a, 'pc1', { path: '/root/f.txt', content: 'above the gap\n' });
    const during = await heads(a.db);
    expect(during.safe).toBeLessThan(during.last);
    expect(await new ReadScope(a.db).stableAt(undefined)).toBeUndefined();
    expect(await new ReadScope(a.db).stableAt(during.last)).toBeUndefined();
    expect((await gql(fileQuery, { ref: 'pc1' })).container.file.content).toBe('above the gap\n');
    expect((await gql(fileQuery, { ref: 'pc2' })).container.file.content).toBe('before\n');
    release();
    await holder;
    const after = await heads(a.db);
    expect(after).toEqual({ last: during.last, safe: during.last });
    expect(await new ReadScope(a.db).stableAt(undefined)).toBe(after.last);
    // Had "now" been cached as of the newest position during the gap, this would still say "before".
    expect((await gql(fileQuery, { ref: 'pc2' })).container.file.content).toBe('held\n');
    expect((await gql(fileQuery, { ref: 'pc2', at: during.last })).container.file.content).toBe('held\n');
  });
});

describe('AsOfCache bookkeeping', () => {
  const cache = () => new AsOfCache(undefined as never, 100);

  it('concurrent misses share one read; a failed read is not kept', async () => {
    const c = cache();
    let reads = 0;
    const load = async () => ++reads;
    expect(await Promise.all([c.read('a', 1, 1, load), c.read('a', 1, 1, load)])).toEqual([1, 1]);
    expect(await c.read('a', 2, 1, load)).toBe(2);
    await expect(c.read('b', 1, 1, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await c.read('b', 1, 1, async () => 'up')).toBe('up');
  });

  it('is bounded by rows: a large entry pushes out the least recently used ones', async () => {
    const c = cache();
    for (let i = 0; i < 10; i++) await c.read(`small${i}`, 1, 10, async () => i);
    await c.read('small0', 1, 10, async () => 'reloaded'); // touched: now the most recent
    await c.read('big', 1, 60, async () => 'big');
    expect(await c.read('small0', 1, 10, async () => 'reloaded')).toBe(0);
    expect(await c.read('small1', 1, 10, async () => 'reloaded')).toBe('reloaded');
    expect(await c.read('big', 1, 60, async () => 'again')).toBe('big');
  });
});
