// graphql/index.js: the copy Pothos and Yoga load (vite would pick the ESM build for 'graphql').
import { getNamedType, isUnionType, printType } from 'graphql/index.js';
import { describe, expect, it } from 'vitest';
import { RequestLoaders } from '../../src/graphql/context.ts';
import { gql, makeYoga, testTokens } from './platformHarness.ts';
import { secretFailure, testSchema, widgetBatches } from './platformTestSchema.ts';

const createThing = (name: string) => `mutation {
  createThing(name: ${JSON.stringify(name)}) {
    __typename
    ... on Error { message code }
    ... on MutationCreateThingSuccess { data { name } }
  }
}`;

describe('GraphQL platform: root fields and context', () => {
  it('Query.serverInfo reports the version and backend from the context', async () => {
    const { yoga } = makeYoga();
    const { body } = await gql(yoga, '{ serverInfo { version backend } }');
    expect(body).toEqual({ data: { serverInfo: { version: '9.9.9-test', backend: 'pglite' } } });
  });
});

describe('GraphQL platform: mutations through mutationField', () => {
  it('returns the Success member with data', async () => {
    const { yoga } = makeYoga();
    const { body } = await gql(yoga, createThing('alpha'));
    expect(body.data.createThing).toEqual({
      __typename: 'MutationCreateThingSuccess',
      data: { name: 'alpha' },
    });
  });

  it.each([
    ['', 'ValidationError', 'VALIDATION', 'name must not be empty'],
    ['taken', 'ConflictError', 'CONFLICT', 'a thing named "taken" exists'],
    ['ghost', 'NotFoundError', 'NOT_FOUND', 'no ghost'],
    ['upstream', 'UpstreamError', 'UPSTREAM', 'registry said 503'],
  ])('maps a StrataError for %j to %s', async (name, typename, code, message) => {
    const { yoga } = makeYoga();
    const { body } = await gql(yoga, createThing(name));
    expect(body.errors).toBeUndefined();
    expect(body.data.createThing).toEqual({ __typename: typename, code, message });
  });

  it('masks an unexpected error: no message, stack or SQL reaches the client; the log has it with an id', async () => {
    const { yoga, log } = makeYoga();
    const { body, text } = await gql(yoga, createThing('crash'));
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    const [error] = body.errors;
    expect(error.message).toBe('Unexpected error.');
    expect(error.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.extensions.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(text).not.toContain('secret_table');
    expect(text).not.toContain('SELECT');
    expect(text).not.toMatch(/\bat .*\.ts:\d+/);
    const logged = log.records.find((r) => r.level === 'error' && r.errorId === error.extensions.errorId);
    const loggedError = logged?.error as { message: string; stack: string };
    expect(loggedError.message).toBe(secretFailure);
    expect(loggedError.stack).toContain('platformTestSchema.ts');
  });

  it('a list result is Success { data: [T!]! }, and field authScopes add to write', async () => {
    const { yoga } = makeYoga();
    const { body } = await gql(
      yoga,
      'mutation { removeThings(prefix: "thing-00") { ... on MutationRemoveThingsSuccess { data { name } } } }',
    );
    expect(body.data.removeThings.data).toEqual([{ name: 'thing-000' }, { name: 'thing-001' }]);
  });

  it('declares the result union with the Success type and every typed error', () => {
    const union = testSchema.getType('MutationCreateThingResult');
    expect(isUnionType(union)).toBe(true);
    const members = isUnionType(union) ? union.getTypes().map((t) => t.name) : [];
    expect(members.sort()).toEqual(
      [
        'MutationCreateThingSuccess',
        'ValidationError',
        'NotFoundError',
        'ConflictError',
        'ConcurrencyError',
        'IntegrityError',
        'UnauthorizedError',
        'ForbiddenError',
        'UpstreamError',
      ].sort(),
    );
    expect(printType(testSchema.getType('MutationCreateThingSuccess')!)).toContain('data: Thing!');
    expect(printType(testSchema.getType('MutationRemoveThingsSuccess')!)).toContain('data: [Thing!]!');
    const field = testSchema.getMutationType()!.getFields().createThing!;
    expect(String(field.type)).toBe('MutationCreateThingResult!');
    expect(String(field.args[0]!.type)).toBe('String!');
  });
});

describe('GraphQL platform: query errors', () => {
  it('a StrataError in a query is a GraphQL error with extensions.code', async () => {
    const { yoga, log } = makeYoga();
    const { body } = await gql(yoga, '{ missing }');
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: 'image "nope" not found',
        path: ['missing'],
        extensions: { code: 'NOT_FOUND' },
      }),
    ]);
    expect(log.records.filter((r) => r.level === 'error')).toEqual([]);
  });

  it('an unexpected error in a query is masked', async () => {
    const { yoga } = makeYoga();
    const { body, text } = await gql(yoga, '{ boom serverInfo { version } }');
    expect(body.errors[0]).toMatchObject({ message: 'Unexpected error.', path: ['boom'] });
    expect(text).not.toContain('secret_table');
  });
});

describe('GraphQL platform: connections', () => {
  const page = `query($first: Int, $after: String) {
    things(first: $first, after: $after) {
      edges { cursor node { name } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }`;

  it('pages forward with opaque cursors', async () => {
    const { yoga } = makeYoga();
    const first = (await gql(yoga, page, { variables: { first: 3 } })).body.data.things;
    expect(first.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([
      'thing-000',
      'thing-001',
      'thing-002',
    ]);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(first.pageInfo.endCursor).toBe(first.edges[2].cursor);
    const next = (await gql(yoga, page, { variables: { first: 3, after: first.pageInfo.endCursor } })).body
      .data.things;
    expect(next.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([
      'thing-003',
      'thing-004',
      'thing-005',
    ]);
    expect(next.pageInfo.hasPreviousPage).toBe(true);
  });

  it('uses the default page size without `first`, and reports the last page', async () => {
    const { yoga } = makeYoga({ limits: { defaultPageSize: 7 } });
    const { body } = await gql(yoga, page);
    expect(body.data.things.edges).toHaveLength(7);
    const last = (await gql(yoga, page, { variables: { first: 1000 } })).body.data.things;
    expect(last.edges).toHaveLength(250);
    expect(last.pageInfo.hasNextPage).toBe(false);
  });

  it('rejects a foreign cursor', async () => {
    const { yoga } = makeYoga();
    const { body } = await gql(yoga, page, { variables: { first: 1, after: 'bm90LWEtY3Vyc29y' } });
    expect(body.errors[0].message).toMatch(/^Invalid cursor/);
    expect(body.errors[0].extensions.code).toBe('VALIDATION');
  });

  it('generates <Name>Connection/<Name>Edge with non-null edges, nodes and cursors', () => {
    expect(printType(testSchema.getType('ThingConnection')!)).toBe(
      'type ThingConnection {\n  edges: [ThingEdge!]!\n  pageInfo: PageInfo!\n}',
    );
    expect(printType(testSchema.getType('ThingEdge')!)).toBe(
      'type ThingEdge {\n  cursor: String!\n  node: Thing!\n}',
    );
    const args = testSchema
      .getQueryType()!
      .getFields()
      .things!.args.map((a) => `${a.name}: ${a.type}`);
    expect(args).toEqual(expect.arrayContaining(['first: Int', 'after: String']));
    expect(getNamedType(testSchema.getQueryType()!.getFields().things!.type).name).toBe('ThingConnection');
  });
});

describe('GraphQL platform: scalars', () => {
  it('Position accepts numbers and decimal strings and serializes numbers', async () => {
    const { yoga } = makeYoga();
    const { body } = await gql(
      yoga,
      'query($v: Position!) { a: echoPosition(p: 42) b: echoPosition(p: "9007199254740991") c: echoPosition(p: $v) d: positionFromDb }',
      { variables: { v: '17' } },
    );
    expect(body).toEqual({ data: { a: 42, b: 9007199254740991, c: 17, d: 12345 } });
  });

  it.each([
    ['-1', /must not be negative/],
    ['"-1"', /non-negative integer/],
    ['1.5', /must be an integer/],
    ['"1e3"', /non-negative integer/],
    ['9007199254740993', /beyond 2\^53 - 1/],
    ['"9007199254740993"', /beyond 2\^53 - 1/],
    ['true', /non-negative integer/],
  ])('Position rejects %s clearly', async (literal, message) => {
    const { yoga } = makeYoga();
    const { body } = await gql(yoga, `{ echoPosition(p: ${literal}) }`);
    expect(body.data).toBeUndefined();
    expect(body.errors[0].message).toMatch(message);
  });

  it('Position rejects bad variables too', async () => {
    const { yoga } = makeYoga();
    for (const value of [-3, 2.5, 2 ** 60, 'abc']) {
      const { body } = await gql(yoga, 'query($v: Position!) { echoPosition(p: $v) }', {
        variables: { v: value },
      });
      expect(body.errors[0].message).toMatch(/Position/);
    }
  });

  it('an unrepresentable Position on output is masked, not truncated', async () => {
    const { yoga } = makeYoga();
    const { body } = await gql(yoga, '{ bigPosition }');
    expect(body.data).toBeNull();
    expect(body.errors[0].message).toBe('Unexpected error.');
  });

  it('Long takes JSON numbers only', async () => {
    const { yoga } = makeYoga();
    expect((await gql(yoga, '{ echoLong(v: 1048576) }')).body).toEqual({ data: { echoLong: 1048576 } });
    expect((await gql(yoga, '{ echoLong(v: "12") }')).body.errors[0].message).toMatch(
      /Long must be a non-negative integer/,
    );
    expect((await gql(yoga, '{ echoLong(v: -2) }')).body.errors[0].message).toMatch(/must not be negative/);
  });

  it('DateTime parses ISO-8601 with a zone and prints UTC', async () => {
    const { yoga } = makeYoga();
    const ok = await gql(yoga, '{ echoDateTime(v: "2024-05-01T14:00:00+02:00") }');
    expect(ok.body).toEqual({ data: { echoDateTime: '2024-05-01T12:00:00.000Z' } });
    for (const bad of [
      '"2024-05-01"',
      '"yesterday"',
      '"2024-13-45T00:00:00Z"',
      '"2023-02-29T00:00:00Z"',
      '"2024-05-01T12:00:00"',
      '12',
    ]) {
      const { body } = await gql(yoga, `{ echoDateTime(v: ${bad}) }`);
      expect(body.errors[0].message, bad).toMatch(/DateTime/);
    }
  });

  it('Digest takes sha256:<64 lowercase hex> only', async () => {
    const { yoga } = makeYoga();
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect((await gql(yoga, `{ echoDigest(v: "${digest}") }`)).body).toEqual({
      data: { echoDigest: digest },
    });
    for (const bad of [`sha256:${'AB'.repeat(32)}`, `sha256:${'ab'.repeat(31)}`, `md5:${'ab'.repeat(16)}`]) {
      const { body } = await gql(yoga, `{ echoDigest(v: "${bad}") }`);
      expect(body.errors[0].message).toMatch(/Digest must be sha256:<64 lowercase hex>/);
    }
  });

  it('JSON round-trips literals and variables', async () => {
    const { yoga } = makeYoga();
    const { body } = await gql(
      yoga,
      'query($x: JSON!) { a: echoJSON(v: {n: 1, list: [true, null, "s", $x]}) b: echoJSON(v: $x) }',
      {
        variables: { x: { deep: [1, { y: 'z' }] } },
      },
    );
    expect(body.data).toEqual({
      a: { n: 1, list: [true, null, 's', { deep: [1, { y: 'z' }] }] },
      b: { deep: [1, { y: 'z' }] },
    });
  });
});

describe('GraphQL platform: loaders and nodes', () => {
  it('batches loads per request (plugin-dataloader)', async () => {
    const { yoga } = makeYoga();
    widgetBatches.length = 0;
    const { body } = await gql(
      yoga,
      '{ widgets(keys: ["a", "bb", "a"]) { key size } again: widgets(keys: ["ccc"]) { key } }',
    );
    expect(body.data.widgets).toEqual([
      { key: 'a', size: 1 },
      { key: 'bb', size: 2 },
      { key: 'a', size: 1 },
    ]);
    expect(widgetBatches).toEqual([['a', 'bb', 'ccc']]);
  });

  it('refetches any Node by its global id with Query.node, behind the read scope', async () => {
    const { yoga } = makeYoga();
    const { body } = await gql(yoga, '{ widgets(keys: ["bb"]) { id } }');
    const id = body.data.widgets[0].id;
    expect(Buffer.from(id, 'base64').toString()).toBe('Widget:bb');
    const node = await gql(yoga, 'query($id: ID!) { node(id: $id) { id ... on Widget { key size } } }', {
      variables: { id },
    });
    expect(node.body.data.node).toEqual({ id, key: 'bb', size: 2 });
    const { yoga: guarded } = makeYoga({ tokens: testTokens() });
    const anonymous = await gql(guarded, 'query($id: ID!) { node(id: $id) { id } }', { variables: { id } });
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHORIZED');
  });

  it('a failed load is masked like any unexpected error', async () => {
    const { yoga } = makeYoga();
    const { body, text } = await gql(yoga, '{ widgets(keys: ["missing"]) { key } }');
    expect(body.errors[0].message).toBe('Unexpected error.');
    expect(text).not.toContain('secret_table');
  });

  it('RequestLoaders gives one DataLoader per name per request', async () => {
    const loaders = new RequestLoaders();
    const calls: number[][] = [];
    const batch = async (keys: readonly number[]) => {
      calls.push([...keys]);
      return keys.map((k) => k * 2);
    };
    const [a, b] = await Promise.all([
      loaders.get('double', batch).load(1),
      loaders.get('double', batch).load(2),
    ]);
    expect([a, b]).toEqual([2, 4]);
    expect(calls).toEqual([[1, 2]]);
  });
});
