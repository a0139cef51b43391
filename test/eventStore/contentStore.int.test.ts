import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { sha256Digest } from '../../src/domain/digest.ts';
import { ContentStore, contentChunkSize } from '../../src/eventStore/index.ts';
import { describeEachBackend } from '../support/backends.ts';

async function chunkRows(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from content_chunks`.execute(db);
  return rows[0]!.n;
}

/** Deterministic pseudo-random bytes (a 64 KiB block per seed, repeated), in irregular pieces. */
async function* generated(size: number, seed: string): AsyncIterable<Uint8Array> {
  const block = new Uint8Array(65_536);
  for (let i = 0; i < block.length; i += 32)
    block.set(createHash('sha256').update(`${seed}:${i}`).digest(), i);
  let produced = 0;
  let piece = 1;
  while (produced < size) {
    const n = Math.min(size - produced, ((piece++ * 7919) % 100_000) + 1);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; ) {
      const from = (produced + i) % block.length;
      const take = Math.min(n - i, block.length - from);
      out.set(block.subarray(from, from + take), i);
      i += take;
    }
    produced += n;
    yield out;
  }
}

async function digestOf(source: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const piece of source) {
    hash.update(piece);
    size += piece.byteLength;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

describeEachBackend('content store', (backend) => {
  const content = () => new ContentStore(backend().db);

  it('stores by sha256 digest, deduplicated', async () => {
    const data = randomBytes(1000);
    const first = await content().put(data);
    expect(first).toEqual({ digest: sha256Digest(data), size: 1000, existed: false });
    expect(await content().put(data)).toEqual({ ...first, existed: true });
    expect(await content().has(first.digest)).toBe(true);
    expect(await content().stat(first.digest)).toEqual({ digest: first.digest, size: 1000 });
    expect(Buffer.from(await content().readAll(first.digest)).equals(data)).toBe(true);
    // the same bytes streamed are the same blob
    expect(
      (
        await content().put(
          (async function* () {
            yield data.subarray(0, 10);
            yield data.subarray(10);
          })(),
        )
      ).existed,
    ).toBe(true);
  });

  it('streams a multi-MB blob in and out in 256 KiB chunks', async () => {
    const size = 5 * 1024 * 1024 + 12_345;
    const expected = await digestOf(generated(size, 'big'));
    const before = await chunkRows(backend().db);
    const put = await content().put(generated(size, 'big'), { expectedSize: size });
    expect(put).toEqual({ ...expected, existed: false });
    expect(await chunkRows(backend().db)).toBe(before + Math.ceil(size / contentChunkSize));
    const pieces: number[] = [];
    const hash = createHash('sha256');
    for await (const chunk of content().get(put.digest)) {
      pieces.push(chunk.byteLength);
      hash.update(chunk);
    }
    expect(`sha256:${hash.digest('hex')}`).toBe(expected.digest);
    expect(Math.max(...pieces)).toBe(contentChunkSize);
    // dedupe of a stream: chunks are written, then dropped when the digest turns out to be stored
    expect((await content().put(generated(size, 'big'))).existed).toBe(true);
    expect(await chunkRows(backend().db)).toBe(before + Math.ceil(size / contentChunkSize));
  });

  it('a digest or size mismatch is an INTEGRITY error and stores nothing', async () => {
    const before = await chunkRows(backend().db);
    const wrong = sha256Digest('something else');
    const big = 600 * 1024;
    for (const attempt of [
      () => content().put(generated(big, 'mismatch'), { expectedDigest: wrong }),
      () => content().put(generated(big, 'mismatch'), { expectedSize: big - 1 }),
      () => content().put(generated(big, 'mismatch'), { expectedSize: big + 1 }),
      () => content().put(randomBytes(10), { expectedDigest: wrong }),
      () => content().put(randomBytes(big), { expectedSize: 3 }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'INTEGRITY' });
    }
    expect(await chunkRows(backend().db)).toBe(before);
    expect(await content().has((await digestOf(generated(big, 'mismatch'))).digest)).toBe(false);
  });

  it('a source that fails midway stores nothing', async () => {
    const before = await chunkRows(backend().db);
    async function* failing() {
      yield randomBytes(contentChunkSize * 2);
      throw new Error('network dropped');
    }
    await expect(content().put(failing())).rejects.toThrow('network dropped');
    expect(await chunkRows(backend().db)).toBe(before);
  });

  it('an already stored expected digest returns at once without reading the source', async () => {
    const data = randomBytes(300 * 1024);
    const stored = await content().put(data);
    let read = false;
    async function* untouched() {
      read = true;
      yield data;
    }
    expect(await content().put(untouched(), { expectedDigest: stored.digest })).toEqual({
      ...stored,
      existed: true,
    });
    expect(read).toBe(false);
    await expect(
      content().put(untouched(), { expectedDigest: stored.digest, expectedSize: 1 }),
    ).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
  });

  it('empty blobs, missing blobs', async () => {
    const empty = await content().put(new Uint8Array(0));
    expect(empty.size).toBe(0);
    expect((await content().readAll(empty.digest)).byteLength).toBe(0);
    const streamedEmpty = await content().put((async function* () {})());
    expect(streamedEmpty).toEqual({ ...empty, existed: true });
    const missing = sha256Digest('never stored');
    await expect(content().readAll(missing)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(content().get(missing)[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await content().stat(missing)).toBeUndefined();
  });

  it('many small blobs inside a caller transaction, in few statements', async () => {
    const files = Array.from({ length: 1200 }, (_, i) => Buffer.from(`file ${i % 1000}\n`));
    files.push(randomBytes(contentChunkSize + 10)); // a multi-chunk one too
    await backend()
      .db.transaction()
      .execute(async (trx) => {
        await content().putMany(files, trx);
        throw new Error('rollback');
      })
      .catch(() => {});
    expect(await content().has(sha256Digest(files[0]!))).toBe(false);

    const results = await backend()
      .db.transaction()
      .execute((trx) => content().putMany(files, trx));
    expect(results.length).toBe(files.length);
    expect(results[0]).toEqual({ digest: sha256Digest('file 0\n'), size: 7, existed: false });
    expect(results[1000]!.existed).toBe(true); // same bytes as files[0]
    expect(results.filter((r) => !r.existed).length).toBe(1001);
    expect(Buffer.from(await content().readAll(results.at(-1)!.digest)).equals(files.at(-1)!)).toBe(true);
    // again, outside a transaction: all there
    expect((await content().putMany(files.slice(0, 5))).every((r) => r.existed)).toBe(true);
    // a mismatch fails before anything is written
    await expect(
      content().putMany([{ data: Buffer.from('x'), expectedDigest: sha256Digest('y') }]),
    ).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
  });
});
