import type { Readable } from 'node:stream';
import type { Digest } from '../domain/digest.ts';
import { isStrataError } from '../domain/errors.ts';
import type { LayerEntry } from '../domain/fs/node.ts';
import type { LayerRegisteredData } from '../domain/layer/events.ts';
import { type ReadLayerOptions, readLayer } from '../layers/readLayer.ts';
import type { Blobs } from './ports.ts';
import { teeStream } from './teeStream.ts';

/**
 * Reads a layer blob as a stream: every regular file's content goes to the content store, and the
 * layer's entry table is stored as content too (keyed by its digest), so the read models can be
 * rebuilt from events and content alone. With `keepBlob`, the blob is stored while it is read (a
 * retry finds it there and downloads nothing). Returns the RegisterLayer data. Nothing is appended here.
 */
export async function storeLayer(
  blobs: Blobs,
  source: AsyncIterable<Uint8Array> | Readable,
  options: Pick<ReadLayerOptions, 'expected' | 'limits' | 'verifiedSource'> & {
    mediaType?: string;
    keepBlob?: boolean;
  } = {},
): Promise<LayerRegisteredData> {
  let kept: Promise<unknown> | undefined;
  if (options.keepBlob) {
    // The blob as the registry or archive served it stays in the content store, verified, so the
    // image exports and pushes with its original digests. It is stored while it is parsed (a tee);
    // when a previous attempt already stored it, it is parsed from there and nothing is downloaded.
    const expected = options.expected ?? {};
    const stored = expected.digest ? await storedBlob(blobs, expected.digest as Digest) : undefined;
    if (stored) source = stored;
    else {
      const tee = teeStream(source, (branch) =>
        blobs.put(branch, {
          ...(expected.digest ? { digest: expected.digest as Digest } : {}),
          ...(expected.size !== undefined ? { size: expected.size } : {}),
          ...(options.verifiedSource ? { verified: true } : {}),
        }),
      );
      source = tee.stream;
      kept = tee.done;
    }
  }
  let contentSize = 0;
  // Files are queued to one batch writer: it writes a batch while the parser fills the next, and
  // takes the digest readLayer computed (each file's bytes are hashed once).
  const writer = blobs.openWriter();
  let result: Awaited<ReturnType<typeof readLayer>>;
  try {
    result = await readLayer(source, {
      ...options,
      onFile: async (node, content) => {
        contentSize += node.size;
        // Straight into the writer's batch buffer: no per-file copy, whatever the file's size.
        await writer.addStream(content, () => node.digest!, node.size);
      },
    });
  } catch (error) {
    // Nothing keeps running after the caller has moved on: the write in flight ends, the rest is dropped.
    await writer.abort();
    await kept?.catch(() => {});
    throw error;
  }
  await writer.close();
  await kept;
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

/** The stored blob as a stream, or undefined when the content store does not have it. */
async function storedBlob(blobs: Blobs, digest: Digest): Promise<AsyncIterable<Uint8Array> | undefined> {
  const iterator = blobs.get(digest)[Symbol.asyncIterator]();
  let first: IteratorResult<Uint8Array>;
  try {
    first = await iterator.next();
  } catch (error) {
    if (isStrataError(error) && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
  return (async function* () {
    if (first.done) return;
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
}

export const encodeEntries = (entries: readonly LayerEntry[]): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(entries));

export const decodeEntries = (bytes: Uint8Array): LayerEntry[] =>
  JSON.parse(new TextDecoder().decode(bytes)) as LayerEntry[];
