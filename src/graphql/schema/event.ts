import type { Db } from '../../db/database.ts';
import { headWatch, waitForVisible } from '../../eventStore/head.ts';
import { readAllPage } from '../../eventStore/readAll.ts';
import { subscribe } from '../../eventStore/subscribe.ts';
import type { RecordedEvent } from '../../eventStore/types.ts';
import { builder } from '../builder.ts';
import { pageSize } from '../connections.ts';

export const EventRef = builder.objectRef<RecordedEvent>('Event').implement({
  description: 'One immutable event of the store.',
  fields: (t) => ({
    position: t.field({ type: 'Position', resolve: (e) => e.position }),
    stream: t.exposeString('stream'),
    version: t.exposeInt('version'),
    type: t.exposeString('type'),
    data: t.field({ type: 'JSON', resolve: (e) => e.data }),
    metadata: t.field({ type: 'JSON', resolve: (e) => e.metadata }),
    recordedAt: t.field({ type: 'DateTime', resolve: (e) => e.recordedAt }),
  }),
});

export const EventConnection = builder.connectionObject({ type: EventRef, name: 'EventConnection' });

/**
 * The global order is read up to the safe head, which lags the newest commit while an older writing
 * transaction is still open anywhere on the server. A query waits (briefly) for the newest position
 * committed before it arrived, so a caller's own writes are listed; past the wait it answers with
 * the safe prefix, which never skips an event later. The heads are read by the process-wide
 * HeadWatch, so concurrent queries share that statement.
 */
const ownWritesWait = 2_000;
async function ownWritesVisible(db: Db): Promise<void> {
  const { last, safe } = await headWatch(db).fresh();
  if (safe < last) await waitForVisible(db, last, ownWritesWait).catch(() => undefined);
}

/** `stream` matches a whole stream name, or a prefix when it ends with `*` (`container-*`). */
const streamFilter = (stream: string | null | undefined) =>
  stream ? (stream.endsWith('*') ? { streamPrefix: stream.slice(0, -1) } : { stream }) : {};

builder.queryField('events', (t) =>
  t.field({
    type: EventConnection,
    description:
      'Events in global order after a position (the contract pages by position: pass the last `position` as `after`); `stream` is a name, or a prefix ending in `*`.',
    args: {
      after: t.arg({ type: 'Position' }),
      first: t.arg.int(),
      stream: t.arg.string(),
      types: t.arg.stringList(),
    },
    resolve: async (_root, args, ctx) => {
      await ownWritesVisible(ctx.app.db);
      const limit = pageSize({ first: args.first }, ctx.limits);
      const filter = streamFilter(args.stream);
      const events: RecordedEvent[] = [];
      let cursor = args.after ?? 0;
      let more = true;
      while (events.length <= limit && more) {
        const page = await readAllPage(ctx.app.db, {
          after: cursor,
          limit: Math.max(limit + 1, 100),
          ...('streamPrefix' in filter ? { streamPrefix: filter.streamPrefix } : {}),
          ...('stream' in filter ? { streamPrefix: filter.stream } : {}),
          ...(args.types?.length ? { types: args.types } : {}),
        });
        events.push(...page.events.filter((e) => !('stream' in filter) || e.stream === filter.stream));
        cursor = page.next;
        more = !page.done;
      }
      const edges = events.slice(0, limit).map((node) => ({ cursor: String(node.position), node }));
      return {
        edges,
        pageInfo: {
          hasNextPage: events.length > limit,
          hasPreviousPage: (args.after ?? 0) > 0,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
);

builder.subscriptionField('events', (t) =>
  t.field({
    type: EventRef,
    description: 'Every event after `after`, in global order, then live; never skips, never repeats.',
    args: { after: t.arg({ type: 'Position' }), stream: t.arg.string(), types: t.arg.stringList() },
    subscribe: (_root, args, ctx) => {
      const filter = streamFilter(args.stream);
      const subscription = subscribe(ctx.app.db, ctx.app.notifications, {
        after: args.after ?? 0,
        ...('streamPrefix' in filter ? { streamPrefix: filter.streamPrefix } : {}),
        ...('stream' in filter ? { streamPrefix: filter.stream } : {}),
        ...(args.types?.length ? { types: args.types } : {}),
      });
      const exact = 'stream' in filter ? filter.stream : undefined;
      return (async function* () {
        try {
          for await (const event of subscription)
            if (exact === undefined || event.stream === exact) yield event;
        } finally {
          await subscription.close();
        }
      })();
    },
    resolve: (event) => event,
  }),
);
