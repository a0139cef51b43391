import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { type Digest, sha256Digest } from '../../src/domain/digest.ts';
import { ContentStore, contentChunkSize, contentWriter } from '../../src/eventStore/contentStore.ts';
import { describeEachBackend } from '../support/backends.ts';

/** Chunk rows that no blob row points at (what an interrupted writer may leave, never a finished one). */
async function orphanChunks(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from content_chunks c
    where not exists (select 1 from content_blobs b where b.blob_id = c.blob_id)`.execute(db);
  return rows[0]!.n;
}

/** Every stored blob has exactly its chunk_count chunks, indexed 0..n-1, adding up to its size. */
async function inconsistentBlobs(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from content_blobs b
    where b.chunk_count <> (select count(*) from content_chunks c where c.blob_id = b.blob_id)
       or b.size <> coalesce((select sum(length(c.data)) from content_chunks c where c.blob_id = b.blob_id), 0)
       or b.chunk_count <> coalesce((select max(idx) + 1 from content_chunks c where c.blob_id = b.blob_id), 0)`.execute(
    db,
  );
  return rows[0]!.n;
}

/** `bytes` in irregular pieces, as a tar reader hands a file over. */
async function* pieces(
  bytes: Uint8Array,
  check?: (offset: number) => Promise<void>,
): AsyncIterable<Uint8Array> {
  let offset = 0;
  let n = 1;
  while (offset < bytes.byteLength) {
    const size = Math.min(bytes.byteLength - offset, ((n++ * 7919) % 90_000) + 1);
    yield bytes.subarray(offset, offset + size);
    offset += size;
    await check?.(offset);
  }
}

const streamed = (bytes: Uint8Array, check?: (offset: number) => Promise<void>) =>
  [pieces(bytes, check), () => sha256Digest(bytes)] as const;

describeEachBackend('content writer (a layer’s files in batches)', (backend) => {
  const content = () => new ContentStore(backend().db);

  it('stores small, empty, duplicate, already stored and streamed blobs; each readable, none half-written', async () => {
    const db = backend().db;
    const stored = randomBytes(5000);
    await content().put(stored);
    const small = Array.from({ length: 700 }, (_, i) => randomBytes((i * 997) % 20_000));
    const big = randomBytes(9 * 1024 * 1024 + 777); // spans several batches on both backends
    const twice = randomBytes(contentChunkSize * 2 + 5);
    let seenMidway: boolean | undefined;
    const bigDigest = sha256Digest(big);

    const writer = contentWriter(db);
    await writer.add(stored, sha256Digest(stored));
    await writer.add(new Uint8Array(0), sha256Digest(new Uint8Array(0)));
    for (const [i, data] of small.entries()) {
      await writer.add(data, sha256Digest(data));
      if (i === 10) await writer.add(small[3]!, sha256Digest(small[3]!)); // the same content again
    }
    await writer.addStream(
      ...streamed(big, async (offset) => {
        // Half way through, earlier batches hold some of its chunks, but the blob is not visible.
        if (seenMidway === undefined && offset > 6 * 1024 * 1024) seenMidway = await content().has(bigDigest);
      }),
    );
    await writer.addStream(...streamed(twice));
    await writer.addStream(...streamed(twice));
    await writer.addStream(...streamed(stored));
    await writer.close();

    expect(seenMidway).toBe(false);
    for (const data of [stored, big, twice, new Uint8Array(0), ...small]) {
      expect(Buffer.from(await content().readAll(sha256Digest(data))).equals(data)).toBe(true);
    }
    const hash = createHash('sha256');
    for await (const chunk of content().get(bigDigest)) hash.update(chunk);
    expect(`sha256:${hash.digest('hex')}`).toBe(bigDigest);
    expect(await orphanChunks(db)).toBe(0);
    expect(await inconsistentBlobs(db)).toBe(0);
  });

  it('a second writer of the same files sends nothing new and leaves nothing behind', async () => {
    const db = backend().db;
    const files = Array.from({ length: 50 }, () => randomBytes(3000));
    const big = randomBytes(5 * 1024 * 1024);
    for (let round = 0; round < 2; round++) {
      const writer = contentWriter(db);
      for (const f of files) await writer.add(f, sha256Digest(f));
      await writer.addStream(...streamed(big));
      await writer.close();
    }
    expect(await orphanChunks(db)).toBe(0);
    expect(await inconsistentBlobs(db)).toBe(0);
  });

  it('an aborted writer makes no blob visible that it had not finished', async () => {
    const db = backend().db;
    const big = randomBytes(7 * 1024 * 1024);
    const finished = randomBytes(100);
    const writer = contentWriter(db);
    await writer.add(finished, sha256Digest(finished));
    const failing = (async function* () {
      yield* pieces(big.subarray(0, 6 * 1024 * 1024));
      throw new Error('network dropped');
    })();
    await expect(writer.addStream(failing, () => sha256Digest(big))).rejects.toThrow('network dropped');
    await writer.abort();
    expect(await content().has(sha256Digest(big))).toBe(false);
    // its chunks already written by earlier statements are gone too
    expect(await orphanChunks(db)).toBe(0);
    await expect(writer.close()).rejects.toThrow();
    expect(await inconsistentBlobs(db)).toBe(0);
  });

  it('a failed write is reported by the next call and by close', async () => {
    const db = backend().db;
    const writer = contentWriter(db);
    // A digest that breaks the table's check constraint makes the batch's statement fail.
    await writer.add(randomBytes(10), 'sha256:NOT-A-DIGEST' as Digest);
    await expect(writer.close()).rejects.toThrow();
    expect(await inconsistentBlobs(db)).toBe(0);
    // The batch's chunk rows went with it, and the connection is fit for the next writer.
    expect(await orphanChunks(db)).toBe(0);
    const next = contentWriter(db);
    const data = randomBytes(10);
    await next.add(data, sha256Digest(data));
    await next.close();
    expect(await content().has(sha256Digest(data))).toBe(true);
  });

  it('writers racing with the same content: one copy is kept whole, the loser leaves no chunks', async () => {
    const db = backend().db;
    const big = randomBytes(5 * 1024 * 1024 + 123);
    const files = Array.from({ length: 30 }, () => randomBytes(40_000));
    await Promise.all(
      [0, 1, 2].map(async () => {
        const writer = contentWriter(db);
        await writer.addStream(...streamed(big));
        for (const f of files) await writer.add(f, sha256Digest(f));
        await writer.close();
      }),
    );
    expect(await orphanChunks(db)).toBe(0);
    expect(await inconsistentBlobs(db)).toBe(0);
    expect(Buffer.from(await content().readAll(sha256Digest(big))).equals(big)).toBe(true);
  });

  it('putContent of a self-verifying source stores it under the digest it was checked against, without hashing it again', async () => {
    const data = randomBytes(contentChunkSize * 3 + 11);
    const digest = sha256Digest(data);
    const put = await content().put(pieces(data), { expectedDigest: digest, verifiedSource: true });
    expect(put).toEqual({ digest, size: data.byteLength, existed: false });
    expect(Buffer.from(await content().readAll(digest)).equals(data)).toBe(true);
    // the size is still checked
    const other = randomBytes(contentChunkSize + 1);
    await expect(
      content().put(pieces(other), {
        expectedDigest: sha256Digest(other),
        expectedSize: other.byteLength - 1,
        verifiedSource: true,
      }),
    ).rejects.toMatchObject({ code: 'INTEGRITY' });
    expect(await content().has(sha256Digest(other))).toBe(false);
  });

  it('streamed blobs of known size pack tightly, and one longer than announced fails', async () => {
    const db = backend().db;
    const files = Array.from({ length: 300 }, (_, i) => randomBytes(1000 + ((i * 7919) % 30_000)));
    const writer = contentWriter(db);
    for (const f of files) await writer.addStream(pieces(f), () => sha256Digest(f), f.byteLength);
    await writer.close();
    for (const f of files) expect(Buffer.from(await content().readAll(sha256Digest(f))).equals(f)).toBe(true);

    const liar = contentWriter(db);
    const long = randomBytes(5000);
    await expect(liar.addStream(pieces(long), () => sha256Digest(long), 4000)).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
    await liar.abort();
    expect(await content().has(sha256Digest(long))).toBe(false);
    expect(await inconsistentBlobs(db)).toBe(0);
  });
});
