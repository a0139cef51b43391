import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Digest, sha256Digest } from '../../domain/digest.ts';
import { validationError } from '../../domain/errors.ts';
import { parseManifestDocument } from '../manifest.ts';
import { manifestFor } from '../manifestFor.ts';
import { mediaTypes } from '../mediaTypes.ts';
import type { BlobRef, Descriptor, ImageContent, ImageIndex, OpenBlobOptions } from '../types.ts';
import { verifyStream } from '../verifyStream.ts';
import { blobPath } from './blobPath.ts';
import { refNameAnnotation } from './ociLayout.ts';

export interface WriteOciLayoutOptions {
  /** Tag for `org.opencontainers.image.ref.name`; an entry with the same ref is replaced. */
  ref?: string;
  /**
   * 'original' (default) keeps the image's manifest, so its digest is unchanged, even a Docker schema2
   * one (containerd and Strata read those; skopeo 1.9 and umoci only accept OCI media types in a
   * layout). 'oci' writes a Docker manifest as the equivalent OCI manifest (same config and layers).
   */
  manifestFormat?: 'original' | 'oci';
  /** Extra annotations on the index.json entry. */
  annotations?: Record<string, string>;
  onProgress?: (digest: Digest, bytes: number) => void;
  signal?: AbortSignal;
}

/** image-spec annotations.md grammar of ref.name. */
const refNamePattern =
  /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/**
 * Writes an image into an OCI layout directory (created, or added to). Blobs are streamed into a
 * temporary file, verified, then renamed into `blobs/sha256/`; index.json is replaced atomically last,
 * so a failure leaves no half-written blob and no index entry. An ImageSource keeps its manifest bytes,
 * so the layout holds the image under its original digests.
 */
export async function writeOciLayout(
  dir: string,
  image: ImageContent,
  options: WriteOciLayoutOptions = {},
): Promise<{ manifestDigest: Digest; manifestMediaType: string; descriptor: Descriptor }> {
  if (options.ref !== undefined && !refNamePattern.test(options.ref))
    throw validationError(`invalid ref name "${options.ref}"`);
  const manifest = manifestFor(image, { format: options.manifestFormat ?? 'original' });
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const layoutFile = join(dir, 'oci-layout');
  if (await exists(layoutFile)) {
    const version = (JSON.parse(await readFile(layoutFile, 'utf8')) as { imageLayoutVersion?: unknown })
      .imageLayoutVersion;
    if (version !== '1.0.0')
      throw validationError(`${dir}: unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  } else {
    await writeAtomic(layoutFile, [new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}')]);
  }

  const signal = options.signal ? { signal: options.signal } : {};
  for (const layer of image.layers) {
    await writeBlob(dir, layer, () =>
      image.openBlob(layer, {
        ...signal,
        ...(options.onProgress ? { onProgress: (n: number) => options.onProgress!(layer.digest, n) } : {}),
      }),
    );
  }
  const configBlob = { digest: sha256Digest(image.config.bytes), size: image.config.bytes.byteLength };
  await writeBlob(dir, configBlob, () => [image.config.bytes]);
  await writeBlob(dir, { digest: manifest.digest, size: manifest.bytes.byteLength }, () => [manifest.bytes]);

  const config = JSON.parse(new TextDecoder().decode(image.config.bytes)) as {
    os?: string;
    architecture?: string;
    variant?: string;
  };
  const descriptor: Descriptor = {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.bytes.byteLength,
  };
  const annotations = {
    ...options.annotations,
    ...(options.ref !== undefined ? { [refNameAnnotation]: options.ref } : {}),
  };
  if (Object.keys(annotations).length > 0) descriptor.annotations = annotations;
  if (config.os && config.architecture) {
    descriptor.platform = {
      os: config.os,
      architecture: config.architecture,
      ...(config.variant ? { variant: config.variant } : {}),
    };
  }

  const indexPath = join(dir, 'index.json');
  let index: ImageIndex = { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [] };
  if (await exists(indexPath)) {
    const document = parseManifestDocument(new Uint8Array(await readFile(indexPath)), {
      declaredMediaType: mediaTypes.ociIndex,
      what: `${dir} index.json`,
    });
    if (document.kind !== 'index') throw validationError(`${dir}: index.json is not an index`);
    index = document.index;
  }
  const manifests = index.manifests.filter((d) =>
    options.ref === undefined
      ? d.digest !== descriptor.digest || d.annotations?.[refNameAnnotation] !== undefined
      : d.annotations?.[refNameAnnotation] !== options.ref,
  );
  manifests.push(descriptor);
  await writeAtomic(indexPath, [new TextEncoder().encode(JSON.stringify({ ...index, manifests }))]);
  return { manifestDigest: manifest.digest, manifestMediaType: manifest.mediaType, descriptor };
}

/** Streams a blob into place unless a file of the right size is already there. */
async function writeBlob(
  dir: string,
  blob: Pick<BlobRef, 'digest' | 'size'>,
  open: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: OpenBlobOptions = {},
): Promise<void> {
  const target = join(dir, blobPath(blob.digest));
  try {
    const stat = await lstat(target);
    if (stat.isFile() && stat.size === blob.size) return;
  } catch {
    // not there yet
  }
  await writeAtomic(target, verifyStream(open(), blob, options));
}

/** Writes to a temporary sibling, fsyncs and renames over `path`; the temporary file is removed on failure. */
export async function writeAtomic(
  path: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<void> {
  const temporary = join(dirname(path), `.tmp-${randomBytes(8).toString('hex')}`);
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    try {
      for await (const chunk of chunks) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
