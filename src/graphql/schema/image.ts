import { removeImageByRef, tagImageByRef } from '../../app/images.ts';
import type { Digest } from '../../domain/digest.ts';
import { familiarReference } from '../../domain/image/reference.ts';
import { FileView } from '../../projections/fileView.ts';
import { LruCache } from '../../projections/lruCache.ts';
import { listContainers } from '../../projections/queries/containers.ts';
import { imageHistory } from '../../projections/queries/history.ts';
import { findImage, imageById, listImages } from '../../projections/queries/images.ts';
import { builder } from '../builder.ts';
import { resolvePage } from '../connections.ts';
import { mutationField } from '../mutation.ts';
import { layerLoader, tagsLoader } from './loaders.ts';
import { ContainerRef, ImageRef, LayerRef } from './refs.ts';
import type { ImageShape } from './shapes.ts';
import { viewFields } from './viewFields.ts';

/** References as Docker prints them; parsing is pure, so each stored reference is parsed once. */
const familiarNames = new LruCache<string, string>(10_000);
const familiar = (reference: string) => {
  let name = familiarNames.get(reference);
  if (name === undefined) {
    try {
      name = familiarReference(reference);
    } catch {
      name = reference;
    }
    familiarNames.set(reference, name);
  }
  return name;
};

builder.node(ImageRef, {
  description: 'An image: an ordered stack of layers plus its OCI config, as of a position.',
  id: { resolve: ({ row }) => row.image_id },
  loadOne: async (id, ctx) => {
    const row = await imageById(ctx.app.db, id);
    return row ? { row, asOf: undefined } : null;
  },
  isTypeOf: (value) =>
    typeof value === 'object' &&
    value !== null &&
    'row' in value &&
    'top_chain_id' in (value as ImageShape).row,
  fields: (t) => ({
    imageId: t.field({
      type: 'Digest',
      description: "The config digest (Docker's image id).",
      resolve: ({ row }) => row.image_id,
    }),
    repoTags: t.stringList({
      description: 'Tags naming the image, as Docker prints them (`ubuntu:latest`).',
      resolve: async ({ row, asOf }, _a, ctx) =>
        (await tagsLoader(ctx, asOf).load(row.image_id)).filter((r) => !r.includes('@')).map(familiar),
    }),
    repoDigests: t.stringList({ resolve: ({ row }) => row.repo_digests.map(familiar) }),
    created: t.field({ type: 'DateTime', nullable: true, resolve: ({ row }) => row.created }),
    layers: t.field({
      type: [ImageLayerRef],
      description: 'Layers base first.',
      resolve: ({ row, asOf }) =>
        row.diff_ids.map((diffId, index) => ({ diffId, chainId: row.chain_ids[index]!, index, asOf })),
    }),
    history: t.field({
      type: [HistoryEntryRef],
      description: 'Newest first, as `docker history`.',
      resolve: async ({ row, asOf }, _a, ctx) => {
        const loaded = await layerLoader(ctx, asOf).loadMany(row.diff_ids);
        const layers = new Map(
          loaded.flatMap((l) => (l && !(l instanceof Error) ? [[l.diff_id, l] as const] : [])),
        );
        return imageHistory(row, layers);
      },
    }),
    size: t.field({ type: 'Long', resolve: ({ row }) => Number(row.size) }),
    ...viewFields<ImageShape>(t, async ({ row }, ctx) => new FileView(ctx.app.db, row.top_chain_id)),
    containers: t.field({
      type: [ContainerRef],
      description: 'Containers created from this image (any state), newest first.',
      resolve: async ({ row, asOf }, _a, ctx) =>
        (
          await listContainers(ctx.app.db, { all: true, asOf, first: 10_000, imageId: row.image_id })
        ).rows.map((c) => ({ row: c, asOf })),
    }),
  }),
});

interface ImageLayerShape {
  diffId: string;
  chainId: string;
  index: number;
  asOf: number | undefined;
}

export const ImageLayerRef = builder.objectRef<ImageLayerShape>('ImageLayer').implement({
  fields: (t) => ({
    index: t.exposeInt('index'),
    chainId: t.field({ type: 'Digest', resolve: (l) => l.chainId }),
    layer: t.field({
      type: LayerRef,
      resolve: async ({ diffId, asOf }, _a, ctx) => ({
        row: (await layerLoader(ctx, undefined).load(diffId))!,
        asOf,
      }),
    }),
  }),
});

export const HistoryEntryRef = builder
  .objectRef<ReturnType<typeof imageHistory>[number]>('HistoryEntry')
  .implement({
    fields: (t) => ({
      createdBy: t.exposeString('createdBy'),
      created: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.created }),
      comment: t.exposeString('comment', { nullable: true }),
      author: t.exposeString('author', { nullable: true }),
      emptyLayer: t.exposeBoolean('emptyLayer'),
      size: t.field({ type: 'Long', resolve: (h) => h.size }),
    }),
  });

export const ImageConnection = builder.connectionObject({ type: ImageRef, name: 'ImageConnection' });

builder.queryFields((t) => ({
  images: t.connection(
    {
      type: ImageRef,
      args: { asOf: t.arg({ type: 'Position' }) },
      description: 'Images in the order they were created, as of a position.',
      resolve: (_root, args, ctx) =>
        resolvePage(args, ctx, {
          kind: 'image',
          key: (shape: ImageShape) => Number(shape.row.valid_from),
          fetch: async (after, limit) =>
            (
              await listImages(ctx.app.db, {
                asOf: args.asOf ?? undefined,
                first: limit,
                ...(after ? { afterPosition: Number(after) } : {}),
              })
            ).rows.map((row) => ({ row, asOf: args.asOf ?? undefined })),
        }),
    },
    ImageConnection,
  ),
  image: t.field({
    type: ImageRef,
    nullable: true,
    description: 'ref: name[:tag], name@digest, or an image id (or unique prefix).',
    args: { ref: t.arg.string({ required: true }), asOf: t.arg({ type: 'Position' }) },
    resolve: async (_root, { ref, asOf }, ctx) => {
      const row = await findImage(ctx.app.db, ref, asOf ?? undefined);
      return row ? { row, asOf: asOf ?? undefined } : null;
    },
  }),
}));

const current = async (
  ctx: { app: import('../../app/services.ts').AppServices },
  imageId: string,
): Promise<ImageShape> => ({
  row: (await imageById(ctx.app.db, imageId))!,
  asOf: undefined,
});

mutationField('tagImage', {
  type: ImageRef,
  description: '`docker tag IMAGE TARGET`: a tag that named another image moves here.',
  args: (arg) => ({ image: arg.string({ required: true }), target: arg.string({ required: true }) }),
  resolve: async ({ image, target }, ctx) => current(ctx, await tagImageByRef(ctx.app, image, target)),
});

const RemovedImageRef = builder
  .objectRef<{ untagged: string[]; deleted: Digest[] }>('RemovedImage')
  .implement({
    fields: (t) => ({
      untagged: t.exposeStringList('untagged'),
      deleted: t.field({ type: ['Digest'], resolve: (r) => r.deleted }),
    }),
  });

mutationField('removeImage', {
  type: RemovedImageRef,
  description:
    '`docker rmi [-f]`: untags; the last reference deletes the image and frees the layers nobody else uses.',
  args: (arg) => ({ image: arg.string({ required: true }), force: arg.boolean({ defaultValue: false }) }),
  resolve: ({ image, force }, ctx) => removeImageByRef(ctx.app, image, force ?? false),
});
