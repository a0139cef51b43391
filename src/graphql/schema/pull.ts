import { EventEmitter, on } from 'node:events';
import type { LayerProgress } from '../../app/importImage.ts';
import { pullImage } from '../../app/pullImage.ts';
import { normalizeReference } from '../../domain/image/reference.ts';
import { imageById } from '../../projections/queries/images.ts';
import { builder } from '../builder.ts';
import { mutationField } from '../mutation.ts';
import { ImageRef } from './refs.ts';

type Report = Awaited<ReturnType<typeof pullImage>>;

const PullLayerStatusRef = builder.objectRef<Report['layers'][number]>('PullLayerStatus').implement({
  fields: (t) => ({
    diffId: t.field({ type: 'Digest', resolve: (l) => l.diffId }),
    digest: t.field({ type: 'Digest', resolve: (l) => l.digest }),
    status: t.exposeString('status', {
      description: '`Already exists` or `Pull complete`, as docker pull prints.',
    }),
  }),
});

const PullReportRef = builder.objectRef<Report>('PullReport').implement({
  fields: (t) => ({
    image: t.field({
      type: ImageRef,
      resolve: async (r, _a, ctx) => ({ row: (await imageById(ctx.app.db, r.imageId))!, asOf: undefined }),
    }),
    layers: t.field({
      type: [PullLayerStatusRef],
      description: 'One line per layer: `Already exists` or `Pull complete`, as docker pull prints.',
      resolve: (r) => r.layers,
    }),
    status: t.exposeString('status', {
      description: '`Downloaded newer image for X` or `Image is up to date for X`.',
    }),
    manifestDigest: t.field({ type: 'Digest', resolve: (r) => r.manifestDigest }),
    lines: t.exposeStringList('lines', { description: 'What `docker pull` prints, line by line.' }),
  }),
});

/** Progress of the pulls this server is running, by normalised reference. */
const progress = new EventEmitter();
progress.setMaxListeners(0);

mutationField('pullImage', {
  type: PullReportRef,
  description:
    "`docker pull`: streamed, verified, atomic (a failure leaves no image, tag or event). Registry credentials come from the server's Docker config file or STRATA_REGISTRY_*; they never enter the event log.",
  args: (arg) => ({ ref: arg.string({ required: true }), platform: arg.string() }),
  resolve: async ({ ref, platform }, ctx) => {
    const key = normalizeReference(ref);
    return pullImage(ctx.app, ref, {
      ...(platform ? { platform } : {}),
      signal: ctx.signal,
      onProgress: (p) => progress.emit(key, p),
    });
  },
});

const LayerProgressRef = builder.objectRef<LayerProgress>('PullProgress').implement({
  description: 'Byte-level progress of one layer of a running pull.',
  fields: (t) => ({
    digest: t.field({ type: 'Digest', resolve: (p) => p.digest }),
    diffId: t.field({ type: 'Digest', resolve: (p) => p.diffId }),
    status: t.exposeString('status', { description: '`Already exists`, `Downloading` or `Pull complete`.' }),
    current: t.field({ type: 'Long', resolve: (p) => p.current }),
    total: t.field({ type: 'Long', resolve: (p) => p.total }),
  }),
});

builder.subscriptionField('pullProgress', (t) =>
  t.field({
    type: LayerProgressRef,
    description: 'Progress of pulls of `ref` running on this server (subscribe, then call pullImage).',
    args: { ref: t.arg.string({ required: true }) },
    subscribe: (_root, { ref }, ctx) => {
      const key = normalizeReference(ref);
      return (async function* () {
        for await (const [event] of on(progress, key, { signal: ctx.signal })) yield event as LayerProgress;
      })();
    },
    resolve: (p) => p,
  }),
);
