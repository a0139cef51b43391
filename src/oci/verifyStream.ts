import { createHash } from 'node:crypto';
import type { Digest } from '../domain/digest.ts';
import { integrityError, StrataError } from '../domain/errors.ts';
import type { BlobRef, OpenBlobOptions } from './types.ts';

/**
 * Passes `chunks` through while hashing and counting them. Fails with INTEGRITY as soon as more than
 * `expected.size` bytes arrive, and at the end when the size or the sha256 differ. The last chunk is
 * held back until the digest is checked, so a consumer never receives all the bytes of a bad blob.
 */
export async function* verifyStream(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  expected: Pick<BlobRef, 'digest' | 'size'>,
  options: OpenBlobOptions & { what?: string } = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const what = options.what ?? `blob ${expected.digest}`;
  const hash = createHash('sha256');
  let received = 0;
  let pending: Uint8Array | undefined;
  for await (const chunk of chunks) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    if (chunk.byteLength === 0) continue;
    received += chunk.byteLength;
    if (received > expected.size) {
      throw integrityError(`${what}: more than the expected ${expected.size} bytes`, {
        digest: expected.digest,
        expectedSize: expected.size,
      });
    }
    hash.update(chunk);
    options.onProgress?.(received);
    if (pending) yield pending;
    pending = chunk;
  }
  if (received !== expected.size) {
    throw integrityError(`${what}: got ${received} bytes, expected ${expected.size}`, {
      digest: expected.digest,
      expectedSize: expected.size,
      actualSize: received,
    });
  }
  const actual: Digest = `sha256:${hash.digest('hex')}`;
  if (actual !== expected.digest) {
    throw integrityError(`${what}: content digest is ${actual}`, {
      digest: expected.digest,
      actualDigest: actual,
    });
  }
  if (pending) yield pending;
}

/** Reads a whole (small) verified blob into memory; `limit` bounds what is accepted before reading. */
export async function readAllVerified(
  chunks: AsyncIterable<Uint8Array>,
  expected: Pick<BlobRef, 'digest' | 'size'>,
  limit: number,
  what?: string,
): Promise<Uint8Array> {
  if (expected.size > limit) {
    throw new StrataError(
      'VALIDATION',
      `${what ?? expected.digest} is ${expected.size} bytes, over the ${limit}-byte limit`,
      {
        digest: expected.digest,
      },
    );
  }
  const parts: Uint8Array[] = [];
  for await (const chunk of verifyStream(chunks, expected, what ? { what } : {})) parts.push(chunk);
  return concatBytes(parts);
}

/** Reads a stream into memory, failing when it grows past `limit` bytes. */
export async function readAllBounded(
  chunks: AsyncIterable<Uint8Array>,
  limit: number,
  what: string,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > limit)
      throw new StrataError('VALIDATION', `${what} is larger than ${limit} bytes`, { limit });
    parts.push(chunk);
  }
  return concatBytes(parts);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
