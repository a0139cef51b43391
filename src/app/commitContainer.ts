import { upperLayerEntries } from '../domain/container/layerEntries.ts';
import type { Digest } from '../domain/digest.ts';
import { notFoundError } from '../domain/errors.ts';
import { commitImageConfig, parseImageConfig, serializeImageConfig } from '../domain/image/config.ts';
import { decideImage } from '../domain/image/decide.ts';
import { evolveImage } from '../domain/image/state.ts';
import { decideLayer } from '../domain/layer/decide.ts';
import { evolveLayer, initialLayerState } from '../domain/layer/state.ts';
import { imageStream, layerStream, mergeStreamEvents } from '../domain/streams.ts';
import { writeLayer } from '../layers/writeLayer.ts';
import { imagesEverByIds } from '../projections/queries/images.ts';
import { loadContainer, resolveContainer } from './containers.ts';
import { type AppContext, commandMetadata } from './context.ts';
import { decideTag, loadImage, writesFor } from './images.ts';
import { storeLayer } from './layers.ts';
import { type Loaded, loadStream } from './loadStream.ts';
import type { CommandMetadata } from './ports.ts';

export interface CommitInput {
  container: string;
  reference?: string | undefined;
  message?: string | undefined;
  author?: string | undefined;
}

/**
 * `docker commit`: the writable layer becomes a deterministic tar changeset (whiteouts and opaque
 * markers included), stored as a new layer unless it is empty; the new image's config appends
 * the DiffID (or an `empty_layer` history entry) to the base image's. Layer, image and tag are
 * appended together.
 */
export async function commitContainer(
  app: AppContext,
  input: CommitInput,
  metadata: CommandMetadata = commandMetadata(),
) {
  const row = await resolveContainer(app, input.container);
  const { state } = await loadContainer(app, row.container_id);
  const base = (await imagesEverByIds(app.db, [row.image_id])).get(row.image_id);
  if (!base) throw notFoundError(`No such image: ${row.image_id}`);
  const baseConfig = parseImageConfig(await app.blobs.readAll(row.image_id as Digest));
  const entries = upperLayerEntries(state);
  const loaded = new Map<string, Loaded<unknown>>();
  let layerEvents: ReturnType<typeof decideLayer> = [];
  let diffId: Digest | null = null;
  if (entries.length > 0) {
    const written = writeLayer(entries, { getContent: (digest) => app.blobs.get(digest) });
    const data = await storeLayer(app.blobs, written.stream, {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
    });
    const { digest: _sameAsDiffId, compressedSize: _size, ...layer } = data;
    diffId = layer.diffId;
    const layerState = await loadStream(app.log, layerStream(diffId), evolveLayer, initialLayerState);
    loaded.set(layerStream(diffId), layerState);
    layerEvents = decideLayer({ type: 'RegisterLayer', data: layer }, layerState.state);
  }
  const cmd = row.cmd.join(' ');
  const config = commitImageConfig(baseConfig, {
    diffId,
    createdBy: cmd,
    created: app.now(),
    ...(input.message ? { comment: input.message } : {}),
    ...(input.author ? { author: input.author } : {}),
  });
  const { json, imageId } = serializeImageConfig(config);
  await app.blobs.put(new TextEncoder().encode(json));
  const image = await loadImage(app, imageId);
  loaded.set(imageStream(imageId), image);
  const imageEvents = decideImage(
    { type: 'CreateImage', data: { config: json, parent: row.image_id as Digest, source: 'commit' } },
    image.state,
  );
  const tagging = input.reference
    ? await decideTag(app, imageId, input.reference, {
        ...image,
        state: imageEvents.reduce(evolveImage, image.state),
      })
    : undefined;
  for (const [stream, s] of tagging?.loaded ?? []) if (!loaded.has(stream)) loaded.set(stream, s);
  const decisions = mergeStreamEvents<{ type: string; data: unknown }>(
    [{ stream: diffId ? layerStream(diffId) : '', events: layerEvents }],
    [{ stream: imageStream(imageId), events: imageEvents }],
    tagging?.decisions ?? [],
  );
  if (decisions.length > 0) await app.log.append(writesFor(decisions, loaded), metadata);
  return imageId;
}
