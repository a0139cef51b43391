import type { Selectable } from 'kysely';
import type { SessionsTable } from '../../projections/tables.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';

type SessionsRow = Selectable<SessionsTable>;

import { containerLoader } from './loaders.ts';
import { ChangeRef, ContainerRef, SessionRef } from './refs.ts';

interface StepShape {
  session_id: string;
  idx: number;
  command: string;
  exit_code: number;
  stdout: string;
  stderr: string;
  changes: { kind: 'A' | 'C' | 'D'; path: string }[];
  position: string | number;
  limit_hit: string | null;
  executed_at: string;
}

export const SessionStepRef = builder.objectRef<StepShape>('SessionStep');

/** One query per request for all the sessions it touches (each session field reads the same row). */
const sessionRow = (ctx: GraphQLContext, id: string) =>
  ctx.loaders
    .get<string, SessionsRow | undefined>('session', async (ids) => {
      const rows = await ctx.app.db
        .selectFrom('sessions')
        .selectAll()
        .where('session_id', 'in', [...ids])
        .execute();
      return ids.map((sid) => rows.find((r) => r.session_id === sid));
    })
    .load(id);

SessionRef.implement({
  description: 'A shell session in a container: `run -it`, `start -ai`, or the single command of an `exec`.',
  fields: (t) => ({
    id: t.id({ resolve: (s) => s.sessionId }),
    container: t.field({
      type: ContainerRef,
      description: 'The container, as of the session start (it may have been removed since).',
      resolve: async (s, _args, ctx) => {
        const session = await sessionRow(ctx, s.sessionId);
        const at = Number(session!.started_position);
        const row = await containerLoader(ctx, at).load(session!.container_id);
        return { row: row!, asOf: at };
      },
    }),
    interactive: t.boolean({
      resolve: async (s, _a, ctx) => (await sessionRow(ctx, s.sessionId))!.interactive,
    }),
    exitCode: t.int({
      nullable: true,
      description: 'The shell exit code, once the session ended.',
      resolve: async (s, _a, ctx) => (await sessionRow(ctx, s.sessionId))?.exit_code ?? null,
    }),
    steps: t.field({
      type: [SessionStepRef],
      resolve: (s, _a, ctx) =>
        ctx.app.db
          .selectFrom('session_steps')
          .selectAll()
          .where('session_id', '=', s.sessionId)
          .orderBy('idx')
          .execute(),
    }),
  }),
});

SessionStepRef.implement({
  description:
    'One command of a session: what ran, what it printed, what it changed, and where in history it landed.',
  fields: (t) => ({
    index: t.int({ resolve: (s) => s.idx }),
    command: t.exposeString('command'),
    stdout: t.exposeString('stdout'),
    stderr: t.exposeString('stderr'),
    exitCode: t.int({ resolve: (s) => s.exit_code }),
    position: t.field({
      type: 'Position',
      description: "The position after this step's events.",
      resolve: (s) => Number(s.position),
    }),
    executedAt: t.field({ type: 'DateTime', resolve: (s) => s.executed_at }),
    limitHit: t.string({ nullable: true, resolve: (s) => s.limit_hit }),
    changes: t.field({
      type: [ChangeRef],
      description: 'The file changes this step made.',
      resolve: (s) => s.changes,
    }),
  }),
});

export const ChangeKindEnum = builder.enumType('ChangeKind', { values: ['A', 'C', 'D'] as const });
ChangeRef.implement({
  fields: (t) => ({
    kind: t.field({ type: ChangeKindEnum, resolve: (c) => c.kind }),
    path: t.exposeString('path'),
  }),
});

builder.queryField('session', (t) =>
  t.field({
    type: SessionRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) =>
      (await sessionRow(ctx, String(id))) ? { sessionId: String(id) } : null,
  }),
);
