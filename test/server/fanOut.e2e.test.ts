import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostgres } from '../support/backends.ts';

/**
 * Two Strata server processes on one PostgreSQL database: a subscriber on one sees, live, the
 * events a mutation on the other appends (NOTIFY reaches every listener of the database).
 */
const bin = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

async function startProcess(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      STRATA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, child };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('server did not start');
}

describePostgres('live events fan out across server processes', (backend) => {
  const servers: ChildProcess[] = [];
  let a: string;
  let b: string;
  beforeAll(async () => {
    const url = backend().databaseUrl!;
    const [first, second] = await Promise.all([startProcess(url), startProcess(url)]);
    servers.push(first.child, second.child);
    a = first.url;
    b = second.url;
  }, 240_000);
  afterAll(() => {
    for (const child of servers) child.kill('SIGTERM');
  });

  it('a subscriber on server A receives what server B appends, in order, without polling delay', async () => {
    const controller = new AbortController();
    const response = await fetch(a, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: 'subscription { events(types: ["ImageTagged", "TagAssigned"]) { position type stream } }',
      }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const received: { position: number; type: string }[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    const readUntil = async (count: number) => {
      while (received.length < count) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (const line of buffer.split('\n')) {
          if (line.startsWith('data: ')) {
            const payload = JSON.parse(line.slice(6));
            if (payload.data?.events) received.push(payload.data.events);
          }
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      }
    };
    // Give the subscription a moment to LISTEN, then write through the other process.
    await new Promise((r) => setTimeout(r, 500));
    const start = Date.now();
    const mutation = await fetch(b, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation { tagImage(image: "nothing-here", target: "x:y") { __typename } }',
      }),
    }).then((r) => r.json());
    expect(mutation.data.tagImage.__typename).toBe('NotFoundError');
    // B has no image to act on, so the write goes through the store's append function on the same
    // database — the NOTIFY of an append is what fans out, whoever appends.
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: backend().databaseUrl });
    await client.connect();
    await client.query(`select * from strata_append($1::jsonb)`, [
      JSON.stringify([
        {
          stream: 'tag-example.com/x:y',
          expected: 'no_stream',
          events: [
            {
              id: crypto.randomUUID(),
              type: 'TagAssigned',
              data: { reference: 'example.com/x:y', imageId: `sha256:${'a'.repeat(64)}` },
              metadata: { schemaVersion: 1 },
            },
          ],
        },
      ]),
    ]);
    await client.end();
    await readUntil(1);
    controller.abort();
    expect(received[0]).toMatchObject({ type: 'TagAssigned', stream: 'tag-example.com/x:y' });
    expect(Date.now() - start).toBeLessThan(4_000);
  }, 60_000);
});
