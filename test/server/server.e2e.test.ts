import { request as httpRequest } from 'node:http';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AppServices } from '../../src/app/services.ts';
import { loadConfig, type StrataConfig } from '../../src/config.ts';
import { InsecureBindError } from '../../src/server/auth.ts';
import { strataVersion } from '../../src/server/info.ts';
import { createMemoryLogger } from '../../src/server/log.ts';
import { type RunningServer, startServer } from '../../src/server/startServer.ts';
import { secrets } from '../graphql/platformHarness.ts';
import { secretFailure, testSchema } from '../graphql/platformTestSchema.ts';

const tokensEnv = `reader:${secrets.reader}:read,writer:${secrets.writer}:read|write`;

async function start(env: Record<string, string> = {}, patch: (c: StrataConfig) => StrataConfig = (c) => c) {
  const log = createMemoryLogger();
  const config = patch(loadConfig({ PORT: '0', STRATA_SHUTDOWN_GRACE_MS: '3000', ...env }));
  const server = await startServer(config, {
    app: {} as AppServices,
    backend: 'pglite',
    schema: testSchema,
    log,
  });
  return { server, log };
}

async function post(url: string, query: string, headers: Record<string, string> = {}, variables?: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, text: await response.text() };
}

/** Reads an SSE response to its end: the `next` payloads and whether `complete` came. */
async function readSse(response: Response) {
  const text = await response.text();
  const events = text
    .split('\n\n')
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1],
      data: /^data: (.*)$/m.exec(block)?.[1],
    }))
    .filter((e) => e.event);
  return {
    next: events.filter((e) => e.event === 'next').map((e) => JSON.parse(e.data!)),
    complete: events.some((e) => e.event === 'complete'),
  };
}

function wsClient(url: string, connectionParams?: Record<string, unknown>) {
  const closes: Array<{ code: number; reason: string }> = [];
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
      },
    },
  });
  return { client, closes };
}

function collect(client: Client, query: string, variables?: Record<string, unknown>) {
  return new Promise<{ results: unknown[]; error?: unknown }>((resolve) => {
    const results: unknown[] = [];
    client.subscribe(
      { query, variables },
      {
        next: (value) => results.push(value),
        error: (error) => resolve({ results, error }),
        complete: () => resolve({ results }),
      },
    );
  });
}

describe('server over HTTP and WebSocket (open, loopback)', () => {
  let server: RunningServer;
  let log: ReturnType<typeof createMemoryLogger>;
  beforeAll(async () => {
    ({ server, log } = await start());
  });
  afterAll(() => server.close());

  it('binds 127.0.0.1 by default and answers queries', async () => {
    expect(server.address.address).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.address.port}/graphql`);
    const { status, text } = await post(server.url, '{ serverInfo { version backend } }');
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ data: { serverInfo: { version: strataVersion, backend: 'pglite' } } });
  });

  it('masks unexpected errors over the wire', async () => {
    const { text } = await post(server.url, '{ boom }');
    expect(JSON.parse(text).errors[0].message).toBe('Unexpected error.');
    expect(text).not.toContain('secret_table');
    expect(JSON.stringify(log.records)).toContain(secretFailure.replaceAll('"', '\\"'));
  });

  it('serves /health', async () => {
    expect((await fetch(server.url.replace('/graphql', '/health'))).status).toBe(200);
  });

  it('serves GraphiQL to browsers with nothing loaded from elsewhere', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain('<title>Strata</title>');
    expect(html.match(/<(script|link)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?\/\//gi)).toBeNull();
  });

  it('streams a subscription over SSE', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { ticks(count: 3) }' }),
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const { next, complete } = await readSse(response);
    expect(next).toEqual([{ data: { ticks: 1 } }, { data: { ticks: 2 } }, { data: { ticks: 3 } }]);
    expect(complete).toBe(true);
  });

  it('streams a subscription over WebSocket (graphql-ws) and runs queries and mutations there', async () => {
    const { client } = wsClient(server.url);
    try {
      expect(await collect(client, 'subscription { ticks(count: 3) }')).toEqual({
        results: [{ data: { ticks: 1 } }, { data: { ticks: 2 } }, { data: { ticks: 3 } }],
      });
      expect((await collect(client, '{ serverInfo { backend } }')).results).toEqual([
        { data: { serverInfo: { backend: 'pglite' } } },
      ]);
      const created = await collect(
        client,
        'mutation { createThing(name: "taken") { __typename ... on Error { code } } }',
      );
      expect(created.results).toEqual([
        { data: { createThing: { __typename: 'ConflictError', code: 'CONFLICT' } } },
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('applies the same limits and masking over WebSocket', async () => {
    const { client } = wsClient(server.url);
    try {
      const deep = await collect(client, `{ nest { ${'child { '.repeat(50)}level${' }'.repeat(50)} } }`);
      expect((deep.error as Array<{ extensions: { limit: string } }>)[0]!.extensions.limit).toBe('depth');
      const syntax = await collect(client, '{ nest {');
      expect((syntax.error as Array<{ message: string }>)[0]!.message).toMatch(/Syntax Error/);
      const boom = await collect(client, '{ boom }');
      expect(JSON.stringify(boom)).not.toContain('secret_table');
      expect(JSON.stringify(boom)).toContain('Unexpected error.');
    } finally {
      await client.dispose();
    }
  });

  it('refuses a cross-site WebSocket (no tokens: loopback origins only)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws', {
        headers: { origin: 'https://evil.example' },
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('connected')));
      ws.on('error', () => {});
    });
    expect(status).toBe(403);
  });

  it('closes a WebSocket that sends a message over the body limit (1009)', async () => {
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'connection_init' }));
        ws.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: { query: `{ serverInfo { version } } #${'x'.repeat(5 * 1024 * 1024)}` },
          }),
        );
      });
      ws.on('close', (closeCode) => resolve(closeCode));
      ws.on('error', () => {});
    });
    expect(code).toBe(1009);
  });

  it('rejects an oversized body with 413, declared or chunked', async () => {
    const huge = JSON.stringify({ query: `{ serverInfo { version } } # ${'x'.repeat(5 * 1024 * 1024)}` });
    const declared = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: huge,
    });
    expect(declared.status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        server.url,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < huge.length; i += 64 * 1024) req.write(huge.slice(i, i + 64 * 1024));
      req.end();
    });
    expect(chunked).toBe(413);
  });
});

describe('server with access tokens', () => {
  it('refuses to bind 0.0.0.0 without tokens, with a clear typed error', async () => {
    const attempt = start({ HOST: '0.0.0.0' });
    await expect(attempt).rejects.toBeInstanceOf(InsecureBindError);
    await expect(attempt).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(
        /^Refusing to listen on 0\.0\.0\.0 without access tokens.*STRATA_TOKENS/,
      ),
    });
    await expect(start({ HOST: '::' })).rejects.toBeInstanceOf(InsecureBindError);
  });

  it('binds 0.0.0.0 with tokens and requires them over HTTP, SSE and WebSocket', async () => {
    const { server, log } = await start({ HOST: '0.0.0.0', STRATA_TOKENS: tokensEnv });
    const url = `http://127.0.0.1:${server.address.port}/graphql`;
    try {
      expect(server.address.address).toBe('0.0.0.0');
      const anonymous = JSON.parse((await post(url, '{ serverInfo { version } }')).text);
      expect(anonymous.errors[0].extensions.code).toBe('UNAUTHORIZED');
      const reader = JSON.parse(
        (await post(url, '{ serverInfo { version } }', { authorization: `Bearer ${secrets.reader}` })).text,
      );
      expect(reader.data.serverInfo.version).toBe(strataVersion);
      const forbidden = JSON.parse(
        (
          await post(url, 'mutation { createThing(name: "a") { __typename } }', {
            authorization: `Bearer ${secrets.reader}`,
          })
        ).text,
      );
      expect(forbidden.data.createThing.__typename).toBe('ForbiddenError');

      const sse = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: 'subscription { ticks(count: 2) }' }),
      });
      expect(JSON.stringify((await readSse(sse)).next)).toContain('UNAUTHORIZED');

      const anonymousWs = wsClient(url);
      const refused = await collect(anonymousWs.client, 'subscription { ticks(count: 2) }');
      expect(refused.results).toEqual([]);
      expect(anonymousWs.closes[0]).toMatchObject({ code: 4401 });
      expect(anonymousWs.closes[0]!.reason).toMatch(/^Unauthorized/);

      const badWs = wsClient(url, { authorization: 'Bearer not-a-real-token-0123456789' });
      await collect(badWs.client, 'subscription { ticks(count: 2) }');
      expect(badWs.closes[0]).toMatchObject({ code: 4401 });

      const readerWs = wsClient(url, { authorization: `Bearer ${secrets.reader}` });
      try {
        expect((await collect(readerWs.client, 'subscription { ticks(count: 2) }')).results).toEqual([
          { data: { ticks: 1 } },
          { data: { ticks: 2 } },
        ]);
        const mutation = await collect(readerWs.client, 'mutation { createThing(name: "a") { __typename } }');
        expect(mutation.results).toEqual([{ data: { createThing: { __typename: 'ForbiddenError' } } }]);
      } finally {
        await readerWs.client.dispose();
      }
      expect(JSON.stringify(log.records)).not.toContain(secrets.reader);
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('lets in-flight requests finish, ends SSE and WebSocket streams, then stops listening', async () => {
    const { server } = await start();
    const slow = post(server.url, '{ slow(ms: 300) }');
    const sse = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { ticks(count: 100000, intervalMs: 20) }' }),
    });
    const sseDone = readSse(sse);
    const { client, closes } = wsClient(server.url);
    const wsFirst = new Promise<void>((resolve) => {
      client.subscribe(
        { query: 'subscription { ticks(count: 100000, intervalMs: 20) }' },
        {
          next: () => resolve(),
          error: () => {},
          complete: () => {},
        },
      );
    });
    await wsFirst;
    await new Promise((r) => setTimeout(r, 50));

    await server.close();

    expect(JSON.parse((await slow).text)).toEqual({ data: { slow: 'done' } });
    const streamed = await sseDone;
    expect(streamed.next.length).toBeGreaterThan(0);
    expect(closes.at(-1)).toMatchObject({ code: 1001 });
    await expect(fetch(server.url)).rejects.toThrow();
    await client.dispose();
    await server.close();
  });
});
