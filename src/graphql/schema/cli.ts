// Read-only fields the `strata` CLI needs for Docker's output (docker inspect, docker ps, times of positions).
import { sql } from 'kysely';
import { validationError } from '../../domain/errors.ts';
import { containerStream } from '../../domain/streams.ts';
import { builder } from '../builder.ts';
import { ContainerRef, ImageRef } from './refs.ts';

builder.objectField(ImageRef, 'config', (t) =>
  t.field({
    type: 'JSON',
    nullable: true,
    description:
      'The OCI image config (architecture, os, config { Env, Cmd, Entrypoint, WorkingDir, … }, rootfs, history), as `docker image inspect` shows it.',
    resolve: ({ row }) => (row.config ?? null) as never,
  }),
);

builder.objectField(ContainerRef, 'imageReference', (t) =>
  t.string({
    nullable: true,
    description: 'The image argument as given to create (`ubuntu`), which `docker ps` shows.',
    resolve: async ({ row }, _a, ctx) => {
      const first = await ctx.app.db
        .selectFrom('events')
        .select('data')
        .where('stream', '=', containerStream(row.container_id))
        .where('version', '=', 1)
        .executeTakeFirst();
      const data = (typeof first?.data === 'string' ? JSON.parse(first.data) : first?.data) as
        | { imageReference?: unknown }
        | undefined;
      return typeof data?.imageReference === 'string' ? data.imageReference : null;
    },
  }),
);

builder.queryField('recordedAt', (t) =>
  t.field({
    type: ['DateTime'],
    nullable: { list: false, items: true },
    description:
      'When each position was recorded (null where no event has that position), in the order asked; at most 1000.',
    args: { positions: t.arg({ type: ['Position'], required: true }) },
    resolve: async (_root, { positions }, ctx) => {
      if (positions.length > 1000)
        throw validationError(`recordedAt takes at most 1000 positions, not ${positions.length}`);
      if (positions.length === 0) return [];
      const rows = await ctx.app.db
        .selectFrom('events')
        .select(['position', sql<number>`(extract(epoch from recorded_at) * 1000)::float8`.as('recorded_ms')])
        .where('position', 'in', positions.map(Number))
        .execute();
      const at = new Map(
        rows.map((r) => [Number(r.position), new Date(Number(r.recorded_ms)).toISOString()]),
      );
      return positions.map((p) => at.get(Number(p)) ?? null);
    },
  }),
);
