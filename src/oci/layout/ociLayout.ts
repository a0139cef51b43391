import { notFoundError, validationError } from '../../domain/errors.ts';
import { maxConfigBytes } from '../config.ts';
import { imageParts, imageSource } from '../imageParts.ts';
import { type ManifestDocument, maxManifestBytes, parseManifestDocument } from '../manifest.ts';
import { mediaTypes } from '../mediaTypes.ts';
import {
  defaultPlatform,
  formatPlatform,
  parsePlatform,
  platformMatches,
  selectPlatform,
} from '../platform.ts';
import type { BlobRef, Descriptor, ImageIndex, ImageSource, Platform } from '../types.ts';
import { readAllVerified, verifyStream } from '../verifyStream.ts';
import { blobPath } from './blobPath.ts';
import { DirectorySource, type FileSource } from './fileSource.ts';

export const refNameAnnotation = 'org.opencontainers.image.ref.name';
const containerdNameAnnotation = 'io.containerd.image.name';
const maxIndexDepth = 3;

export interface OpenLayoutOptions {
  /**
   * Which image: matched against the `org.opencontainers.image.ref.name` annotation (a tag such as
   * `latest`, or a full reference), or containerd's `io.containerd.image.name`. Optional when the
   * layout holds one image.
   */
  ref?: string;
  /** `os/arch[/variant]`, used when the entry is an index. Default linux/amd64. */
  platform?: string | Platform;
  allowForeignLayers?: boolean;
  signal?: AbortSignal;
}

export interface LayoutEntry {
  ref: string | null;
  descriptor: Descriptor;
}

/** Reads `oci-layout` and `index.json` of a layout (directory or tar). */
export async function readLayoutIndex(
  files: FileSource,
): Promise<{ index: ImageIndex; entries: LayoutEntry[] }> {
  let layout: unknown;
  try {
    layout = JSON.parse(new TextDecoder().decode(await files.read('oci-layout', 64 * 1024)));
  } catch (error) {
    if ((error as { code?: string }).code === 'NOT_FOUND')
      throw notFoundError(`${files.description} is not an OCI layout (no oci-layout file)`);
    throw validationError(`${files.description}: oci-layout is not valid JSON`);
  }
  const version = (layout as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
  if (version !== '1.0.0')
    throw validationError(`${files.description}: unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  const bytes = await files.read('index.json', maxManifestBytes);
  const document = parseManifestDocument(bytes, {
    declaredMediaType: mediaTypes.ociIndex,
    what: `${files.description} index.json`,
  });
  if (document.kind !== 'index') throw validationError(`${files.description}: index.json is not an index`);
  const entries = document.index.manifests.map((descriptor) => ({
    ref: descriptor.annotations?.[refNameAnnotation] ?? null,
    descriptor,
  }));
  return { index: document.index, entries };
}

/** The images of a layout with their ref names. */
export async function listOciLayout(path: string | FileSource): Promise<LayoutEntry[]> {
  return (await readLayoutIndex(typeof path === 'string' ? new DirectorySource(path) : path)).entries;
}

/**
 * Opens one image of an OCI image layout (a directory, or a tar through TarSource): the same shape as
 * openImage from a registry. Every blob path comes from a validated digest, every blob is verified.
 */
export async function openOciLayout(
  path: string | FileSource,
  options: OpenLayoutOptions = {},
): Promise<ImageSource> {
  const files = typeof path === 'string' ? new DirectorySource(path) : path;
  const { entries } = await readLayoutIndex(files);
  const chosen = chooseEntry(entries, options.ref, files.description);
  return openFromDescriptor(files, chosen.descriptor, {
    ...options,
    source: 'oci-layout',
    reference: chosen.ref ? `${files.description}:${chosen.ref}` : files.description,
    tags: chosen.ref ? [chosen.ref] : [],
  });
}

function chooseEntry(entries: LayoutEntry[], ref: string | undefined, where: string): LayoutEntry {
  if (ref === undefined) {
    if (entries.length === 1) return entries[0]!;
    const refs = entries.map((e) => e.ref).filter((r): r is string => r !== null);
    throw validationError(
      `${where} holds ${entries.length} images: name one${refs.length ? ` (${refs.join(', ')})` : ''}`,
      { refs },
    );
  }
  const found =
    entries.find((e) => e.ref === ref) ??
    entries.find((e) => e.descriptor.annotations?.[containerdNameAnnotation] === ref);
  if (!found) throw notFoundError(`${where} has no image named "${ref}"`, { ref });
  return found;
}

/** Streams a blob of a layout: the path is derived from the validated digest, the bytes verified. */
export function layoutBlobOpener(files: FileSource) {
  return (blob: BlobRef, options: { onProgress?: (bytes: number) => void; signal?: AbortSignal } = {}) =>
    verifyStream(files.open(blobPath(blob.digest), options.signal), blob, options);
}

export async function readLayoutDocument(
  files: FileSource,
  descriptor: Descriptor,
  what: string,
): Promise<ManifestDocument> {
  const bytes = await readAllVerified(
    files.open(blobPath(descriptor.digest)),
    descriptor,
    maxManifestBytes,
    what,
  );
  return parseManifestDocument(bytes, {
    declaredMediaType: descriptor.mediaType,
    expectedDigest: descriptor.digest,
    what,
  });
}

/** From a descriptor (manifest or index) in a layout to an ImageSource. Shared by docker archives with an OCI layout inside. */
export async function openFromDescriptor(
  files: FileSource,
  descriptor: Descriptor,
  options: OpenLayoutOptions & { source: ImageSource['source']; reference: string; tags: string[] },
): Promise<ImageSource> {
  const wanted =
    options.platform === undefined
      ? defaultPlatform
      : typeof options.platform === 'string'
        ? parsePlatform(options.platform)
        : options.platform;
  let document = await readLayoutDocument(
    files,
    descriptor,
    `${options.reference} manifest ${descriptor.digest}`,
  );
  let index: ImageSource['index'];
  for (let depth = 0; document.kind === 'index'; depth++) {
    if (depth >= maxIndexDepth)
      throw validationError(`${options.reference}: indexes nested more than ${maxIndexDepth} deep`);
    const next = selectPlatform(document.index, wanted, options.reference);
    if (!index)
      index = {
        digest: document.digest,
        mediaType: document.mediaType,
        bytes: document.bytes,
        index: document.index,
      };
    document = await readLayoutDocument(files, next, `${options.reference} manifest ${next.digest}`);
  }
  const { manifest } = document;
  const open = layoutBlobOpener(files);
  const configBytes = await readAllVerified(
    open(manifest.config),
    manifest.config,
    maxConfigBytes,
    `config ${manifest.config.digest}`,
  );
  const parts = imageParts(manifest, configBytes, {
    what: options.reference,
    ...(options.allowForeignLayers ? { allowForeignLayers: true } : {}),
  });
  if (!index && options.platform !== undefined && !platformMatches(parts.platform, wanted)) {
    throw notFoundError(
      `${options.reference} is for ${formatPlatform(parts.platform)}, not ${formatPlatform(wanted)}`,
    );
  }
  return imageSource({
    source: options.source,
    reference: options.reference,
    document,
    configBytes,
    parts,
    tags: options.tags,
    openBlob: open,
    index,
  });
}
