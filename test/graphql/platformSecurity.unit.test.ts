import { describe, expect, it } from 'vitest';
import { defaultQuery } from '../../src/graphql/playground.ts';
import { gql, makeYoga, secrets, testTokens } from './platformHarness.ts';

const create = 'mutation { createThing(name: "x") { __typename ... on Error { message code } } }';
const read = '{ serverInfo { version } }';

describe('auth: tokens configured', () => {
  const { yoga, log } = makeYoga({ tokens: testTokens() });

  it('a query without a token is UNAUTHORIZED', async () => {
    const { body } = await gql(yoga, read);
    expect(body.data).toBeNull();
    expect(body.errors[0].extensions.code).toBe('UNAUTHORIZED');
    expect(body.errors[0].message).toMatch(/requires an access token/);
  });

  it('a mutation without a token returns UnauthorizedError', async () => {
    const { body } = await gql(yoga, create);
    expect(body.data.createThing).toMatchObject({ __typename: 'UnauthorizedError', code: 'UNAUTHORIZED' });
  });

  it('a wrong token or a malformed header is UNAUTHORIZED, for queries and mutations', async () => {
    const bad = await gql(yoga, read, { token: 'not-the-secret-0123456789abcdef' });
    expect(bad.body.errors[0]).toMatchObject({ extensions: { code: 'UNAUTHORIZED' } });
    expect(bad.body.errors[0].message).toMatch(/not valid/);
    const basic = await gql(yoga, create, { headers: { authorization: `Basic ${secrets.writer}` } });
    expect(basic.body.data.createThing).toMatchObject({ __typename: 'UnauthorizedError' });
    expect(basic.body.data.createThing.message).toMatch(/Bearer/);
  });

  it('a read token may query', async () => {
    const { body } = await gql(yoga, read, { token: secrets.reader });
    expect(body).toEqual({ data: { serverInfo: { version: '9.9.9-test' } } });
  });

  it('a read token doing a mutation gets ForbiddenError naming the missing scope', async () => {
    const { body } = await gql(yoga, create, { token: secrets.reader });
    expect(body.data.createThing).toEqual({
      __typename: 'ForbiddenError',
      code: 'FORBIDDEN',
      message: 'Forbidden: Mutation.createThing needs the "write" scope; token "reader" has read.',
    });
  });

  it('a write token may mutate', async () => {
    const { body } = await gql(yoga, create, { token: secrets.writer });
    expect(body.data.createThing).toEqual({ __typename: 'MutationCreateThingSuccess' });
  });

  it('a write-only token may not query (FORBIDDEN as a GraphQL error)', async () => {
    const { body } = await gql(yoga, read, { token: secrets.writeOnly });
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(body.errors[0].message).toMatch(/needs the "read" scope/);
  });

  it('admin-only mutations need admin; admin implies read and write', async () => {
    const remove = 'mutation { removeThings(prefix: "thing-1") { __typename ... on Error { code } } }';
    expect((await gql(yoga, remove, { token: secrets.writer })).body.data.removeThings).toEqual({
      __typename: 'ForbiddenError',
      code: 'FORBIDDEN',
    });
    expect((await gql(yoga, remove, { token: secrets.admin })).body.data.removeThings.__typename).toBe(
      'MutationRemoveThingsSuccess',
    );
    expect((await gql(yoga, read, { token: secrets.admin })).body.data.serverInfo.version).toBe('9.9.9-test');
  });

  it('introspection needs a token too', async () => {
    const query = '{ __schema { queryType { name } } }';
    expect((await gql(yoga, query)).body.errors[0].extensions.code).toBe('UNAUTHORIZED');
    expect((await gql(yoga, query, { token: secrets.reader })).body.data.__schema.queryType.name).toBe(
      'Query',
    );
  });

  it('cross-origin and non-loopback Host are fine once tokens are required (bearer tokens are not ambient)', async () => {
    const { body } = await gql(yoga, read, {
      token: secrets.reader,
      url: 'http://strata.example:4000/graphql',
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(body.data.serverInfo.version).toBe('9.9.9-test');
  });

  it('never logs a secret', () => {
    const logged = JSON.stringify(log.records);
    for (const secret of Object.values(secrets)) expect(logged).not.toContain(secret);
  });
});

describe('auth: no tokens (loopback)', () => {
  const { yoga } = makeYoga();

  it('allows everything without a header', async () => {
    expect((await gql(yoga, read)).body.data.serverInfo.version).toBe('9.9.9-test');
    expect((await gql(yoga, create)).body.data.createThing.__typename).toBe('MutationCreateThingSuccess');
  });

  it('ignores an Authorization header', async () => {
    expect((await gql(yoga, read, { token: 'whatever-0123456789abcdef' })).body.data.serverInfo).toBeTruthy();
  });

  it('refuses other web origins (CSRF) and non-loopback Host names (DNS rebinding)', async () => {
    const crossSite = await gql(yoga, create, { headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(crossSite.body.errors[0].message).toMatch(
      /Cross-origin request from https:\/\/evil.example refused/,
    );
    const rebound = await gql(yoga, read, { url: 'http://evil.example:4000/graphql' });
    expect(rebound.status).toBe(403);
    expect(rebound.body.errors[0].message).toMatch(/not a loopback name/);
    const local = await gql(yoga, read, {
      url: 'http://localhost:4000/graphql',
      headers: { origin: 'http://localhost:4000' },
    });
    expect(local.body.data.serverInfo).toBeTruthy();
  });

  it('sends no CORS allowance', async () => {
    const response = await yoga.fetch('http://127.0.0.1:4000/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:4000', 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('hostile operations are rejected before execution', () => {
  it('depth: 50 nested levels', async () => {
    const { yoga } = makeYoga();
    const query = `{ nest { ${'child { '.repeat(50)}level${' }'.repeat(50)} } }`;
    const { body } = await gql(yoga, query);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: 'The operation is nested 52 levels deep, more than the limit of 15 (STRATA_MAX_DEPTH).',
        extensions: { code: 'VALIDATION', limit: 'depth', max: 15, actual: 52 },
      }),
    ]);
  });

  it('aliases: 1000 of them', async () => {
    const { yoga } = makeYoga();
    const query = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: serverInfo { version }`).join(' ')} }`;
    const { body } = await gql(yoga, query);
    expect(body.data).toBeUndefined();
    const limits = body.errors.map((e: { extensions: { limit: string } }) => e.extensions.limit);
    expect(limits).toContain('aliases');
    expect(
      body.errors.find((e: { extensions: { limit: string } }) => e.extensions.limit === 'aliases').message,
    ).toBe('The document uses 1000 aliases, more than the limit of 100 (STRATA_MAX_ALIASES).');
  });

  it('breadth: many fields without aliases (fragments expanded)', async () => {
    const { yoga } = makeYoga({ limits: { maxBreadth: 20 } });
    const query = `{ ...F ...F } fragment F on Query { ${Array.from({ length: 15 }, () => 'serverInfo { version }').join(' ')} }`;
    const { body } = await gql(yoga, query);
    expect(body.errors[0].extensions).toMatchObject({ code: 'VALIDATION', limit: 'breadth', max: 20 });
  });

  it('a huge `first`, as a literal or a variable', async () => {
    const { yoga } = makeYoga();
    const literal = await gql(yoga, '{ things(first: 1000000) { edges { cursor } } }');
    expect(literal.body.data).toBeUndefined();
    expect(literal.body.errors[0].message).toBe(
      'Argument "first" is 1000000, more than the maximum page size 1000 (STRATA_MAX_PAGE_SIZE); page with "after".',
    );
    expect(literal.body.errors[0].extensions).toMatchObject({
      code: 'VALIDATION',
      limit: 'pageSize',
      max: 1000,
    });
    const variable = await gql(yoga, 'query($n: Int) { things(first: $n) { edges { cursor } } }', {
      variables: { n: 5000 },
    });
    expect(variable.body.errors[0].extensions).toMatchObject({ limit: 'pageSize', actual: 5000 });
    const negative = await gql(yoga, '{ things(first: -1) { edges { cursor } } }');
    expect(negative.body.errors[0].message).toMatch(/non-negative integer/);
  });

  it('validation is cached per document, the page-size verdict per variables', async () => {
    const { yoga } = makeYoga();
    const query = 'query($n: Int) { things(first: $n) { edges { cursor } } }';
    const verdicts = [];
    for (const n of [5, 5000, 5, 5000]) {
      const { body } = await gql(yoga, query, { variables: { n } });
      verdicts.push(body.errors?.[0]?.extensions?.limit ?? 'ok');
    }
    expect(verdicts).toEqual(['ok', 'pageSize', 'ok', 'pageSize']);
    const unknown = '{ things { edges { nope } } }';
    for (let i = 0; i < 2; i++) {
      const { body } = await gql(yoga, unknown);
      expect(body.errors.map((e: { message: string }) => e.message)).toEqual([
        'Cannot query field "nope" on type "ThingEdge". Did you mean "node"?',
      ]);
    }
  });

  it('complexity: nested pages multiply', async () => {
    const { yoga } = makeYoga({ limits: { maxComplexity: 500 } });
    const { body } = await gql(
      yoga,
      '{ a: things(first: 200) { edges { node { name } } } b: things(first: 200) { edges { node { name } } } }',
    );
    expect(body.errors[0].extensions).toMatchObject({ code: 'VALIDATION', limit: 'complexity', max: 500 });
    expect(body.errors[0].message).toMatch(/estimated cost is \d+, more than the limit of 500/);
  });

  it('tokens: an enormous document stops the parser', async () => {
    const { yoga } = makeYoga({ limits: { maxTokens: 1000 } });
    const { body } = await gql(yoga, `{ serverInfo { ${'version '.repeat(2000)} } }`);
    expect(body.errors[0].message).toBe(
      'The document has more than 1000 tokens (STRATA_MAX_TOKENS); parsing stopped.',
    );
    expect(body.errors[0].extensions).toMatchObject({ limit: 'tokens' });
  });

  it('ordinary operations and introspection pass the default limits', async () => {
    const { yoga } = makeYoga();
    const { getIntrospectionQuery } = await import('graphql/index.js');
    const introspection = await gql(yoga, getIntrospectionQuery());
    expect(introspection.body.errors).toBeUndefined();
    const page = await gql(
      yoga,
      '{ things(first: 1000) { edges { cursor node { name } } pageInfo { hasNextPage } } }',
    );
    expect(page.body.errors).toBeUndefined();
  });
});

describe('request body size limit', () => {
  const big = (bytes: number) =>
    JSON.stringify({ query: `{ serverInfo { version } } # ${'x'.repeat(bytes)}` });

  it('rejects a declared Content-Length over the limit with 413', async () => {
    const { yoga } = makeYoga({ limits: { maxBodyBytes: 2048 } });
    const response = await yoga.fetch('http://127.0.0.1:4000/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big(4096),
    });
    expect(response.status).toBe(413);
  });

  it('rejects a streamed (chunked) body once it passes the limit', async () => {
    const { yoga } = makeYoga({ limits: { maxBodyBytes: 2048 } });
    const bytes = new TextEncoder().encode(big(100_000));
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000));
        controller.close();
      },
    });
    const response = await yoga.fetch('http://127.0.0.1:4000/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('accepts a body under the limit', async () => {
    const { yoga } = makeYoga({ limits: { maxBodyBytes: 2048 } });
    const response = await yoga.fetch('http://127.0.0.1:4000/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big(1000),
    });
    expect(response.status).toBe(200);
  });
});

describe('operation timeout', () => {
  it('answers TIMEOUT when a query runs too long, and aborts ctx.signal', async () => {
    const { yoga } = makeYoga({ limits: { queryTimeoutMs: 100 } });
    const { body } = await gql(yoga, '{ slow(ms: 20000) }');
    expect(body.data).toBeNull();
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: 'The query did not finish within 100 ms (STRATA_QUERY_TIMEOUT_MS).',
        extensions: { code: 'TIMEOUT', limit: 'timeout', max: 100 },
      }),
    ]);
  });

  it('lets a query within the limit finish', async () => {
    const { yoga } = makeYoga({ limits: { queryTimeoutMs: 5000 } });
    expect((await gql(yoga, '{ slow(ms: 1) }')).body).toEqual({ data: { slow: 'done' } });
  });
});

describe('GraphiQL', () => {
  const page = async (options: Parameters<typeof makeYoga>[0] = {}) => {
    const { yoga } = makeYoga(options);
    const response = await yoga.fetch('http://127.0.0.1:4000/graphql', { headers: { accept: 'text/html' } });
    return { response, html: await response.text() };
  };

  it('is served at GET /graphql to browsers, titled Strata, opening the default operations', async () => {
    const { response, html } = await page();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(html).toContain('<title>Strata</title>');
    expect(html).toContain(JSON.stringify(defaultQuery).slice(1, 60));
  });

  it('works offline: no script, stylesheet, icon or import comes from another host', async () => {
    const { html } = await page();
    const external = /<(script|link|img|iframe|source)\b[^>]*\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//gi;
    expect(html.match(external)).toBeNull();
    expect(html.match(/@import\s+(url\()?\s*["']?(https?:)?\/\//gi)).toBeNull();
    expect(html.match(/url\(\s*["']?(https?:)?\/\//gi)).toBeNull();
    expect(html.match(/import\s*\(\s*["'](https?:)?\/\//gi)).toBeNull();
  });

  it('prefills an Authorization header when tokens are required, and is off when disabled', async () => {
    const { html } = await page({ tokens: testTokens() });
    expect(html).toContain('Bearer <token>');
    expect(html).not.toContain(secrets.reader);
    const { response } = await page({ graphiql: false });
    expect(response.status).not.toBe(200);
  });
});
