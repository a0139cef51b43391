/**
 * The API under load (autocannon, 64 connections, loopback): `{ __typename }` on a bare
 * graphql-yoga server as the baseline, then Strata reading one file of a container (now and as of
 * an old position) and a page of 50 containers with their images. Server and load generator share
 * this process, for the baseline as for Strata.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { createSchema, createYoga } from 'graphql-yoga';
import { createContainerFrom } from '../src/app/containers.ts';
import { writeFile } from '../src/app/files.ts';
import { importImage } from '../src/app/importImage.ts';
import { defaultLimits, type StrataConfig } from '../src/config.ts';
import { lastPosition } from '../src/eventStore/head.ts';
import { createLogger } from '../src/server/log.ts';
import { startServer } from '../src/server/startServer.ts';
import { memoryImage } from '../test/support/memoryImage.ts';
import { dir, file } from '../test/support/tarBuilder.ts';
import { benchStrata } from './support/backend.ts';
import { printTable } from './support/table.ts';

const seconds = Number(process.env.BENCH_GRAPHQL_SECONDS ?? 8);

/** Every response must be the one a single request gets first (errors count any other body). */
async function load(url: string, query: string, variables: Record<string, unknown> = {}) {
  const body = JSON.stringify({ query, variables });
  const headers = { 'content-type': 'application/json' };
  const expected = await (await fetch(url, { method: 'POST', headers, body })).text();
  if (!expected.startsWith('{"data":') || expected.includes('"errors"'))
    throw new Error(`bench query failed: ${expected.slice(0, 500)}`);
  const result = await autocannon({
    url,
    connections: 64,
    duration: seconds,
    method: 'POST',
    headers,
    body,
    expectBody: expected,
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.mismatches,
  };
}

async function bareYoga(): Promise<{ url: string; server: Server }> {
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }),
    logging: false,
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, server };
}

export async function runGraphqlBench(): Promise<void> {
  const rows = [];
  const bare = await bareYoga();
  const baseline = await load(bare.url, '{ __typename }');
  bare.server.close();
  rows.push({
    backend: '-',
    query: 'bare yoga { __typename }',
    'req/s': baseline.rps,
    'p99 ms': baseline.p99,
    errors: baseline.errors,
    'vs bare': '1.00',
  });
  for (const kind of ['postgres', 'pglite'] as const) {
    const strata = await benchStrata(kind);
    try {
      await importImage(strata, memoryImage([[dir('etc'), file('etc/motd', 'hello\n')]], { tag: 'bench:1' }));
      for (let i = 0; i < 60; i++) await createContainerFrom(strata, { image: 'bench:1', name: `c${i}` });
      await writeFile(strata, 'c0', { path: '/root/file.txt', content: 'version 0\n' });
      const old = await lastPosition(strata.db);
      for (let i = 1; i < 200; i++)
        await writeFile(strata, 'c0', { path: '/root/file.txt', content: `version ${i}\n` });
      const config: StrataConfig = {
        host: '127.0.0.1',
        port: 0,
        tokens: [],
        graphiql: false,
        limits: defaultLimits,
        shutdownGraceMs: 1000,
        logLevel: 'silent',
        database: { url: undefined, dataDir: 'memory://', poolSize: 10 },
      };
      const server = await startServer(config, {
        app: { ...strata, notifications: strata.database.notifications },
        backend: kind,
        log: createLogger('silent'),
      });
      try {
        const fileQuery =
          'query($at: Position) { container(ref: "c0", asOf: $at) { file(path: "/root/file.txt") { content size } } }';
        const now = await load(server.url, fileQuery);
        const past = await load(server.url, fileQuery, { at: old });
        const page = await load(
          server.url,
          '{ containers(all: true, first: 50) { edges { node { name state image { repoTags size } } } } }',
        );
        const ratio = (x: number) => (x / baseline.rps).toFixed(2);
        rows.push({
          backend: kind,
          query: 'one file of a container',
          'req/s': now.rps,
          'p99 ms': now.p99,
          errors: now.errors,
          'vs bare': ratio(now.rps),
        });
        rows.push({
          backend: kind,
          query: 'same file asOf an old position',
          'req/s': past.rps,
          'p99 ms': past.p99,
          errors: past.errors,
          'vs bare': ratio(past.rps),
        });
        rows.push({
          backend: kind,
          query: '50 containers with images',
          'req/s': page.rps,
          'p99 ms': page.p99,
          errors: page.errors,
          'vs bare': ratio(page.rps),
        });
      } finally {
        await server.close();
      }
    } finally {
      await strata.close();
    }
  }
  printTable(
    `GraphQL over HTTP, 64 connections, ${seconds}s each (asOf/current ratio: compare the two file rows)`,
    rows,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runGraphqlBench();
