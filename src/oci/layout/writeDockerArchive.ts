import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { type Digest, sha256Digest } from '../../domain/digest.ts';
import { integrityError, validationError } from '../../domain/errors.ts';
import { openLayerBlob } from '../../layers/layerBlob.ts';
import { defaultLayerLimits, type LayerLimits } from '../../layers/limits.ts';
import { encodeDocument } from '../manifest.ts';
import { layerMediaType, mediaTypes } from '../mediaTypes.ts';
import type { ImageContent, ImageIndex, ImageManifest } from '../types.ts';
import { verifyStream } from '../verifyStream.ts';
import { writeAtomic } from './writeOciLayout.ts';

export interface WriteDockerArchiveOptions {
  /** `name:tag` entries for manifest.json RepoTags (e.g. `busybox:latest`). */
  repoTags?: string[];
  /** Limits for decompressing gzip/zstd layers (docker save stores layers uncompressed). */
  limits?: Partial<LayerLimits>;
  signal?: AbortSignal;
}

const epoch = new Date(0);

/**
 * Writes a `docker save` archive loadable by `docker load` and readable by skopeo (`docker-archive:`):
 * `manifest.json` [{Config, RepoTags, Layers}], `repositories`, and, as Docker 25+ does, an OCI layout
 * (`oci-layout`, `index.json`) over the same blobs. Layers are stored uncompressed (each compressed
 * layer is decompressed into a temporary file next to the output and checked against its DiffID), so
 * the config digest (image ID) and DiffIDs are preserved, but not the registry manifest digest.
 * Written to a temporary file and renamed: a failure leaves nothing at `path`.
 */
export async function writeDockerArchive(
  path: string,
  image: ImageContent,
  options: WriteDockerArchiveOptions = {},
): Promise<{ configDigest: Digest; diffIds: Digest[]; ociManifestDigest: Digest }> {
  const limits = { ...defaultLayerLimits, ...options.limits };
  const repoTags = options.repoTags ?? [];
  for (const tag of repoTags) splitRepoTag(tag);
  const configDigest = sha256Digest(image.config.bytes);
  const work = await mkdtemp(join(dirname(path), '.strata-save-'));
  const temporary = join(dirname(path), `.tmp-${randomBytes(8).toString('hex')}.tar`);
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    // Layers as uncompressed tars: stream an uncompressed blob straight through, decompress others to disk.
    const layers: { diffId: Digest; size: number; open: () => AsyncIterable<Uint8Array> }[] = [];
    const seen = new Map<Digest, (typeof layers)[number]>();
    for (const layer of image.layers) {
      const known = seen.get(layer.diffId);
      if (known) {
        layers.push(known);
        continue;
      }
      const info = layerMediaType(layer.mediaType);
      if (!info)
        throw validationError(`layer ${layer.digest} has unsupported media type "${layer.mediaType}"`);
      let prepared: (typeof layers)[number];
      if (info.compression === 'none') {
        if (layer.digest !== layer.diffId) {
          throw validationError(
            `uncompressed layer ${layer.digest} does not match its DiffID ${layer.diffId}`,
          );
        }
        prepared = { diffId: layer.diffId, size: layer.size, open: () => image.openBlob(layer, signal) };
      } else {
        const file = join(work, layer.diffId.slice(7));
        const blob = openLayerBlob(image.openBlob(layer, signal), {
          limits,
          expectedSize: layer.size,
          expectedDigest: layer.digest,
        });
        await writeAtomic(file, blob.chunks);
        const stats = blob.stats();
        if (stats.diffId !== layer.diffId) {
          throw integrityError(
            `layer ${layer.digest} uncompresses to ${stats.diffId}, expected DiffID ${layer.diffId}`,
            {
              digest: layer.diffId,
              actualDigest: stats.diffId,
            },
          );
        }
        const size = (await stat(file)).size;
        prepared = {
          diffId: layer.diffId,
          size,
          open: () => verifyStream(createReadStream(file), { digest: layer.diffId, size }),
        };
      }
      seen.set(layer.diffId, prepared);
      layers.push(prepared);
    }

    const blob = (digest: Digest) => `blobs/sha256/${digest.slice(7)}`;
    const ociManifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: configDigest, size: image.config.bytes.byteLength },
      layers: layers.map((l) => ({ mediaType: mediaTypes.ociLayerTar, digest: l.diffId, size: l.size })),
    };
    const ociManifestBytes = encodeDocument(ociManifest);
    const ociManifestDigest = sha256Digest(ociManifestBytes);
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: mediaTypes.ociIndex,
      manifests: (repoTags.length ? repoTags : [null]).map((tag) => ({
        mediaType: mediaTypes.ociManifest,
        digest: ociManifestDigest,
        size: ociManifestBytes.byteLength,
        ...(tag
          ? {
              annotations: {
                'io.containerd.image.name': tag,
                'org.opencontainers.image.ref.name': splitRepoTag(tag).tag,
              },
            }
          : {}),
      })),
    };
    const manifestJson = [
      { Config: blob(configDigest), RepoTags: repoTags, Layers: layers.map((l) => blob(l.diffId)) },
    ];
    const repositories: Record<string, Record<string, string>> = {};
    const top = layers.at(-1)?.diffId.slice(7) ?? configDigest.slice(7);
    for (const tag of repoTags) {
      const { name, tag: t } = splitRepoTag(tag);
      repositories[name] = { ...repositories[name], [t]: top };
    }

    const pack = tar.pack();
    const output = createWriteStream(temporary, { flags: 'wx', mode: 0o644 });
    const written = pipeline(pack, output);
    written.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    const header = (name: string, size: number, type: 'file' | 'directory' = 'file') => ({
      name,
      size,
      type,
      mode: type === 'directory' ? 0o755 : 0o644,
      mtime: epoch,
      uid: 0,
      gid: 0,
    });
    const addBytes = (name: string, bytes: Uint8Array) =>
      new Promise<void>((resolve, reject) => {
        pack.entry(header(name, bytes.byteLength), Buffer.from(bytes), (error) =>
          error ? reject(error) : resolve(),
        );
      });
    try {
      pack.entry(header('blobs', 0, 'directory'));
      pack.entry(header('blobs/sha256', 0, 'directory'));
      const done = new Set<Digest>();
      for (const layer of layers) {
        if (done.has(layer.diffId)) continue;
        done.add(layer.diffId);
        const entry = pack.entry(header(blob(layer.diffId), layer.size));
        await pipeline(Readable.from(layer.open()), entry);
      }
      await addBytes(blob(configDigest), image.config.bytes);
      await addBytes(blob(ociManifestDigest), ociManifestBytes);
      await addBytes('index.json', encodeDocument(index));
      await addBytes('manifest.json', encodeDocument(manifestJson));
      await addBytes('oci-layout', encodeDocument({ imageLayoutVersion: '1.0.0' }));
      if (repoTags.length) await addBytes('repositories', encodeDocument(repositories));
      pack.finalize();
      await written;
    } catch (error) {
      pack.destroy(error as Error);
      await written.catch(() => {});
      await finished(output).catch(() => {});
      throw error;
    }
    await rename(temporary, path);
    return { configDigest, diffIds: layers.map((l) => l.diffId), ociManifestDigest };
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** `registry:5000/app:v1` → name `registry:5000/app`, tag `v1` (a tag is required). */
function splitRepoTag(repoTag: string): { name: string; tag: string } {
  const slash = repoTag.lastIndexOf('/');
  const colon = repoTag.lastIndexOf(':');
  if (colon <= slash || colon === repoTag.length - 1)
    throw validationError(`repo tag "${repoTag}" needs a :tag`);
  return { name: repoTag.slice(0, colon), tag: repoTag.slice(colon + 1) };
}
