import type { Digest } from '../domain/digest.ts';
import { familiarReference, normalizeReference, parseReference } from '../domain/image/reference.ts';
import { writeDockerArchive } from '../oci/layout/writeDockerArchive.ts';
import { writeOciLayout } from '../oci/layout/writeOciLayout.ts';
import { tagsOf } from '../projections/queries/images.ts';
import type { AppContext } from './context.ts';
import { imageContentOf, type LayerOrigin } from './imageContent.ts';

export interface ExportOptions {
  format: 'oci' | 'docker-archive';
  /** OCI layout directory (created, or added to) or the `docker save` tar to write. */
  path: string;
  /**
   * OCI layout: `org.opencontainers.image.ref.name` (default: the tag when `ref` is a tag reference).
   * docker-archive: ignored (see repoTags).
   */
  refName?: string;
  /** docker-archive RepoTags (default: `ref` in its familiar form when it is a tag, else none, like `docker save <id>`). */
  repoTags?: string[];
  /**
   * OCI layout: 'original' (default) keeps the manifest the image was pulled with, even a Docker
   * schema2 one (digest preserved); 'oci' writes the equivalent OCI manifest (umoci and skopeo 1.9
   * accept only OCI media types in a layout).
   */
  manifestFormat?: 'original' | 'oci';
  /** The image as of this position (time travel). */
  asOf?: number;
  onProgress?: (digest: Digest, bytes: number) => void;
  signal?: AbortSignal;
}

export interface ExportResult {
  imageId: Digest;
  format: ExportOptions['format'];
  path: string;
  /** OCI layout: the manifest written; docker-archive: the OCI manifest inside the archive. */
  manifestDigest: Digest;
  /** Whether the original manifest (and so its digest) was kept. */
  originalManifest: boolean;
  layers: { diffId: Digest; digest: Digest; origin: LayerOrigin }[];
}

/**
 * `docker save` / an OCI layout of any image Strata holds. Pulled and imported images keep their
 * original blobs (and manifest, in a layout); a committed layer is written again deterministically
 * from its entry table and must reproduce its DiffID. Blobs stream into temporary files and are
 * renamed into place: a failure leaves no partial archive and no index entry.
 */
export async function exportImage(
  app: AppContext,
  ref: string,
  options: ExportOptions,
): Promise<ExportResult> {
  const content = await imageContentOf(app, ref, options.asOf !== undefined ? { asOf: options.asOf } : {});
  const tag = await tagNamed(app, content.imageId, ref, options.asOf);
  const signal = options.signal ? { signal: options.signal } : {};
  const layers = content.layers.map((l) => ({ diffId: l.diffId, digest: l.digest, origin: l.origin }));
  if (options.format === 'oci') {
    const refName = options.refName ?? (tag ? parseReference(tag).tag : undefined);
    const written = await writeOciLayout(options.path, content, {
      ...(refName !== undefined ? { ref: refName } : {}),
      ...(options.manifestFormat ? { manifestFormat: options.manifestFormat } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...signal,
    });
    return {
      imageId: content.imageId,
      format: 'oci',
      path: options.path,
      manifestDigest: written.manifestDigest,
      originalManifest: written.manifestDigest === content.manifestDigest,
      layers,
    };
  }
  const repoTags = options.repoTags ?? (tag ? [familiarReference(tag)] : []);
  const written = await writeDockerArchive(options.path, content, { repoTags, ...signal });
  return {
    imageId: content.imageId,
    format: 'docker-archive',
    path: options.path,
    manifestDigest: written.ociManifestDigest,
    originalManifest: false,
    layers,
  };
}

/** `ref` normalised when it is one of the image's tags (not an id, a prefix or a digest reference). */
async function tagNamed(
  app: AppContext,
  imageId: Digest,
  ref: string,
  asOf: number | undefined,
): Promise<string | undefined> {
  let normalized: string;
  try {
    normalized = normalizeReference(ref);
  } catch {
    return undefined;
  }
  const tags = (await tagsOf(app.db, [imageId], asOf)).get(imageId) ?? [];
  return tags.includes(normalized) ? normalized : undefined;
}
