import type { Digest } from '../digest.ts';

/**
 * Stream `layer-<diffId hex>`. A layer is stored once per DiffID: its entry table lives in the
 * content store (`entriesDigest`), file contents too (each regular file by its digest).
 */
export interface LayerRegisteredData {
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** Digest of the blob as a registry or archive stored it (usually gzip), when known. */
  digest?: Digest;
  mediaType?: string;
  /** Bytes of the uncompressed tar. */
  size: number;
  /** Bytes of the blob as stored, when known. */
  compressedSize?: number;
  /** Entries of the changeset: nodes, whiteouts and opaque markers. */
  entryCount: number;
  /** Content-store digest of the layer's parsed entry table. */
  entriesDigest: Digest;
  /** Bytes of regular-file content in the layer (the sum of its files' sizes). */
  contentSize: number;
}

export type LayerRegistered = { type: 'LayerRegistered'; data: LayerRegisteredData };

export type LayerEvent = LayerRegistered;

/** Schema version of each event's data, recorded with the event (see docs/events.md). */
export const layerEventSchemaVersions: Record<LayerEvent['type'], number> = {
  LayerRegistered: 1,
};
