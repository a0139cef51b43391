import { createHash } from 'node:crypto';
import { type Digest, isDigest, sha256Digest } from '../../domain/digest.ts';
import { integrityError, notFoundError, validationError } from '../../domain/errors.ts';
import { normalizeReference } from '../../domain/image/reference.ts';
import { detectCompression } from '../../layers/layerBlob.ts';
import { maxConfigBytes } from '../config.ts';
import { imageParts } from '../imageParts.ts';
import { encodeDocument, parseDescriptor } from '../manifest.ts';
import { type Compression, mediaTypes } from '../mediaTypes.ts';
import type { BlobRef, Descriptor, ImageManifest, ImageSource, OpenBlobOptions, Platform } from '../types.ts';
import { verifyStream } from '../verifyStream.ts';
import { blobPath } from './blobPath.ts';
import type { FileSource } from './fileSource.ts';
import { openFromDescriptor, readLayoutDocument, readLayoutIndex } from './ociLayout.ts';
import { TarSource } from './tarSource.ts';

/** One image of a `docker save` manifest.json. */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, unknown>;
}

export interface OpenDockerArchiveOptions {
  /** A RepoTags entry (`busybox:latest`); optional when the archive holds one image. */
  tag?: string;
  /** Or the position in manifest.json. */
  index?: number;
  platform?: string | Platform;
  allowForeignLayers?: boolean;
  /**
   * Prefer the OCI layout newer Docker (25+) writes into the archive, which keeps the manifest
   * (default true). When false, or when there is none, a schema2 manifest is synthesised from
   * manifest.json (ImageSource.manifestOriginal = false).
   */
  useOciLayout?: boolean;
}

const maxManifestJson = 16 * 1024 * 1024;

export async function readDockerManifestJson(files: FileSource): Promise<DockerArchiveEntry[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(await files.read('manifest.json', maxManifestJson)));
  } catch (error) {
    if ((error as { code?: string }).code === 'NOT_FOUND')
      throw notFoundError(`${files.description} is not a docker save archive (no manifest.json)`);
    if ((error as { code?: string }).code) throw error;
    throw validationError(`${files.description}: manifest.json is not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw validationError(`${files.description}: manifest.json must be an array`);
  return parsed.map((entry, i) => {
    const e = entry as Partial<DockerArchiveEntry>;
    if (
      typeof e?.Config !== 'string' ||
      !Array.isArray(e.Layers) ||
      !e.Layers.every((l) => typeof l === 'string')
    ) {
      throw validationError(`${files.description}: manifest.json entry ${i} needs Config and Layers`);
    }
    if (
      e.RepoTags != null &&
      (!Array.isArray(e.RepoTags) || !e.RepoTags.every((t) => typeof t === 'string'))
    ) {
      throw validationError(`${files.description}: manifest.json entry ${i} has invalid RepoTags`);
    }
    return {
      Config: e.Config,
      RepoTags: e.RepoTags ?? null,
      Layers: e.Layers,
      ...(e.LayerSources ? { LayerSources: e.LayerSources } : {}),
    };
  });
}

/**
 * Opens one image of a `docker save` tar, read in place (headers indexed, data streamed from the file;
 * the archive must be a seekable file). Layers in such archives are usually uncompressed tars: their
 * digest is their DiffID.
 */
export async function openDockerArchive(
  path: string | TarSource,
  options: OpenDockerArchiveOptions = {},
): Promise<ImageSource> {
  const files = typeof path === 'string' ? await TarSource.open(path) : path;
  const entries = await readDockerManifestJson(files);
  const position = chooseEntry(entries, options, files.description);
  const entry = entries[position]!;
  const tag = options.tag ?? entry.RepoTags?.[0];
  const reference = tag ? `${files.description}:${tag}` : files.description;
  const tags = entry.RepoTags ?? [];

  const configBytes = await files.read(entry.Config, maxConfigBytes);
  const configDigest = sha256Digest(configBytes);
  const named = nameDigest(entry.Config);
  if (named && named !== configDigest) {
    throw integrityError(`${reference}: ${entry.Config} hashes to ${configDigest}`, {
      digest: named,
      actualDigest: configDigest,
    });
  }

  if (
    options.useOciLayout !== false &&
    (await files.size('index.json')) !== null &&
    (await files.size('oci-layout')) !== null
  ) {
    const descriptor = await findManifestForConfig(files, configDigest);
    if (descriptor) {
      return openFromDescriptor(files, descriptor, {
        ...options,
        source: 'docker-archive',
        reference,
        tags,
      });
    }
  }

  const layerFiles: { path: string; descriptor: Omit<Descriptor, 'digest'> & { digest: Digest | null } }[] =
    [];
  for (const [i, layerPath] of entry.Layers.entries()) {
    const size = await files.size(layerPath);
    if (size === null) {
      const foreign = entry.LayerSources && Object.keys(entry.LayerSources).length > 0;
      throw (foreign ? validationError : notFoundError)(
        `${reference}: layer ${i} (${layerPath}) is not in the archive${foreign ? ' (a foreign layer: foreign layers are not supported in archives)' : ''}`,
      );
    }
    const compression = await sniff(files, layerPath);
    const digest =
      nameDigest(layerPath) ?? (compression === 'none' ? null : await hashEntry(files, layerPath));
    layerFiles.push({
      path: layerPath,
      descriptor: {
        mediaType: layerMediaTypeFor(compression),
        // An uncompressed layer's digest is its DiffID (from the config); checked as it streams.
        digest,
        size,
      },
    });
  }
  const configDescriptor: Descriptor = {
    mediaType: mediaTypes.dockerConfig,
    digest: configDigest,
    size: configBytes.byteLength,
  };
  const provisional: ImageManifest = {
    schemaVersion: 2,
    mediaType: mediaTypes.dockerManifest,
    config: configDescriptor,
    layers: [],
  };
  const diffIds = peekDiffIds(configBytes);
  for (const [i, layer] of layerFiles.entries()) {
    if (layer.descriptor.digest === null) {
      const diffId = diffIds[i];
      if (!diffId)
        throw validationError(`${reference}: config has fewer diff_ids than the archive has layers`);
      layer.descriptor.digest = diffId;
    }
    provisional.layers.push(parseDescriptor(layer.descriptor, `${reference} layer ${i}`));
  }
  const parts = imageParts(provisional, configBytes, {
    what: reference,
    ...(options.allowForeignLayers ? { allowForeignLayers: true } : {}),
  });
  const manifestBytes = encodeDocument(provisional);
  const pathOf = new Map<string, string>([[configDigest, entry.Config]]);
  for (const layer of layerFiles) pathOf.set(layer.descriptor.digest!, layer.path);
  return {
    source: 'docker-archive',
    reference,
    manifestDigest: sha256Digest(manifestBytes),
    manifestMediaType: mediaTypes.dockerManifest,
    manifest: provisional,
    manifestBytes,
    manifestOriginal: false,
    platform: parts.platform,
    config: {
      digest: configDigest,
      size: configBytes.byteLength,
      mediaType: mediaTypes.dockerConfig,
      bytes: configBytes,
      parsed: parts.config,
    },
    layers: parts.layers,
    tags,
    openBlob: (blob: BlobRef, blobOptions: OpenBlobOptions = {}) => {
      const path = pathOf.get(blob.digest);
      if (!path) throw notFoundError(`${reference} has no blob ${blob.digest}`, { digest: blob.digest });
      return verifyStream(files.open(path, blobOptions.signal), blob, blobOptions);
    },
  };
}

function chooseEntry(
  entries: DockerArchiveEntry[],
  options: OpenDockerArchiveOptions,
  where: string,
): number {
  if (options.index !== undefined) {
    if (!Number.isInteger(options.index) || options.index < 0 || options.index >= entries.length) {
      throw notFoundError(`${where} has no image #${options.index}`);
    }
    return options.index;
  }
  if (options.tag !== undefined) {
    const wanted = options.tag;
    const found = entries.findIndex((e) => (e.RepoTags ?? []).some((t) => sameReference(t, wanted)));
    if (found === -1) throw notFoundError(`${where} has no image tagged "${wanted}"`, { tag: wanted });
    return found;
  }
  if (entries.length === 1) return 0;
  if (entries.length === 0) throw notFoundError(`${where} holds no images`);
  const tags = entries.flatMap((e) => e.RepoTags ?? []);
  throw validationError(
    `${where} holds ${entries.length} images: name one by tag (${tags.join(', ')}) or index`,
    { tags },
  );
}

/** `docker.io/library/busybox:latest` and `busybox:latest` name the same image. */
function sameReference(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return normalizeReference(a) === normalizeReference(b);
  } catch {
    return false;
  }
}

/** `blobs/sha256/<hex>` or `<hex>.json` / `<hex>/layer.tar`: the digest the name claims, if any. */
function nameDigest(path: string): Digest | null {
  const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
  if (blob) return `sha256:${blob[1]}`;
  const legacyConfig = /^([a-f0-9]{64})\.json$/.exec(path);
  if (legacyConfig) return `sha256:${legacyConfig[1]}`;
  return null;
}

async function sniff(files: FileSource, path: string): Promise<Compression> {
  for await (const chunk of files.open(path)) {
    return detectCompression(chunk.subarray(0, 8));
  }
  return 'none';
}

async function hashEntry(files: FileSource, path: string): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of files.open(path)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

const layerMediaTypeFor = (compression: Compression): string =>
  compression === 'gzip'
    ? mediaTypes.dockerLayerGzip
    : compression === 'zstd'
      ? mediaTypes.ociLayerZstd
      : mediaTypes.dockerLayerTar;

function peekDiffIds(configBytes: Uint8Array): Digest[] {
  try {
    const ids = (JSON.parse(new TextDecoder().decode(configBytes)) as { rootfs?: { diff_ids?: unknown } })
      .rootfs?.diff_ids;
    return Array.isArray(ids) ? ids.filter((d): d is Digest => typeof d === 'string' && isDigest(d)) : [];
  } catch {
    return [];
  }
}

/** In an archive with an OCI layout inside (Docker 25+), the manifest whose config is `configDigest`. */
async function findManifestForConfig(files: FileSource, configDigest: Digest): Promise<Descriptor | null> {
  const { entries } = await readLayoutIndex(files);
  const queue = entries.map((e) => e.descriptor);
  for (let visited = 0; queue.length > 0 && visited < 64; visited++) {
    const descriptor = queue.shift()!;
    if ((await files.size(blobPath(descriptor.digest))) === null) continue;
    const document = await readLayoutDocument(
      files,
      descriptor,
      `${files.description} manifest ${descriptor.digest}`,
    );
    if (document.kind === 'index') queue.push(...document.index.manifests);
    else if (document.manifest.config.digest === configDigest) {
      const present = await Promise.all(document.manifest.layers.map((l) => files.size(blobPath(l.digest))));
      if (present.every((s) => s !== null)) return descriptor;
    }
  }
  return null;
}
