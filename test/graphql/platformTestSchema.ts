// A throwaway schema for the platform tests: the real platform modules plus test-only fields that
// exercise errors, limits, pagination, timeouts and subscriptions without any domain type.
import { setTimeout as sleep } from 'node:timers/promises';
import { conflictError, notFoundError, StrataError, validationError } from '../../src/domain/errors.ts';
import { builder } from '../../src/graphql/builder.ts';
import { resolvePage } from '../../src/graphql/connections.ts';
import { mutationField } from '../../src/graphql/mutation.ts';
// The platform's own modules only (not schema/modules.ts): these tests do not depend on the domain.
import '../../src/graphql/scalars.ts';
import '../../src/graphql/errors.ts';
import '../../src/graphql/schema/root.ts';
import '../../src/graphql/schema/serverInfo.ts';

interface Thing {
  name: string;
}
const Thing = builder.objectRef<Thing>('Thing').implement({
  fields: (t) => ({ name: t.exposeString('name') }),
});

interface Nest {
  level: number;
}
const Nest = builder.objectRef<Nest>('Nest');
Nest.implement({
  fields: (t) => ({
    level: t.exposeInt('level'),
    child: t.field({ type: Nest, resolve: (nest) => ({ level: nest.level + 1 }) }),
  }),
});

const ThingConnection = builder.connectionObject({ type: Thing, name: 'ThingConnection' });
const things = Array.from({ length: 250 }, (_, i) => ({ name: `thing-${String(i).padStart(3, '0')}` }));

/** What the leaky resolvers throw: an error whose message and stack must never reach a client. */
export const secretFailure = 'relation "secret_table" does not exist: SELECT password FROM secret_table';

builder.queryFields((t) => ({
  nest: t.field({ type: Nest, resolve: () => ({ level: 1 }) }),
  boom: t.string({
    resolve: () => {
      throw new Error(secretFailure);
    },
  }),
  missing: t.string({
    resolve: () => {
      throw notFoundError('image "nope" not found');
    },
  }),
  slow: t.string({
    args: { ms: t.arg.int({ required: true }) },
    resolve: async (_root, { ms }, ctx) => {
      await sleep(ms, undefined, { signal: ctx.signal }).catch(() => {});
      return ctx.signal.aborted ? 'aborted' : 'done';
    },
  }),
  things: t.connection(
    {
      type: Thing,
      resolve: (_root, args, ctx) =>
        resolvePage(args, ctx, {
          kind: 'thing',
          fetch: (after, limit) => things.filter((x) => after === null || x.name > after).slice(0, limit),
          key: (thing) => thing.name,
        }),
    },
    ThingConnection,
  ),
  echoPosition: t.field({
    type: 'Position',
    args: { p: t.arg({ type: 'Position', required: true }) },
    resolve: (_r, a) => a.p,
  }),
  echoLong: t.field({
    type: 'Long',
    args: { v: t.arg({ type: 'Long', required: true }) },
    resolve: (_r, a) => a.v,
  }),
  echoDateTime: t.field({
    type: 'DateTime',
    args: { v: t.arg({ type: 'DateTime', required: true }) },
    resolve: (_r, a) => a.v,
  }),
  echoDigest: t.field({
    type: 'Digest',
    args: { v: t.arg({ type: 'Digest', required: true }) },
    resolve: (_r, a) => a.v,
  }),
  echoJSON: t.field({
    type: 'JSON',
    args: { v: t.arg({ type: 'JSON', required: true }) },
    resolve: (_r, a) => a.v,
  }),
  bigPosition: t.field({ type: 'Position', resolve: () => 2n ** 60n }),
  positionFromDb: t.field({ type: 'Position', resolve: () => '12345' }),
}));

// The helper under test: one statement per mutation.
mutationField('createThing', {
  type: Thing,
  args: (arg) => ({ name: arg.string({ required: true }) }),
  resolve: (args) => {
    if (args.name === '') throw validationError('name must not be empty');
    if (args.name === 'taken') throw conflictError('a thing named "taken" exists');
    if (args.name === 'ghost') throw notFoundError('no ghost');
    if (args.name === 'upstream') throw new StrataError('UPSTREAM', 'registry said 503');
    if (args.name === 'crash') throw new Error(secretFailure);
    return { name: args.name };
  },
});

mutationField('removeThings', {
  type: [Thing],
  args: (arg) => ({ prefix: arg.string({ required: true }) }),
  authScopes: { admin: true },
  resolve: (args) => things.filter((x) => x.name.startsWith(args.prefix)).slice(0, 2),
});

builder.subscriptionField('ticks', (t) =>
  t.int({
    args: { count: t.arg.int({ required: true }), intervalMs: t.arg.int({ defaultValue: 5 }) },
    subscribe: async function* (_root, { count, intervalMs }) {
      for (let i = 1; i <= count; i++) {
        yield i;
        await sleep(intervalMs ?? 5);
      }
    },
    resolve: (value) => value,
  }),
);

/** Every batch the Widget loader received (one per request, however many widgets were asked for). */
export const widgetBatches: string[][] = [];

// A loadable Node (plugin-dataloader + plugin-relay): batched loads, global ids, Query.node.
const Widget = builder.loadableNode('Widget', {
  id: { resolve: (widget) => widget.key },
  load: async (keys: string[]) => {
    widgetBatches.push([...keys]);
    return keys.map((key) => (key === 'missing' ? new Error(secretFailure) : { key, size: key.length }));
  },
  fields: (t) => ({ key: t.exposeString('key'), size: t.exposeInt('size') }),
});

builder.queryField('widgets', (t) =>
  t.field({
    type: [Widget],
    args: { keys: t.arg.stringList({ required: true }) },
    resolve: (_root, { keys }) => keys,
  }),
);

export const testSchema = builder.toSchema();
