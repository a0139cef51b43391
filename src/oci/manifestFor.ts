import { type Digest, sha256Digest } from '../domain/digest.ts';
import { validationError } from '../domain/errors.ts';
import { encodeDocument, parseManifestDocument } from './manifest.ts';
import { mediaTypes } from './mediaTypes.ts';
import type { ImageContent, ImageManifest } from './types.ts';

const toOciLayerType: Record<string, string> = {
  [mediaTypes.dockerLayerGzip]: mediaTypes.ociLayerGzip,
  [mediaTypes.dockerLayerTar]: mediaTypes.ociLayerTar,
  [mediaTypes.dockerForeignLayerGzip]: mediaTypes.ociForeignLayerGzip,
};

export interface ExportManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: Digest;
  manifest: ImageManifest;
}

/**
 * The manifest to export an image with: its original bytes when it has them (so digests survive a
 * round trip), otherwise a synthesised OCI manifest over the config and layers. `format: 'oci'` turns a
 * Docker schema2 manifest into the equivalent OCI one (same config and layer blobs, new manifest digest)
 * for tools that only accept OCI media types in a layout.
 */
export function manifestFor(
  image: ImageContent,
  options: { format?: 'original' | 'oci' } = {},
): ExportManifest {
  const configDigest = sha256Digest(image.config.bytes);
  if (image.manifestBytes) {
    const document = parseManifestDocument(image.manifestBytes, {
      declaredMediaType: image.manifestMediaType ?? null,
      what: 'manifest to export',
    });
    if (document.kind !== 'manifest') throw validationError('expected an image manifest, got an index');
    if (document.manifest.config.digest !== configDigest) {
      throw validationError(
        `manifest names config ${document.manifest.config.digest}, but the config bytes hash to ${configDigest}`,
      );
    }
    if (
      document.manifest.layers.map((l) => l.digest).join(',') !== image.layers.map((l) => l.digest).join(',')
    ) {
      throw validationError('manifest layers differ from the image layers');
    }
    if (!(options.format === 'oci' && document.mediaType === mediaTypes.dockerManifest)) {
      return {
        bytes: document.bytes,
        mediaType: document.mediaType,
        digest: document.digest,
        manifest: document.manifest,
      };
    }
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: mediaTypes.ociConfig, digest: configDigest, size: image.config.bytes.byteLength },
    layers: image.layers.map((l) => ({
      mediaType: toOciLayerType[l.mediaType] ?? l.mediaType,
      digest: l.digest,
      size: l.size,
      ...(l.urls?.length ? { urls: l.urls } : {}),
      ...(l.annotations ? { annotations: l.annotations } : {}),
    })),
  };
  const bytes = encodeDocument(manifest);
  return { bytes, mediaType: mediaTypes.ociManifest, digest: sha256Digest(bytes), manifest };
}
