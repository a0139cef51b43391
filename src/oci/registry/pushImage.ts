import type { Digest } from '../../domain/digest.ts';
import { sha256Digest } from '../../domain/digest.ts';
import { manifestFor } from '../manifestFor.ts';
import { mediaTypes } from '../mediaTypes.ts';
import type { ImageContent } from '../types.ts';
import { RegistryClient, type RegistryClientOptions } from './client.ts';
import { type ImageTarget, toImageTarget } from './openImage.ts';

export interface PushImageOptions extends RegistryClientOptions {
  client?: RegistryClient;
  /** Upload in PATCH chunks of this many bytes instead of one monolithic PUT per blob. */
  chunkSize?: number;
  /** Called per blob: 'exists' (skipped after HEAD) or 'uploaded'. */
  onBlob?: (digest: Digest, outcome: 'exists' | 'uploaded') => void;
  onProgress?: (digest: Digest, bytes: number) => void;
  signal?: AbortSignal;
}

/**
 * Pushes one image: layers and config (each skipped when a HEAD finds it), then the manifest under the
 * target's tag (or its digest). An ImageSource keeps its original manifest, so digests are preserved.
 */
export async function pushImage(
  destination: string | ImageTarget,
  image: ImageContent,
  options: PushImageOptions = {},
): Promise<{ manifestDigest: Digest; manifestMediaType: string; reference: string }> {
  const target = toImageTarget(destination);
  const client = options.client ?? new RegistryClient(target.registry, options);
  const { repository } = target;
  const signal = options.signal ? { signal: options.signal } : {};
  const manifest = manifestFor(image);
  const configBlob = {
    digest: sha256Digest(image.config.bytes),
    size: image.config.bytes.byteLength,
    mediaType: image.config.mediaType ?? mediaTypes.ociConfig,
  };
  for (const layer of image.layers) {
    if ((await client.blobExists(repository, layer.digest, options.signal)) === layer.size) {
      options.onBlob?.(layer.digest, 'exists');
      continue;
    }
    await client.uploadBlob(repository, layer, image.openBlob(layer, signal), {
      ...signal,
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      ...(options.onProgress ? { onProgress: (n: number) => options.onProgress!(layer.digest, n) } : {}),
    });
    options.onBlob?.(layer.digest, 'uploaded');
  }
  if ((await client.blobExists(repository, configBlob.digest, options.signal)) === configBlob.size) {
    options.onBlob?.(configBlob.digest, 'exists');
  } else {
    await client.uploadBlob(repository, configBlob, image.config.bytes, signal);
    options.onBlob?.(configBlob.digest, 'uploaded');
  }
  const reference = target.tag ?? target.digest ?? manifest.digest;
  const manifestDigest = await client.putManifest(
    repository,
    reference,
    manifest.bytes,
    manifest.mediaType,
    options.signal,
  );
  return {
    manifestDigest,
    manifestMediaType: manifest.mediaType,
    reference: `${target.registry}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`,
  };
}
