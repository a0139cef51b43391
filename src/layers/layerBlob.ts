import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import type { Digest } from '../domain/digest.ts';
import { integrityError, StrataError, validationError } from '../domain/errors.ts';
import type { LayerLimits } from './limits.ts';
import { ZstdFrameGuard } from './zstdFrameGuard.ts';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** Compression of a blob from its first bytes: gzip `1f 8b`, zstd `28 b5 2f fd` (or a skippable frame), else tar. */
export function detectCompression(head: Uint8Array): LayerCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return 'zstd';
  if (
    head.length >= 4 &&
    (head[0]! & 0xf0) === 0x50 &&
    head[1] === 0x2a &&
    head[2] === 0x4d &&
    head[3] === 0x18
  )
    return 'zstd';
  if (head.length >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) {
    throw validationError('bzip2-compressed layers are not supported');
  }
  if (
    head.length >= 6 &&
    head[0] === 0xfd &&
    head[1] === 0x37 &&
    head[2] === 0x7a &&
    head[3] === 0x58 &&
    head[4] === 0x5a &&
    head[5] === 0x00
  ) {
    throw validationError('xz-compressed layers are not supported');
  }
  return 'none';
}

export interface BlobStats {
  compression: LayerCompression;
  /** sha256 of the blob as stored. */
  digest: Digest;
  compressedSize: number;
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** Uncompressed bytes. */
  size: number;
}

export interface OpenBlobOptions {
  limits: LayerLimits;
  /** Stop reading as soon as the blob grows past this many bytes; fewer at the end is an error too. */
  expectedSize?: number;
  /** Checked as soon as the source ends, before the decompressor can complain about a truncated stream. */
  expectedDigest?: Digest;
  /**
   * The source checks itself against `expectedDigest` and `expectedSize` and fails before its end on
   * a mismatch (an ImageSource blob, see src/oci/verifyStream.ts): it is not hashed a second time, and
   * `expectedDigest` is reported as its digest.
   */
  verifiedSource?: boolean;
}

/**
 * Streams a layer blob as uncompressed tar bytes, hashing both sides on the way and enforcing the
 * size and expansion limits as bytes arrive (so a bomb is stopped after at most one
 * decompressor step past the limit, never after inflating it). `stats()` is complete once
 * `chunks` has been consumed to the end.
 *
 * Errors from the source itself are rethrown untouched; anything the decompressors reject
 * becomes a VALIDATION error.
 */
export function openLayerBlob(source: AsyncIterable<Uint8Array>, options: OpenBlobOptions) {
  const { limits } = options;
  const compressedHash = createHash('sha256');
  const uncompressedHash = createHash('sha256');
  let compressedSize = 0;
  let size = 0;
  let compression: LayerCompression = 'none';
  let sourceError: unknown;
  let compressedDigest: Digest | undefined;
  let finished = false;
  const trusted = options.verifiedSource === true && options.expectedDigest !== undefined;

  async function* tapped(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of source) {
        const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk as ArrayBuffer);
        compressedSize += bytes.length;
        if (options.expectedSize !== undefined && compressedSize > options.expectedSize) {
          throw integrityError(`layer blob is larger than the expected ${options.expectedSize} bytes`, {
            expectedSize: options.expectedSize,
          });
        }
        if (!trusted) compressedHash.update(bytes);
        yield bytes;
      }
      if (options.expectedSize !== undefined && compressedSize !== options.expectedSize) {
        throw integrityError(`layer blob has ${compressedSize} bytes, expected ${options.expectedSize}`, {
          expectedSize: options.expectedSize,
          size: compressedSize,
        });
      }
      compressedDigest = trusted ? options.expectedDigest! : `sha256:${compressedHash.digest('hex')}`;
      if (options.expectedDigest !== undefined && compressedDigest !== options.expectedDigest) {
        throw integrityError(`layer blob digest is ${compressedDigest}, expected ${options.expectedDigest}`, {
          expected: options.expectedDigest,
          actual: compressedDigest,
        });
      }
    } catch (error) {
      sourceError = error;
      throw error;
    }
  }

  const account = (chunk: Uint8Array): void => {
    size += chunk.length;
    if (size > limits.maxUncompressedSize) {
      throw validationError(
        `layer exceeds the maximum uncompressed size of ${limits.maxUncompressedSize} bytes`,
        {
          limit: limits.maxUncompressedSize,
        },
      );
    }
    if (
      compression !== 'none' &&
      size > limits.ratioCheckAfter &&
      size > limits.maxExpansionRatio * Math.max(compressedSize, 1)
    ) {
      throw validationError(
        `layer expands more than ${limits.maxExpansionRatio} times (decompression bomb?)`,
        {
          compressedSize,
          size,
          limit: limits.maxExpansionRatio,
        },
      );
    }
    uncompressedHash.update(chunk);
  };

  async function* chunks(): AsyncGenerator<Uint8Array> {
    const input = tapped();
    const head: Uint8Array[] = [];
    let headLength = 0;
    while (headLength < 6) {
      const next = await input.next();
      if (next.done) break;
      head.push(next.value);
      headLength += next.value.length;
    }
    const first = concatBytes(head);
    compression = detectCompression(first);
    async function* replay(): AsyncGenerator<Uint8Array> {
      if (first.length > 0) yield first;
      yield* input;
    }
    try {
      if (compression === 'none') {
        for await (const chunk of replay()) {
          account(chunk);
          yield chunk;
        }
      } else if (compression === 'gzip') {
        yield* gunzip(replay(), account);
      } else {
        yield* unzstd(replay(), account, limits.maxZstdWindowSize);
      }
    } catch (error) {
      if ((sourceError !== undefined && error === sourceError) || error instanceof StrataError) throw error;
      throw validationError(
        `corrupt ${compression === 'none' ? 'tar' : compression} stream: ${(error as Error).message}`,
        {
          compression,
        },
      );
    }
    finished = true;
  }

  return {
    chunks: chunks(),
    isSourceError: (error: unknown) => sourceError !== undefined && error === sourceError,
    stats(): BlobStats {
      if (!finished) throw new Error('internal: blob not fully read');
      return {
        compression,
        digest: compressedDigest!,
        compressedSize,
        diffId: `sha256:${uncompressedHash.digest('hex')}`,
        size,
      };
    },
  };
}

/**
 * Output chunk of the gunzip stream (zlib's default is 16 KiB): 4× fewer chunks to hand down the
 * tar parser, hash and store, and 4× fewer buffers for the garbage collector.
 */
const GUNZIP_CHUNK = 128 * 1024;

async function* gunzip(
  input: AsyncIterable<Uint8Array>,
  account: (chunk: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  const gz = createGunzip({ chunkSize: GUNZIP_CHUNK });
  pipeline(Readable.from(input, { objectMode: false }), gz, () => {});
  try {
    for await (const chunk of gz) {
      account(chunk);
      yield chunk;
    }
  } finally {
    gz.destroy();
  }
}

const ZSTD_SLICE = 64 * 1024;

async function* unzstd(
  input: AsyncIterable<Uint8Array>,
  account: (chunk: Uint8Array) => void,
  maxWindow: number,
): AsyncGenerator<Uint8Array> {
  const guard = new ZstdFrameGuard(maxWindow);
  let out: Uint8Array[] = [];
  // fzstd decodes synchronously: account (and thereby bound) every block as it appears.
  const decoder = new Decompress((chunk) => {
    if (chunk.length === 0) return;
    account(chunk);
    out.push(chunk);
  });
  for await (const chunk of input) {
    for (let offset = 0; offset < chunk.length; offset += ZSTD_SLICE) {
      const slice = chunk.subarray(offset, offset + ZSTD_SLICE);
      guard.push(slice);
      decoder.push(slice);
      if (out.length > 0) {
        const batch = out;
        out = [];
        yield* batch;
      }
    }
  }
  guard.end();
  decoder.push(new Uint8Array(0), true);
  yield* out;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
