import { type Digest, isDigest } from '../domain/digest.ts';
import { integrityError, notFoundError } from '../domain/errors.ts';
import { parseReference } from '../domain/image/reference.ts';
import { statContent } from '../eventStore/contentStore.ts';
import { writeLayer } from '../layers/writeLayer.ts';
import { parseManifestDocument } from '../oci/manifest.ts';
import { mediaTypes } from '../oci/mediaTypes.ts';
import type { BlobRef, Descriptor, ImageContent, OpenBlobOptions } from '../oci/types.ts';
import { verifyStream } from '../oci/verifyStream.ts';
import { findImage, type ImageRow } from '../projections/queries/images.ts';
import { layersByDiffIds } from '../projections/queries/layers.ts';
import type { AppContext } from './context.ts';
import { decodeEntries } from './layers.ts';

/** Where an exported layer's bytes come from. */
export type LayerOrigin =
  /** The blob as pulled or imported, kept in the content store (original digest). */
  | 'kept'
  /** Re-written by writeLayer from the layer's entry table (a committed layer), DiffID verified. */
  | 'regenerated';

export type ExportLayer = BlobRef & {
  mediaType: string;
  diffId: Digest;
  annotations?: Record<string, string>;
  origin: LayerOrigin;
};

/** An image of Strata as the OCI writers take it, plus where each part came from. */
export interface StrataImageContent extends ImageContent {
  imageId: Digest;
  image: ImageRow;
  layers: ExportLayer[];
  /** The manifest the image was pulled or imported with, kept byte for byte (its digest survives export and push). */
  manifestDigest?: Digest;
}

/**
 * The content of any image Strata holds (pulled, imported, committed), as of a position or now:
 * the config's exact bytes (content store, key = image id); each layer's blob from the content
 * store when it was kept (pulled and imported layers), else a deterministic tar written again from
 * the layer's entry table (committed layers), checked against the DiffID while it streams; and the
 * original manifest bytes when every layer it names is at hand, so digests are reproduced (the one a
 * digest reference names, else the one the image was created with).
 * Otherwise the writers synthesise an OCI manifest. Nothing is read until a blob is opened, and
 * blobs stream: no layer is held in memory.
 */
export async function imageContentOf(
  app: AppContext,
  ref: string,
  options: { asOf?: number } = {},
): Promise<StrataImageContent> {
  const image = await findImage(app.db, ref, options.asOf);
  if (!image) throw notFoundError(`No such image: ${ref}`, { image: ref });
  const imageId = image.image_id as Digest;
  const configBytes = await app.blobs.readAll(imageId);
  const diffIds = image.diff_ids as Digest[];
  const rows = await layersByDiffIds(app.db, diffIds);
  const manifest = await originalManifest(app, image, ref);

  const layers: ExportLayer[] = [];
  for (const [i, diffId] of diffIds.entries()) {
    const row = rows.get(diffId);
    if (!row) throw notFoundError(`layer ${diffId} of image ${imageId} is not stored`, { diffId });
    const described = manifest?.layers[i];
    if (described && (await storedSize(app, described.digest)) === described.size) {
      layers.push({ ...describedLayer(described), diffId, origin: 'kept' });
      continue;
    }
    if (row.digest && (await storedSize(app, row.digest)) !== undefined) {
      const size = (await storedSize(app, row.digest))!;
      const mediaType =
        row.media_type ?? (row.digest === diffId ? mediaTypes.ociLayerTar : mediaTypes.ociLayerGzip);
      layers.push({ digest: row.digest as Digest, size, mediaType, diffId, origin: 'kept' });
      continue;
    }
    layers.push({
      digest: diffId,
      size: Number(row.size),
      mediaType: mediaTypes.ociLayerTar,
      diffId,
      origin: 'regenerated',
    });
  }
  const entriesOf = new Map(diffIds.map((d) => [d, rows.get(d)!.entries_digest as Digest]));
  const keepsManifest =
    manifest !== undefined &&
    layers.every((l, i) => l.digest === manifest.layers[i]!.digest && l.size === manifest.layers[i]!.size);

  const openBlob = (blob: BlobRef, blobOptions: OpenBlobOptions = {}): AsyncIterable<Uint8Array> => {
    const layer = layers.find((l) => l.digest === blob.digest);
    if (!layer)
      throw notFoundError(`blob ${blob.digest} is not part of image ${imageId}`, { digest: blob.digest });
    const chunks =
      layer.origin === 'kept'
        ? app.blobs.get(layer.digest)
        : regenerate(app, layer.diffId, entriesOf.get(layer.diffId)!);
    return verifyStream(chunks, layer, { ...blobOptions, what: `layer ${layer.diffId} of image ${imageId}` });
  };
  return {
    imageId,
    image,
    config: {
      bytes: configBytes,
      mediaType: keepsManifest ? manifest.config.mediaType : mediaTypes.ociConfig,
    },
    layers,
    openBlob,
    ...(keepsManifest
      ? {
          manifestBytes: manifest.bytes,
          manifestMediaType: manifest.mediaType,
          manifestDigest: manifest.digest,
        }
      : {}),
  };
}

/**
 * The manifest to export with: the one `ref` names when it is a digest reference (an image pulled
 * through several manifests, e.g. Docker schema2 and OCI, has one id and several repo digests),
 * else the one recorded at creation (ImageCreated.manifestDigest) — when its bytes are in the
 * content store and it describes this config and layer count. An index is resolved to its entry
 * for this config.
 */
async function originalManifest(app: AppContext, image: ImageRow, ref: string) {
  let named: Digest | undefined;
  try {
    const digest = parseReference(ref).digest;
    if (digest && isDigest(digest)) named = digest;
  } catch {
    // an id or an id prefix: no manifest named
  }
  for (const digest of [named, image.manifest_digest as Digest | null]) {
    if (!digest) continue;
    const found = await storedManifest(app, image, digest, 1);
    if (found) return found;
  }
  return undefined;
}

async function storedManifest(
  app: AppContext,
  image: ImageRow,
  digest: Digest,
  depth: number,
): Promise<Manifest | undefined> {
  if ((await storedSize(app, digest)) === undefined) return undefined;
  const bytes = await app.blobs.readAll(digest);
  const document = parseManifestDocument(bytes, { expectedDigest: digest, what: `manifest ${digest}` });
  if (document.kind === 'index') {
    if (depth > 3) return undefined;
    for (const entry of document.index.manifests) {
      const found = await storedManifest(app, image, entry.digest, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  const { manifest } = document;
  if (manifest.config.digest !== image.image_id || manifest.layers.length !== image.diff_ids.length)
    return undefined;
  return { bytes, digest, mediaType: document.mediaType, config: manifest.config, layers: manifest.layers };
}

interface Manifest {
  bytes: Uint8Array;
  digest: Digest;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

function describedLayer(
  d: Descriptor,
): BlobRef & { mediaType: string; annotations?: Record<string, string> } {
  return {
    digest: d.digest,
    size: d.size,
    mediaType: d.mediaType,
    ...(d.urls?.length ? { urls: d.urls } : {}),
    ...(d.annotations ? { annotations: d.annotations } : {}),
  };
}

async function storedSize(app: AppContext, digest: string): Promise<number | undefined> {
  return (await statContent(app.db, digest))?.size;
}

/** A committed layer's tar, written again from its entry table; the DiffID is checked at the end. */
async function* regenerate(
  app: AppContext,
  diffId: Digest,
  entriesDigest: Digest,
): AsyncGenerator<Uint8Array> {
  const entries = decodeEntries(await app.blobs.readAll(entriesDigest));
  const written = writeLayer(entries, { getContent: (digest) => app.blobs.get(digest) });
  yield* written.stream;
  const result = await written.result;
  if (result.diffId !== diffId) {
    throw integrityError(`layer ${diffId} cannot be reproduced: its entry table writes ${result.diffId}`, {
      diffId,
      actualDiffId: result.diffId,
    });
  }
}
