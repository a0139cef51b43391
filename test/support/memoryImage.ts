import type { Digest } from '../../src/domain/digest.ts';
import { parseImageConfig } from '../../src/oci/config.ts';
import type { ImageSource } from '../../src/oci/types.ts';
import { type BuiltLayer, buildLayer, sha256, type TarEntrySpec } from './tarBuilder.ts';

/**
 * A real image (real tars, real digests, a real OCI config and manifest) served from memory with
 * the same ImageSource shape a registry, layout or archive gives: for tests of the import path
 * that do not need a registry.
 */
export function memoryImage(
  layers: readonly (readonly TarEntrySpec[])[],
  options: {
    tag?: string;
    cmd?: string[];
    /** The config's Env (default: Docker's PATH) and WorkingDir (default: none). */
    env?: string[];
    workingDir?: string;
    created?: string;
    history?: { created?: string; created_by: string; empty_layer?: boolean }[];
  } = {},
): ImageSource & { built: BuiltLayer[] } {
  const built = layers.map((entries) => buildLayer(entries, { compression: 'gzip' }));
  const config = {
    architecture: 'amd64',
    os: 'linux',
    created: options.created ?? '2026-01-01T00:00:00Z',
    config: {
      Cmd: options.cmd ?? ['/bin/sh'],
      Env: options.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
    },
    rootfs: { type: 'layers', diff_ids: built.map((l) => l.diffId) },
    history:
      options.history ??
      built.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `/bin/sh -c #(nop) layer ${i}` })),
  };
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const configDigest = sha256(configBytes);
  const manifest = {
    schemaVersion: 2 as const,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: configBytes.length,
    },
    layers: built.map((l) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: l.digest,
      size: l.compressedSize,
    })),
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const blobs = new Map<string, Uint8Array>(built.map((l) => [l.digest, l.blob]));
  return {
    built,
    source: 'oci-layout',
    reference: options.tag ?? 'memory',
    manifestDigest: sha256(manifestBytes),
    manifestMediaType: manifest.mediaType,
    manifest,
    manifestBytes,
    manifestOriginal: true,
    platform: { os: 'linux', architecture: 'amd64' },
    config: {
      digest: configDigest,
      size: configBytes.length,
      mediaType: manifest.config.mediaType,
      bytes: configBytes,
      parsed: parseImageConfig(configBytes),
    },
    layers: built.map((l) => ({
      digest: l.digest,
      size: l.compressedSize,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      diffId: l.diffId as Digest,
      compression: 'gzip' as const,
      foreign: false,
    })),
    tags: options.tag ? [options.tag] : [],
    openBlob: async function* (blob) {
      const data = blobs.get(blob.digest);
      if (!data) throw new Error(`no blob ${blob.digest}`);
      for (let offset = 0; offset < data.length; offset += 64 * 1024)
        yield data.subarray(offset, offset + 64 * 1024);
    },
  };
}
