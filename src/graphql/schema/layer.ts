import { layerEntries, layersByDiffIds } from '../../projections/queries/layers.ts';
import { builder } from '../builder.ts';
import { resolvePage } from '../connections.ts';
import { FileEntryConnection } from './fileEntry.ts';
import { layerImageCountLoader } from './loaders.ts';
import { FileEntryRef, LayerRef } from './refs.ts';
import type { FileShape } from './shapes.ts';

LayerRef.implement({
  description: 'A layer changeset, stored once per DiffID and shared by every image that lists it.',
  fields: (t) => ({
    diffId: t.field({
      type: 'Digest',
      description: 'sha256 of the uncompressed tar.',
      resolve: ({ row }) => row.diff_id,
    }),
    digest: t.field({
      type: 'Digest',
      nullable: true,
      description: 'Compressed blob digest, where the layer came from a registry or archive.',
      resolve: ({ row }) => row.digest,
    }),
    size: t.field({
      type: 'Long',
      description: 'Bytes of file content (what `docker history` shows).',
      resolve: ({ row }) => Number(row.content_size),
    }),
    tarSize: t.field({
      type: 'Long',
      description: 'Bytes of the uncompressed tar.',
      resolve: ({ row }) => Number(row.size),
    }),
    entryCount: t.int({ resolve: ({ row }) => row.entry_count }),
    imageCount: t.int({
      description: 'Number of images that use this layer.',
      resolve: ({ row, asOf }, _args, ctx) => layerImageCountLoader(ctx, asOf).load(row.diff_id),
    }),
    entries: t.connection(
      {
        type: FileEntryRef,
        description:
          "This layer's own changeset (whiteouts and opaque markers are not files and are left out), in path order.",
        resolve: ({ row, asOf }, args, ctx) =>
          resolvePage<FileShape>(args, ctx, {
            kind: 'layer-entry',
            key: (shape) => shape.entry.node.path,
            fetch: async (after, limit) => {
              const page = await layerEntries(ctx.app.db, row.diff_id, limit, after ?? undefined);
              return page.entries
                .filter((e) => e.node !== undefined)
                .map((e) => ({
                  entry: {
                    node: e.node!,
                    origin: { kind: 'layer' as const, diffId: row.diff_id as `sha256:${string}` },
                  },
                  asOf,
                }));
            },
          }),
      },
      FileEntryConnection,
    ),
  }),
});

builder.queryField('layer', (t) =>
  t.field({
    type: LayerRef,
    nullable: true,
    args: { diffId: t.arg({ type: 'Digest', required: true }), asOf: t.arg({ type: 'Position' }) },
    resolve: async (_root, { diffId, asOf }, ctx) => {
      const at = asOf ?? undefined;
      const row = (await layersByDiffIds(ctx.app.db, [diffId], at)).get(diffId);
      return row ? { row, asOf: at } : null;
    },
  }),
);
