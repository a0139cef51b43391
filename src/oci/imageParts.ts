import type { Digest } from '../domain/digest.ts';
import { validationError } from '../domain/errors.ts';
import { parseImageConfig } from './config.ts';
import { configMediaTypes, layerMediaType } from './mediaTypes.ts';
import type { ManifestDocument } from './manifest.ts';
import type { Descriptor, ImageConfig, ImageManifest, ImageSource, LayerRef, Platform } from './types.ts';

export interface ImagePartsOptions {
  /** Accept foreign / non-distributable layers (fetched without credentials from their urls). Default false. */
  allowForeignLayers?: boolean;
  what?: string;
}

/** Checks a manifest's config and layer descriptors against its config and pairs each layer with its DiffID. */
export function imageParts(
  manifest: ImageManifest,
  configBytes: Uint8Array,
  options: ImagePartsOptions = {},
): { config: ImageConfig; layers: LayerRef[]; platform: Platform } {
  const what = options.what ?? 'image';
  if (!configMediaTypes.includes(manifest.config.mediaType)) {
    throw validationError(
      `${what} is not a container image: config media type "${manifest.config.mediaType}"`,
      {
        mediaType: manifest.config.mediaType,
      },
    );
  }
  const config = parseImageConfig(configBytes, {
    layerCount: manifest.layers.length,
    what: `${what} config`,
  });
  const layers = manifest.layers.map((descriptor, i) =>
    layerRef(descriptor, config.rootfs.diff_ids[i]!, options, what),
  );
  const platform: Platform = { os: config.os, architecture: config.architecture };
  if (config.variant) platform.variant = config.variant;
  return { config, layers, platform };
}

function layerRef(
  descriptor: Descriptor,
  diffId: Digest,
  options: ImagePartsOptions,
  what: string,
): LayerRef {
  const info = layerMediaType(descriptor.mediaType);
  if (!info) {
    throw validationError(
      `${what}: layer ${descriptor.digest} has unsupported media type "${descriptor.mediaType}"`,
      {
        digest: descriptor.digest,
        mediaType: descriptor.mediaType,
      },
    );
  }
  const foreign = info.foreign || (descriptor.urls !== undefined && descriptor.urls.length > 0);
  if (foreign && !options.allowForeignLayers) {
    const where = descriptor.urls?.length ? ` hosted at ${descriptor.urls.join(', ')}` : '';
    throw validationError(
      `${what}: layer ${descriptor.digest} is a foreign (non-distributable) layer${where}; foreign layers are rejected unless allowForeignLayers is set`,
      { digest: descriptor.digest, urls: descriptor.urls ?? [] },
    );
  }
  const layer: LayerRef = {
    digest: descriptor.digest,
    size: descriptor.size,
    mediaType: descriptor.mediaType,
    diffId,
    compression: info.compression,
    foreign,
  };
  if (descriptor.urls?.length) layer.urls = descriptor.urls;
  if (descriptor.annotations) layer.annotations = descriptor.annotations;
  return layer;
}

/** The ImageSource every reader returns, from a selected manifest document and its checked parts. */
export function imageSource(input: {
  source: ImageSource['source'];
  reference: string;
  document: Extract<ManifestDocument, { kind: 'manifest' }>;
  configBytes: Uint8Array;
  parts: ReturnType<typeof imageParts>;
  tags: string[];
  openBlob: ImageSource['openBlob'];
  index: ImageSource['index'] | undefined;
}): ImageSource {
  const { document, parts } = input;
  const { manifest } = document;
  const image: ImageSource = {
    source: input.source,
    reference: input.reference,
    manifestDigest: document.digest,
    manifestMediaType: document.mediaType,
    manifest,
    manifestBytes: document.bytes,
    manifestOriginal: true,
    platform: parts.platform,
    config: {
      digest: manifest.config.digest,
      size: manifest.config.size,
      mediaType: manifest.config.mediaType,
      bytes: input.configBytes,
      parsed: parts.config,
    },
    layers: parts.layers,
    tags: input.tags,
    openBlob: input.openBlob,
  };
  if (input.index) image.index = input.index;
  return image;
}
