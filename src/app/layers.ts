import type { Readable } from 'node:stream';
import type { Digest } from '../domain/digest.ts';
import type { LayerEntry } from '../domain/fs/node.ts';
import type { LayerRegisteredData } from '../domain/layer/events.ts';
import { readLayer, type ReadLayerOptions } from '../layers/readLayer.ts';
import type { Blobs } from './ports.ts';

/** Files up to this size are stored in batches; larger ones stream in chunks on their own. */
const smallFile = 256 * 1024;
const batchLimit = 8 * 1024 * 1024;

/**
 * Reads a layer blob as a stream: every regular file's content goes to the content store, and the
 * layer's entry table is stored as content too (keyed by its digest), so the read models can be
 * rebuilt from events and content alone. With `keepBlob`, the blob itself is stored first (a retry
 * finds it there and downloads nothing). Returns the RegisterLayer data. Nothing is appended here.
 */
export async function storeLayer(
  blobs: Blobs,
  source: AsyncIterable<Uint8Array> | Readable,
  options: Pick<ReadLayerOptions, 'expected' | 'limits'> & { mediaType?: string; keepBlob?: boolean } = {},
): Promise<LayerRegisteredData> {
  if (options.keepBlob) {
    // The blob as the registry or archive served it stays in the content store, verified, so the
    // image exports and pushes with its original digests; parsing then reads it back from there.
    const expected = options.expected ?? {};
    const kept = await blobs.put(source, {
      ...(expected.digest ? { digest: expected.digest as Digest } : {}),
      ...(expected.size !== undefined ? { size: expected.size } : {}),
    });
    source = blobs.get(kept.digest);
  }
  let contentSize = 0;
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length > 0) await blobs.putMany(batch);
    batch = [];
    batchBytes = 0;
  };
  const result = await readLayer(source, {
    ...options,
    onFile: async (node, content) => {
      contentSize += node.size;
      if (node.size > smallFile) {
        await blobs.put(content);
        return;
      }
      const chunks: Uint8Array[] = [];
      for await (const chunk of content) chunks.push(chunk);
      batch.push(Buffer.concat(chunks));
      batchBytes += node.size;
      if (batchBytes >= batchLimit || batch.length >= 1000) await flush();
    },
  });
  await flush();
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

