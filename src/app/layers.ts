import type { Readable } from 'node:stream';
import type { LayerEntry } from '../domain/fs/node.ts';
import type { LayerRegisteredData } from '../domain/layer/events.ts';
import { readLayer, type ReadLayerOptions } from '../layers/readLayer.ts';
import type { Blobs } from './ports.ts';

/**
 * Reads a layer blob as a stream: every regular file's content goes to the content store, and the
 * layer's entry table is stored as content too (keyed by its digest), so the read models can be
 * rebuilt from events and content alone. Returns the RegisterLayer data. Nothing is appended here.
 */
export async function storeLayer(
  blobs: Blobs,
  source: AsyncIterable<Uint8Array> | Readable,
  options: Pick<ReadLayerOptions, 'expected' | 'limits'> & { mediaType?: string } = {},
): Promise<LayerRegisteredData> {
  let contentSize = 0;
  const result = await readLayer(source, {
    ...options,
    onFile: async (node, content) => {
      const stored = await blobs.put(content);
      contentSize += stored.size;
      node.digest ??= stored.digest;
    },
  });
  const entries = await blobs.put(encodeEntries(result.entries));
  return {
    diffId: result.diffId,
    digest: result.digest,
    compressedSize: result.compressedSize,
    ...(options.mediaType ? { mediaType: options.mediaType } : {}),
    size: result.size,
    entryCount: result.entries.length,
    entriesDigest: entries.digest,
    contentSize,
  };
}

export const encodeEntries = (entries: readonly LayerEntry[]): Uint8Array => new TextEncoder().encode(JSON.stringify(entries));

export const decodeEntries = (bytes: Uint8Array): LayerEntry[] => JSON.parse(new TextDecoder().decode(bytes)) as LayerEntry[];

