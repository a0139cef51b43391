import type { Digest } from '../domain/digest.ts';
import type { Compression } from './mediaTypes.ts';

/** image-spec descriptor.md */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  author?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** image-spec config.md; unknown fields are kept in the raw bytes, never dropped on export. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, object>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, object>;
    WorkingDir?: string;
    Labels?: Record<string, string>;
    StopSignal?: string;
    [key: string]: unknown;
  };
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

/** A blob to fetch: what is needed to verify it as it streams. */
export interface BlobRef {
  digest: Digest;
  size: number;
  mediaType?: string;
  urls?: string[];
}

export interface LayerRef extends BlobRef {
  mediaType: string;
  /** sha256 of the uncompressed tar, from the config's rootfs.diff_ids. */
  diffId: Digest;
  compression: Compression;
  /** A foreign / non-distributable layer (may only be fetchable from `urls`). */
  foreign: boolean;
  annotations?: Record<string, string>;
}

export interface OpenBlobOptions {
  /** Called with the cumulative number of bytes received so far. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/**
 * The blobs of an image: an async iterable of chunks that is verified against digest and size as it
 * streams. The last chunk is only released after the digest matched, so a consumer never sees a
 * complete-looking stream of wrong bytes: a mismatch throws StrataError INTEGRITY instead.
 */
export type OpenBlob = (blob: BlobRef, options?: OpenBlobOptions) => AsyncIterable<Uint8Array>;

/**
 * An image opened from a registry, an OCI layout or a `docker save` archive: the same shape for all three,
 * so import code treats them alike. Holds no credentials (openBlob closes over them).
 */
export interface ImageSource {
  source: 'registry' | 'oci-layout' | 'docker-archive';
  /** Normalised reference (registry), or `<path>[:<ref>]` for layouts and archives. */
  reference: string;
  manifestDigest: Digest;
  manifestMediaType: string;
  manifest: ImageManifest;
  /** The manifest exactly as stored: re-exporting these bytes keeps manifestDigest. */
  manifestBytes: Uint8Array;
  /**
   * False for a docker-save archive with no manifest inside (legacy format): the manifest was
   * synthesised from manifest.json, and its digest is not one a registry ever served.
   */
  manifestOriginal: boolean;
  /** The index the manifest was selected from, when there was one. */
  index?: { digest: Digest; mediaType: string; bytes: Uint8Array; index: ImageIndex };
  platform: Platform;
  config: { digest: Digest; size: number; mediaType: string; bytes: Uint8Array; parsed: ImageConfig };
  /** Base first. */
  layers: LayerRef[];
  /** Tags the source carried (docker-archive RepoTags, OCI ref.name annotation). */
  tags: string[];
  openBlob: OpenBlob;
}

/** What the writers need: an ImageSource satisfies it; so do config bytes + layer streams. */
export interface ImageContent {
  manifestBytes?: Uint8Array;
  manifestMediaType?: string;
  config: { bytes: Uint8Array; mediaType?: string };
  layers: readonly (BlobRef & { mediaType: string; diffId: Digest; annotations?: Record<string, string> })[];
  openBlob: OpenBlob;
}
