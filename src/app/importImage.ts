import { chainIds, type Digest } from '../domain/digest.ts';
import { decideImage } from '../domain/image/decide.ts';
import { familiarReference, normalizeReference } from '../domain/image/reference.ts';
import { evolveImage as evolveImageFn } from '../domain/image/state.ts';
import { decideLayer } from '../domain/layer/decide.ts';
import { evolveLayer, initialLayerState } from '../domain/layer/state.ts';
import { imageStream, layerStream, mergeStreamEvents, type StreamEvents } from '../domain/streams.ts';
import type { ImageSource } from '../oci/types.ts';
import { type AppContext, commandMetadata } from './context.ts';
import { decideTag, loadImage, writesFor } from './images.ts';
import { storeLayer } from './layers.ts';
import { type Loaded, loadStream } from './loadStream.ts';
import type { CommandMetadata } from './ports.ts';

export interface LayerProgress {
  digest: Digest;
  diffId: Digest;
  /** `Already exists`, `Waiting`, `Downloading`, `Pull complete` — docker pull's words. */
  status: string;
  current: number;
  total: number;
}

export interface PullReport {
  imageId: Digest;
  reference: string;
  manifestDigest: Digest;
  layers: { diffId: Digest; digest: Digest; status: 'Already exists' | 'Pull complete' }[];
  /** `Downloaded newer image for X` or `Image is up to date for X`. */
  status: string;
}

/**
 * Brings an image in from a registry, an OCI layout or a `docker save` archive. Layer blobs stream
 * through verification into the content store; then ONE append records the new layers, the image
 * and its tag, so a pull that fails anywhere leaves no image, no tag and no events (verified
 * content may stay in the store for the retry).
 */
export async function importImage(
  app: AppContext,
  source: ImageSource,
  options: { tag?: string | undefined; onProgress?: (progress: LayerProgress) => void } = {},
  metadata: CommandMetadata = commandMetadata(),
): Promise<PullReport> {
  const diffIds = source.layers.map((l) => l.diffId);
  const chains = chainIds(diffIds);
  const present = await presentChains(app, chains);
  let missingFrom = chains.findIndex((c) => !present.has(c));
  if (missingFrom === -1) missingFrom = chains.length;

  const layerDecisions: StreamEvents<{ type: string; data: unknown }>[] = [];
  const loaded = new Map<string, Loaded<unknown>>();
  const report: PullReport['layers'] = [];
  for (const [i, layer] of source.layers.entries()) {
    const stream = layerStream(layer.diffId);
    const state = await loadStream(app.log, stream, evolveLayer, initialLayerState);
    loaded.set(stream, state);
    const exists = i < missingFrom;
    report.push({
      diffId: layer.diffId,
      digest: layer.digest,
      status: exists ? 'Already exists' : 'Pull complete',
    });
    const progress = (status: string, current: number) =>
      options.onProgress?.({
        digest: layer.digest,
        diffId: layer.diffId,
        status,
        current,
        total: layer.size,
      });
    if (exists || state.state.status === 'registered') {
      progress(exists ? 'Already exists' : 'Pull complete', layer.size);
      continue;
    }
    progress('Downloading', 0);
    const data = await storeLayer(
      app.blobs,
      source.openBlob(layer, { onProgress: (bytes) => progress('Downloading', bytes) }),
      {
        expected: { digest: layer.digest, size: layer.size, diffId: layer.diffId },
        mediaType: layer.mediaType,
        keepBlob: true,
        // ImageSource blobs verify digest and size themselves (the last chunk waits for the check).
        verifiedSource: true,
      },
    );
    layerDecisions.push({ stream, events: decideLayer({ type: 'RegisterLayer', data }, state.state) });
    progress('Pull complete', layer.size);
  }

  await app.blobs.put(source.config.bytes, { digest: source.config.digest, size: source.config.size });
  await app.blobs.put(source.manifestBytes);
  if (source.index) await app.blobs.put(source.index.bytes);
  const imageId = source.config.digest;
  const image = await loadImage(app, imageId);
  loaded.set(imageStream(imageId), image);
  const repository = source.source === 'registry' ? source.reference.replace(/[:@][^/]*$/, '') : undefined;
  const manifestDigest = source.index?.digest ?? source.manifestDigest;
  const imageEvents = decideImage(
    {
      type: 'CreateImage',
      data: {
        config: source.config.bytes,
        configDigest: source.config.digest,
        manifestDigest: source.manifestDigest,
        ...(repository && source.manifestOriginal
          ? { repoDigests: [`${repository}@${manifestDigest}`] }
          : {}),
        source: source.source === 'registry' ? 'pull' : 'import',
      },
    },
    image.state,
  );
  const tagRef =
    options.tag ??
    (source.source === 'registry' && !/@sha256:/.test(source.reference) ? source.reference : source.tags[0]);
  const evolved = imageEvents.reduce(evolveImageState, image);
  const tagging = tagRef ? await decideTag(app, imageId, tagRef, evolved) : undefined;
  for (const [stream, state] of tagging?.loaded ?? []) if (!loaded.has(stream)) loaded.set(stream, state);
  const decisions = mergeStreamEvents(
    layerDecisions,
    [{ stream: imageStream(imageId), events: imageEvents }],
    tagging?.decisions ?? [],
  );
  if (decisions.length > 0) await app.log.append(writesFor(decisions, loaded), metadata);
  const changed = imageEvents.some((e) => e.type === 'ImageCreated') || (tagging?.decisions.length ?? 0) > 0;
  const shown = familiarReference(tagRef ?? `${repository ?? 'image'}@${manifestDigest}`);
  return {
    imageId,
    reference: tagRef ? normalizeReference(tagRef) : imageId,
    manifestDigest,
    layers: report,
    status: changed ? `Downloaded newer image for ${shown}` : `Image is up to date for ${shown}`,
  };
}

/** The state the image stream will have after `events`, so a tag decided in the same append sees the new image. */
function evolveImageState(
  loaded: Awaited<ReturnType<typeof loadImage>>,
  event: ReturnType<typeof decideImage>[number],
) {
  return { ...loaded, state: evolveImageFn(loaded.state, event) };
}

async function presentChains(app: AppContext, chains: Digest[]): Promise<Set<string>> {
  if (chains.length === 0) return new Set();
  const rows = await app.db.selectFrom('images').select('chain_ids').where('valid_to', 'is', null).execute();
  const present = new Set<string>();
  for (const row of rows) for (const c of row.chain_ids) present.add(c);
  return new Set(chains.filter((c) => present.has(c)));
}
