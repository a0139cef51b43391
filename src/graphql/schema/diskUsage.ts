import { diskUsage } from '../../projections/queries/diskUsage.ts';
import { builder } from '../builder.ts';
import { ContainerRef, ImageRef } from './refs.ts';

type Usage = Awaited<ReturnType<typeof diskUsage>> & { asOf: number | undefined };

const ImageUsageRef = builder
  .objectRef<Usage['images'][number] & { asOf: number | undefined }>('ImageUsage')
  .implement({
    fields: (t) => ({
      image: t.field({ type: ImageRef, resolve: (u) => ({ row: u.image, asOf: u.asOf }) }),
      size: t.field({ type: 'Long', resolve: (u) => u.size }),
      sharedSize: t.field({
        type: 'Long',
        description: 'Bytes of layer stacks another image uses too.',
        resolve: (u) => u.sharedSize,
      }),
      uniqueSize: t.field({ type: 'Long', resolve: (u) => u.uniqueSize }),
      containers: t.int({ resolve: (u) => u.containers }),
    }),
  });

const ContainerUsageRef = builder
  .objectRef<Usage['containers'][number] & { asOf: number | undefined }>('ContainerUsage')
  .implement({
    fields: (t) => ({
      container: t.field({ type: ContainerRef, resolve: (u) => ({ row: u.container, asOf: u.asOf }) }),
      sizeRw: t.field({ type: 'Long', resolve: (u) => u.sizeRw }),
      virtualSize: t.field({
        type: 'Long',
        description: 'Writable layer plus image.',
        resolve: (u) => u.virtualSize,
      }),
    }),
  });

const DiskUsageRef = builder.objectRef<Usage>('DiskUsage').implement({
  description: '`docker system df -v`, plus what Docker cannot show: content stored once across all layers.',
  fields: (t) => ({
    images: t.field({ type: [ImageUsageRef], resolve: (u) => u.images.map((i) => ({ ...i, asOf: u.asOf })) }),
    containers: t.field({
      type: [ContainerUsageRef],
      resolve: (u) => u.containers.map((c) => ({ ...c, asOf: u.asOf })),
    }),
    layersSize: t.field({
      type: 'Long',
      description: 'Bytes of all distinct layers.',
      resolve: (u) => u.layersSize,
    }),
    storedBytes: t.field({
      type: 'Long',
      description: 'Bytes of file contents stored once, after content deduplication.',
      resolve: (u) => u.storedBytes,
    }),
  }),
});

builder.queryField('diskUsage', (t) =>
  t.field({
    type: DiskUsageRef,
    args: { asOf: t.arg({ type: 'Position' }) },
    resolve: async (_root, { asOf }, ctx) => ({
      ...(await diskUsage(ctx.app.db, asOf ?? undefined)),
      asOf: asOf ?? undefined,
    }),
  }),
);
