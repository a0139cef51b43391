import { head, lastPosition, positionAt } from '../../eventStore/head.ts';
import { builder } from '../builder.ts';

builder.queryFields((t) => ({
  head: t.field({
    type: 'Position',
    description:
      'The newest position: what `asOf` means when it is omitted (every committed event, your own writes included). `safeHead` is the newest position no later commit can precede.',
    resolve: (_root, _args, ctx) => lastPosition(ctx.app.db),
  }),
  safeHead: t.field({
    type: 'Position',
    description:
      'The newest position below every transaction still in flight: reading up to it never misses an event that commits later (what subscriptions and checkpoints use).',
    resolve: (_root, _args, ctx) => head(ctx.app.db),
  }),
  positionAt: t.field({
    type: 'Position',
    description: 'The position current at a moment in time (0 before the first event).',
    args: { time: t.arg({ type: 'DateTime', required: true }) },
    resolve: (_root, { time }, ctx) => positionAt(ctx.app.db, time),
  }),
}));
