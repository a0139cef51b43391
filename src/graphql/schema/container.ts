import { containerChangesAt } from '../../app/changes.ts';
import { commitContainer } from '../../app/commitContainer.ts';
import { changeContainerState, createContainerFrom, removeContainerByRef } from '../../app/containers.ts';
import { removePath, writeFile } from '../../app/files.ts';
import type { AppServices } from '../../app/services.ts';
import { FileView } from '../../projections/fileView.ts';
import { blamePath } from '../../projections/queries/blame.ts';
import { findContainer, listContainers } from '../../projections/queries/containers.ts';
import { imageById } from '../../projections/queries/images.ts';
import { builder } from '../builder.ts';
import { resolvePage } from '../connections.ts';
import type { GraphQLContext } from '../context.ts';
import { mutationField } from '../mutation.ts';
import { imageLoader, layerLoader, sizeRwLoader } from './loaders.ts';
import { ChangeRef, ContainerRef, FileEntryRef, ImageRef, LayerRef, SessionRef } from './refs.ts';
import type { ContainerShape } from './shapes.ts';
import { viewFields } from './viewFields.ts';

export const ContainerStateEnum = builder.enumType('ContainerState', {
  values: ['CREATED', 'RUNNING', 'PAUSED', 'RESTARTING', 'REMOVING', 'EXITED', 'DEAD'] as const,
});

/** The merged view of a container at its position: its writable layer over its image's chain. */
async function containerView({ row, asOf }: ContainerShape, ctx: GraphQLContext) {
  const [image, at] = await Promise.all([
    imageLoader(ctx, asOf).load(row.image_id),
    ctx.reads.stableAt(asOf),
  ]);
  return new FileView(ctx.app.db, image?.top_chain_id ?? null, {
    containerId: row.container_id,
    ...(at === undefined ? { asOf } : { asOf: at, cache: ctx.reads.cache }),
  });
}

builder.node(ContainerRef, {
  description: "A container: a writable layer over an image, with Docker's lifecycle, as of a position.",
  id: { resolve: ({ row }) => row.container_id },
  loadOne: async (id, ctx) => {
    const row = await findContainer(ctx.app.db, id);
    return row && row.container_id === id ? { row, asOf: undefined } : null;
  },
  isTypeOf: (value) =>
    typeof value === 'object' &&
    value !== null &&
    'row' in value &&
    'container_id' in (value as ContainerShape).row,
  fields: (t) => ({
    containerId: t.string({
      description: '64 lowercase hex characters.',
      resolve: ({ row }) => row.container_id,
    }),
    name: t.string({ resolve: ({ row }) => row.name }),
    image: t.field({
      type: ImageRef,
      description: 'The image it was created from (as it was, even if since removed).',
      resolve: async ({ row, asOf }, _a, ctx) => ({
        row: (await imageLoader(ctx, asOf).load(row.image_id))!,
        asOf,
      }),
    }),
    command: t.stringList({
      description: 'The command the container runs (Entrypoint + Cmd).',
      resolve: ({ row }) => row.cmd,
    }),
    created: t.field({ type: 'DateTime', resolve: ({ row }) => row.created }),
    state: t.field({ type: ContainerStateEnum, resolve: ({ row }) => row.state.toUpperCase() as never }),
    restartCount: t.int({
      description: 'Restarts made by a restart policy (a manual restart resets it, as in Docker).',
      resolve: ({ row }) => row.restart_count,
    }),
    exitCode: t.int({ nullable: true, resolve: ({ row }) => row.exit_code }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: ({ row }) => row.started_at }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: ({ row }) => row.finished_at }),
    sizeRw: t.field({
      type: 'Long',
      description: 'Bytes in the writable layer.',
      resolve: ({ row, asOf }, _a, ctx) => sizeRwLoader(ctx, asOf).load(row.container_id),
    }),
    ...viewFields<ContainerShape>(t, containerView),
    changes: t.field({
      type: [ChangeRef],
      description: 'As `docker diff`.',
      resolve: ({ row, asOf }, _a, ctx) => containerChangesAt(ctx.app.db, row, asOf),
    }),
    blame: t.field({
      type: [PathVersionRef],
      description:
        'Every version of a path, oldest first: the image layers that put it in place, then each change the container made, with its command.',
      args: { path: t.arg.string({ required: true }) },
      resolve: async ({ row, asOf }, { path }, ctx) => {
        const image = await imageLoader(ctx, asOf).load(row.image_id);
        const versions = await blamePath(ctx.app.db, row, path, image?.diff_ids ?? []);
        return versions
          .filter((v) => asOf === undefined || v.position <= asOf)
          .map((v) => ({
            ...v,
            until: asOf !== undefined && v.until !== null && v.until > asOf ? null : v.until,
            asOf,
          }));
      },
    }),
    sessions: t.field({
      type: [SessionRef],
      resolve: async ({ row, asOf }, _a, ctx) => {
        let query = ctx.app.db
          .selectFrom('sessions')
          .select('session_id')
          .where('container_id', '=', row.container_id)
          .orderBy('started_position');
        if (asOf !== undefined) query = query.where('started_position', '<=', asOf);
        return (await query.execute()).map((s) => ({ sessionId: s.session_id }));
      },
    }),
  }),
});

type VersionShape = Awaited<ReturnType<typeof blamePath>>[number] & { asOf: number | undefined };

const PathVersionRef = builder.objectRef<VersionShape>('PathVersion').implement({
  description: "One version of a path in a container's history.",
  fields: (t) => ({
    position: t.field({ type: 'Position', resolve: (v) => v.position }),
    until: t.field({
      type: 'Position',
      nullable: true,
      description: 'Where the next version (or the removal) took over; null while current.',
      resolve: (v) => v.until,
    }),
    kind: t.string({
      description: '`node`, `whiteout` (deleted here) or `opaque` (a directory hiding the lower layers).',
      resolve: (v) => v.kind,
    }),
    entry: t.field({
      type: FileEntryRef,
      nullable: true,
      resolve: (v) =>
        v.node
          ? {
              entry: {
                node: v.node,
                origin: v.diffId
                  ? { kind: 'layer' as const, diffId: v.diffId as `sha256:${string}` }
                  : {
                      kind: 'container' as const,
                      position: v.position,
                      sessionId: v.sessionId,
                      command: v.command,
                      operation: v.operation,
                    },
              },
              asOf: v.asOf,
            }
          : null,
    }),
    layer: t.field({
      type: LayerRef,
      nullable: true,
      resolve: async (v, _a, ctx) =>
        v.diffId ? { row: (await layerLoader(ctx, undefined).load(v.diffId))!, asOf: v.asOf } : null,
    }),
    command: t.string({ nullable: true, resolve: (v) => v.command }),
    operation: t.string({ nullable: true, resolve: (v) => v.operation }),
    session: t.field({
      type: SessionRef,
      nullable: true,
      resolve: (v) => (v.sessionId ? { sessionId: v.sessionId } : null),
    }),
  }),
});

export const ContainerConnection = builder.connectionObject({
  type: ContainerRef,
  name: 'ContainerConnection',
});

builder.queryFields((t) => ({
  containers: t.connection(
    {
      type: ContainerRef,
      args: { all: t.arg.boolean({ defaultValue: false }), asOf: t.arg({ type: 'Position' }) },
      description: '`docker ps [-a]`, newest first, as of a position.',
      resolve: (_root, args, ctx) =>
        resolvePage(args, ctx, {
          kind: 'container',
          key: (shape: ContainerShape) => `${shape.row.created}|${shape.row.container_id}`,
          fetch: async (after, limit) => {
            const asOf = args.asOf ?? undefined;
            const page = {
              all: args.all ?? false,
              first: limit,
              ...(after ? { beforeCreated: after.split('|')[0]! } : {}),
            };
            const at = await ctx.reads.stableAt(asOf);
            const { rows } =
              at === undefined
                ? await listContainers(ctx.app.db, { ...page, asOf })
                : await ctx.reads.cache.containerPage({ ...page, at });
            return rows.map((row) => ({ row, asOf }));
          },
        }),
    },
    ContainerConnection,
  ),
  container: t.field({
    type: ContainerRef,
    nullable: true,
    description: 'ref: container name or id (or unique id prefix).',
    args: { ref: t.arg.string({ required: true }), asOf: t.arg({ type: 'Position' }) },
    resolve: async (_root, args, ctx) => {
      const asOf = args.asOf ?? undefined;
      const at = await ctx.reads.stableAt(asOf);
      const row =
        at === undefined
          ? await findContainer(ctx.app.db, args.ref, asOf)
          : await ctx.reads.cache.container(args.ref, at);
      return row ? { row, asOf } : null;
    },
  }),
}));

const currentContainer = async (app: AppServices, containerId: string): Promise<ContainerShape> => ({
  row: (await findContainer(app.db, containerId))!,
  asOf: undefined,
});

mutationField('createContainer', {
  type: ContainerRef,
  description: '`docker create [--name NAME] IMAGE [CMD...]`: a writable layer over the image.',
  args: (arg) => ({ image: arg.string({ required: true }), name: arg.string(), cmd: arg.stringList() }),
  resolve: async ({ image, name, cmd }, ctx) =>
    currentContainer(
      ctx.app,
      await createContainerFrom(ctx.app, { image, name: name ?? undefined, cmd: cmd ?? undefined }),
    ),
});

for (const [field, action, doc] of [
  ['startContainer', 'start', '`docker start`: a running container is left as it is.'],
  [
    'stopContainer',
    'stop',
    '`docker stop`: the shell is killed (exit code 137); a stopped container is left as it is.',
  ],
  ['restartContainer', 'restart', '`docker restart`.'],
  ['pauseContainer', 'pause', '`docker pause`.'],
  ['unpauseContainer', 'unpause', '`docker unpause`.'],
] as const) {
  mutationField(field, {
    type: ContainerRef,
    description: doc,
    args: (arg) => ({ container: arg.string({ required: true }) }),
    resolve: async ({ container }, ctx) =>
      currentContainer(ctx.app, await changeContainerState(ctx.app, container, action)),
  });
}

const RemovedContainerRef = builder.objectRef<{ containerId: string }>('RemovedContainer').implement({
  fields: (t) => ({ containerId: t.exposeString('containerId') }),
});

mutationField('removeContainer', {
  type: RemovedContainerRef,
  description: '`docker rm [-f]`: the writable layer goes with it (its history stays readable with `asOf`).',
  args: (arg) => ({ container: arg.string({ required: true }), force: arg.boolean({ defaultValue: false }) }),
  resolve: async ({ container, force }, ctx) => ({
    containerId: await removeContainerByRef(ctx.app, container, force ?? false),
  }),
});

mutationField('writeFile', {
  type: FileEntryRef,
  description:
    'Writes (or appends to) a file, creating missing parent directories, like `docker cp`; works on stopped containers too.',
  args: (arg) => ({
    container: arg.string({ required: true }),
    path: arg.string({ required: true }),
    content: arg.string({ required: true }),
    mode: arg.int(),
    append: arg.boolean({ defaultValue: false }),
  }),
  resolve: async ({ container, path, content, mode, append }, ctx) => ({
    entry: await writeFile(ctx.app, container, {
      path,
      content,
      mode: mode ?? undefined,
      append: append ?? false,
    }),
    asOf: undefined,
  }),
});

mutationField('removePath', {
  type: [ChangeRef],
  description: '`rm [-r] PATH` in the container: a path of the image leaves a whiteout.',
  args: (arg) => ({
    container: arg.string({ required: true }),
    path: arg.string({ required: true }),
    recursive: arg.boolean({ defaultValue: false }),
  }),
  resolve: async ({ container, path, recursive }, ctx) =>
    (await removePath(ctx.app, container, { path, recursive: recursive ?? false })).changes,
});

mutationField('commitContainer', {
  type: ImageRef,
  description: '`docker commit [-m] [-a] CONTAINER [REPOSITORY[:TAG]]`.',
  args: (arg) => ({
    container: arg.string({ required: true }),
    reference: arg.string(),
    message: arg.string(),
    author: arg.string(),
  }),
  resolve: async ({ container, reference, message, author }, ctx) => {
    const imageId = await commitContainer(ctx.app, {
      container,
      reference: reference ?? undefined,
      message: message ?? undefined,
      author: author ?? undefined,
    });
    return { row: (await imageById(ctx.app.db, imageId))!, asOf: undefined };
  },
});
