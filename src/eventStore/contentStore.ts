import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { backendOf, pgPoolOf } from '../db/openDatabase.ts';
import { type Digest, isDigest, sha256Digest } from '../domain/digest.ts';
import { integrityError, notFoundError, validationError } from '../domain/errors.ts';

/** Bytes per stored chunk (256 KiB). */
export const contentChunkSize = 256 * 1024;

/** Chunks read per query by `getContent` (4 MiB). */
const chunksPerRead = 16;

export interface PutContentOptions {
  /** When given, the content must hash to it (else IntegrityError, nothing stored). */
  expectedDigest?: Digest;
  /** When given, the content must have exactly this many bytes (else IntegrityError, nothing stored). */
  expectedSize?: number;
  /**
   * With `expectedDigest`: the source verifies itself against it and fails before its end on a
   * mismatch (an ImageSource blob, see src/oci/verifyStream.ts), so its bytes are not hashed again.
   */
  verifiedSource?: boolean;
}

export interface PutContentResult {
  digest: Digest;
  size: number;
  /** True when the store already had this content (nothing new was stored). */
  existed: boolean;
}

export interface ContentStat {
  digest: Digest;
  size: number;
}

export type ContentSource = Uint8Array | AsyncIterable<Uint8Array>;

/** One blob for `putContents`. */
export type ContentItem = Uint8Array | ({ data: Uint8Array } & PutContentOptions);

/**
 * Bytes are written as base64 text decoded by the server with PGlite (several times faster there
 * than bytea parameters), and as binary bytea parameters with PostgreSQL (node-postgres sends a
 * Buffer in binary format: about twice as fast as base64 there). Reads come back as base64.
 */
const toBytea = (data: Uint8Array) =>
  sql<Uint8Array>`decode(${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}, 'base64')`;
const binaryBytea = (data: Uint8Array) =>
  sql<Uint8Array>`${Buffer.from(data.buffer, data.byteOffset, data.byteLength)}`;
/** The encoder for `db` (a transaction of unknown origin gets base64, which works everywhere). */
const byteaFor = (db: Db) => (backendOf(db) === 'postgres' ? binaryBytea : toBytea);

/** Chunks of one streamed blob written per INSERT (one commit per 4 MiB, not per chunk). */
const chunksPerWrite = 8;
const fromBase64 = (text: string): Uint8Array => Buffer.from(text, 'base64');

const mismatch = (what: string, expected: unknown, actual: unknown) =>
  integrityError(`content ${what} mismatch: expected ${expected}, got ${actual}`, { expected, actual });

function checkExpectations(options: PutContentOptions, digest: Digest, size: number): void {
  if (options.expectedSize !== undefined && options.expectedSize !== size) {
    throw mismatch('size', options.expectedSize, size);
  }
  if (options.expectedDigest !== undefined && options.expectedDigest !== digest) {
    throw mismatch('digest', options.expectedDigest, digest);
  }
}

/**
 * Stores content (deduplicated by sha256) and returns its digest. A stream is written in 256 KiB
 * chunks as it arrives: the blob is never held whole in memory. With a plain `db`, each chunk is its
 * own short statement and the blob becomes visible atomically at the end (an interrupted upload
 * leaves unreferenced chunks, never a partial blob); with a transaction, everything happens in it.
 * Call it BEFORE the append that references the digest, never as an append transaction's first write.
 *
 * When `expectedDigest` is already stored, returns at once without reading the source.
 */
export async function putContent(
  db: Db,
  source: ContentSource,
  options: PutContentOptions = {},
): Promise<PutContentResult> {
  if (options.expectedDigest !== undefined && !isDigest(options.expectedDigest)) {
    throw validationError(`invalid digest "${options.expectedDigest}"`);
  }
  if (source instanceof Uint8Array) {
    const digest = sha256Digest(source);
    checkExpectations(options, digest, source.byteLength);
    if (source.byteLength <= contentChunkSize) return putSmall(db, digest, source);
    if (await statContent(db, digest)) return { digest, size: source.byteLength, existed: true };
    return putChunks(db, chunksOf(source), options);
  }
  if (options.expectedDigest !== undefined) {
    const stat = await statContent(db, options.expectedDigest);
    if (stat) {
      if (options.expectedSize !== undefined && options.expectedSize !== stat.size) {
        throw mismatch('size', options.expectedSize, stat.size);
      }
      return { ...stat, existed: true };
    }
  }
  return putChunks(db, source, options);
}

async function* chunksOf(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += contentChunkSize) {
    yield bytes.subarray(offset, offset + contentChunkSize);
  }
}

/** One statement: the blob row and its single chunk, or nothing when the digest is already stored. */
async function putSmall(db: Db, digest: Digest, data: Uint8Array): Promise<PutContentResult> {
  const chunkCount = data.byteLength === 0 ? 0 : 1;
  const { rows } = await sql<{ blob_id: number }>`
    with blob as (
      insert into content_blobs (digest, blob_id, size, chunk_size, chunk_count)
      values (${digest}, nextval('content_blob_id_seq'), ${data.byteLength}, ${contentChunkSize}, ${chunkCount})
      on conflict (digest) do nothing
      returning blob_id
    ), chunk as (
      insert into content_chunks (blob_id, idx, data)
      select blob_id, 0, ${byteaFor(db)(data)} from blob where ${chunkCount} = 1
    )
    select blob_id from blob`.execute(db);
  return { digest, size: data.byteLength, existed: rows.length === 0 };
}

async function putChunks(
  db: Db,
  source: AsyncIterable<Uint8Array>,
  options: PutContentOptions,
): Promise<PutContentResult> {
  const { rows } = await sql<{ id: number }>`select nextval('content_blob_id_seq') as id`.execute(db);
  const blobId = Number(rows[0]!.id);
  const hash = createHash('sha256');
  const bytea = byteaFor(db);
  const pool = pgPoolOf(db);
  const capacity = batchBytesFor(chunksPerWrite * contentChunkSize, chunksPerWrite);
  // Two buffers: one being filled while the other one's statement runs (at most one in flight).
  let batch = new Batch(capacity);
  let spare: Batch | undefined = new Batch(capacity);
  let inFlight: Promise<unknown> = Promise.resolve();

  const flushBatch = async () => {
    if (batch.rows === 0) return;
    const full = batch;
    await inFlight;
    batch = spare ?? new Batch(capacity);
    spare = undefined;
    const write = (
      pool
        ? withClient(pool, (client) => copyChunks(client, full))
        : sql`with data as (select ${bytea(full.data)}::bytea as bytes)
      insert into content_chunks (blob_id, idx, data) ${chunkRows(full)}`.execute(db)
    ).then(() => {
      full.reset();
      spare = full;
    });
    write.catch(() => {}); // observed by the next `await inFlight`; never an unhandled rejection meanwhile
    inFlight = write;
  };
  const cutter = new ChunkCutter(
    blobId,
    options.expectedSize,
    async (need) => {
      if (batch.room < need) await flushBatch();
    },
    () => batch,
  );
  const trusted = options.verifiedSource === true && options.expectedDigest !== undefined;

  try {
    for await (const piece of source) {
      if (!trusted) hash.update(piece);
      await cutter.push(piece);
    }
    await flushBatch();
    await inFlight;
    const size = cutter.size;
    const digest = trusted ? options.expectedDigest! : (`sha256:${hash.digest('hex')}` as Digest);
    checkExpectations(options, digest, size);
    const inserted = await db
      .insertInto('content_blobs')
      .values({ digest, blob_id: blobId, size, chunk_size: contentChunkSize, chunk_count: cutter.chunks })
      .onConflict((oc) => oc.column('digest').doNothing())
      .returning('blob_id')
      .executeTakeFirst();
    if (!inserted) {
      await deleteChunks(db, blobId);
      return { digest, size, existed: true };
    }
    return { digest, size, existed: false };
  } catch (error) {
    await inFlight.catch(() => {});
    // Best effort: leftovers of a failed upload are unreferenced and invisible either way.
    await deleteChunks(db, blobId).catch(() => {});
    throw error;
  }
}

async function deleteChunks(db: Db, blobId: number): Promise<void> {
  await db.deleteFrom('content_chunks').where('blob_id', '=', blobId).execute();
}

/** Size of a stored blob, or undefined. */
export async function statContent(db: Db, digest: string): Promise<ContentStat | undefined> {
  const row = await db
    .selectFrom('content_blobs')
    .select(['digest', 'size'])
    .where('digest', '=', digest)
    .executeTakeFirst();
  return row ? { digest: row.digest as Digest, size: Number(row.size) } : undefined;
}

export async function hasContent(db: Db, digest: string): Promise<boolean> {
  return (await statContent(db, digest)) !== undefined;
}

/** Streams a stored blob chunk by chunk (a few MiB per query). NOT_FOUND when it is not stored. */
export async function* getContent(db: Db, digest: string): AsyncIterable<Uint8Array> {
  const blob = await db
    .selectFrom('content_blobs')
    .select(['blob_id', 'chunk_count', 'size'])
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (!blob) throw notFoundError(`content ${digest} is not stored`, { digest });
  let delivered = 0;
  for (let from = 0; from < blob.chunk_count; from += chunksPerRead) {
    const rows = await db
      .selectFrom('content_chunks')
      .select(['idx', sql<string>`encode(data, 'base64')`.as('data')])
      .where('blob_id', '=', blob.blob_id)
      .where('idx', '>=', from)
      .where('idx', '<', from + chunksPerRead)
      .orderBy('idx')
      .execute();
    const expected = Math.min(chunksPerRead, blob.chunk_count - from);
    if (rows.length !== expected) throw integrityError(`content ${digest} is missing chunks`, { digest });
    for (const row of rows) {
      const data = fromBase64(row.data);
      delivered += data.byteLength;
      yield data;
    }
  }
  if (delivered !== Number(blob.size))
    throw integrityError(`content ${digest} has the wrong size`, { digest });
}

/** A whole blob in memory; for small blobs only (VALIDATION error above `maxBytes`, default 64 MiB). */
export async function readContent(db: Db, digest: string, maxBytes = 64 * 1024 * 1024): Promise<Uint8Array> {
  const stat = await statContent(db, digest);
  if (!stat) throw notFoundError(`content ${digest} is not stored`, { digest });
  if (stat.size > maxBytes)
    throw validationError(`content ${digest} is ${stat.size} bytes, above ${maxBytes}`);
  const out = new Uint8Array(stat.size);
  let offset = 0;
  for await (const chunk of getContent(db, digest)) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Rows per multi-row INSERT in `putContents`, and bytes per statement. */
const rowsPerStatement = 500;
const bytesPerStatement = 8 * 1024 * 1024;

/**
 * Stores many in-memory blobs at once (e.g. the files of a layer) in few statements: inside the
 * given transaction, or in one transaction of its own. Results are in input order. A mismatch
 * throws IntegrityError before anything is written.
 */
export async function putContents(db: Db, items: readonly ContentItem[]): Promise<PutContentResult[]> {
  const prepared = items.map((item) => {
    const data = item instanceof Uint8Array ? item : item.data;
    const options: PutContentOptions = item instanceof Uint8Array ? {} : item;
    const digest = sha256Digest(data);
    checkExpectations(options, digest, data.byteLength);
    return { digest, data };
  });
  if (prepared.length === 0) return [];
  const bytea = byteaFor(db);
  const run = async (trx: Db): Promise<PutContentResult[]> => {
    const created = new Set<string>();
    const unique = [...new Map(prepared.map((p) => [p.digest, p])).values()];
    for (const group of groups(unique)) {
      const existing = new Set(
        (
          await trx
            .selectFrom('content_blobs')
            .select('digest')
            .where(
              'digest',
              'in',
              group.map((p) => p.digest),
            )
            .execute()
        ).map((r) => r.digest),
      );
      const fresh = group.filter((p) => !existing.has(p.digest));
      if (fresh.length === 0) continue;
      const inserted = await trx
        .insertInto('content_blobs')
        .values(
          fresh.map((p) => ({
            digest: p.digest,
            blob_id: sql<number>`nextval('content_blob_id_seq')`,
            size: p.data.byteLength,
            chunk_size: contentChunkSize,
            chunk_count: Math.ceil(p.data.byteLength / contentChunkSize),
          })),
        )
        .onConflict((oc) => oc.column('digest').doNothing())
        .returning(['digest', 'blob_id'])
        .execute();
      const byDigest = new Map<string, Uint8Array>(fresh.map((p) => [p.digest, p.data]));
      const chunks: { blob_id: number; idx: number; data: Uint8Array }[] = [];
      for (const row of inserted) {
        created.add(row.digest);
        const data = byDigest.get(row.digest)!;
        for (let idx = 0; idx * contentChunkSize < data.byteLength; idx++) {
          chunks.push({
            blob_id: Number(row.blob_id),
            idx,
            data: data.subarray(idx * contentChunkSize, (idx + 1) * contentChunkSize),
          });
        }
      }
      for (const batch of groups(chunks)) {
        await trx
          .insertInto('content_chunks')
          .values(batch.map((c) => ({ ...c, data: bytea(c.data) })))
          .execute();
      }
    }
    const reported = new Set<string>();
    return prepared.map((p) => {
      const existed = !created.has(p.digest) || reported.has(p.digest);
      reported.add(p.digest);
      return { digest: p.digest, size: p.data.byteLength, existed };
    });
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

function* groups<T extends { data: Uint8Array }>(items: readonly T[]): Iterable<T[]> {
  let group: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (
      group.length > 0 &&
      (group.length >= rowsPerStatement || bytes + item.data.byteLength > bytesPerStatement)
    ) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(item);
    bytes += item.data.byteLength;
  }
  if (group.length > 0) yield group;
}

/** The content store bound to one database. */
export class ContentStore {
  constructor(private readonly db: Db) {}

  put(source: ContentSource, options?: PutContentOptions): Promise<PutContentResult> {
    return putContent(this.db, source, options);
  }
  /** Many small blobs in few statements; pass a transaction to write them inside it. */
  putMany(items: readonly ContentItem[], trx?: Db): Promise<PutContentResult[]> {
    return putContents(trx ?? this.db, items);
  }
  get(digest: string): AsyncIterable<Uint8Array> {
    return getContent(this.db, digest);
  }
  readAll(digest: string, maxBytes?: number): Promise<Uint8Array> {
    return readContent(this.db, digest, maxBytes);
  }
  has(digest: string): Promise<boolean> {
    return hasContent(this.db, digest);
  }
  stat(digest: string): Promise<ContentStat | undefined> {
    return statContent(this.db, digest);
  }
}

/** A blob for `ContentWriter`: whole in memory, or streamed (its digest is known once it has ended). */
export interface ContentWriter {
  /**
   * Queues a whole blob whose sha256 the caller has just computed over these very bytes (a layer
   * reader hashes every file as it streams by; hashing again would only cost time). Resolves when
   * queued: at most two batches are in memory, one being filled and one being written.
   */
  add(data: Uint8Array, digest: Digest): Promise<void>;
  /**
   * Queues a streamed blob chunk by chunk; `digest()` is asked once the stream has ended. `size`,
   * when the exact size is known up front (a tar entry's), lets small blobs share a batch tightly.
   */
  addStream(source: AsyncIterable<Uint8Array>, digest: () => Digest, size?: number): Promise<void>;
  /** Writes what is queued and waits for every write; throws the first failure. */
  close(): Promise<void>;
  /** Drops what is queued and waits for the write in flight (never throws). */
  abort(): Promise<void>;
}

interface PendingBlob {
  digest: Digest;
  id: number;
  size: number;
  chunkCount: number;
  /** True when earlier batches already hold some of its chunks (a streamed blob). */
  spans: boolean;
}

/**
 * A batch buffer is one CopyData protocol message ('d', its length) carrying PostgreSQL's binary COPY
 * format for `content_chunks (blob_id, idx, data)`: the file header, then per chunk row a 26-byte row
 * header (field count, int8 blob_id, int4 idx, the data's length) followed by the chunk's bytes, then
 * the trailer. With PostgreSQL the buffer goes as is to the socket of a `COPY ... FROM STDIN (FORMAT
 * binary)` (no copy of it is made); elsewhere (PGlite) it is sent as one bytea and the rows are cut out
 * of it by offset, the headers in between unused.
 */
const copyHeader = Buffer.concat([
  Buffer.from([0x64, 0, 0, 0, 0]),
  Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
  Buffer.alloc(8),
]);
const rowHeaderBytes = 2 + 4 + 8 + 4 + 4 + 4;
const copyTrailerBytes = 2;
/** A batch buffer's size for `dataBytes` of chunk bytes in `rows` chunk rows. */
const batchBytesFor = (dataBytes: number, rows: number) =>
  copyHeader.byteLength + rows * rowHeaderBytes + dataBytes + copyTrailerBytes;

/** One statement's worth: chunk rows side by side in one buffer (binary COPY format), and their offsets. */
class Batch {
  readonly buffer: Buffer;
  used = copyHeader.byteLength;
  readonly chunkIds: number[] = [];
  readonly chunkIdx: number[] = [];
  /** Where each chunk's bytes start in `buffer` (its row header is just before). */
  readonly chunkOffsets: number[] = [];
  readonly chunkLengths: number[] = [];
  blobs: PendingBlob[] = [];

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
    copyHeader.copy(this.buffer, 0);
  }
  /** Bytes a new chunk row may hold (its row header and the trailer are set aside). */
  get room(): number {
    return this.buffer.byteLength - this.used - rowHeaderBytes - copyTrailerBytes;
  }
  get data(): Buffer {
    return this.buffer.subarray(0, this.used);
  }
  get rows(): number {
    return this.chunkIds.length + this.blobs.length;
  }
  /** Opens a chunk row at the current end of the buffer; its bytes follow with `append`. */
  openChunk(id: number, idx: number): void {
    this.used += rowHeaderBytes;
    this.chunkIds.push(id);
    this.chunkIdx.push(idx);
    this.chunkOffsets.push(this.used);
    this.chunkLengths.push(0);
  }
  /** The buffer as one CopyData message: row headers, trailer and length written in the space kept for them. */
  copyMessage(): Buffer {
    const buffer = this.buffer;
    for (let i = 0; i < this.chunkIds.length; i++) {
      let at = this.chunkOffsets[i]! - rowHeaderBytes;
      const id = this.chunkIds[i]!;
      at = buffer.writeInt16BE(3, at);
      at = buffer.writeInt32BE(8, at);
      at = buffer.writeUInt32BE(Math.floor(id / 2 ** 32), at);
      at = buffer.writeUInt32BE(id >>> 0, at);
      at = buffer.writeInt32BE(4, at);
      at = buffer.writeInt32BE(this.chunkIdx[i]!, at);
      buffer.writeInt32BE(this.chunkLengths[i]!, at);
    }
    buffer.writeInt16BE(-1, this.used);
    buffer.writeInt32BE(this.used + copyTrailerBytes - 1, 1);
    return buffer.subarray(0, this.used + copyTrailerBytes);
  }
  append(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.used);
    this.used += bytes.byteLength;
    this.chunkLengths[this.chunkLengths.length - 1]! += bytes.byteLength;
  }
  /** The buffer without the bytes of dropped rows (offsets rewritten), so they are never sent. */
  compact(): void {
    let to = copyHeader.byteLength + rowHeaderBytes;
    for (let i = 0; i < this.chunkOffsets.length; i++) {
      const from = this.chunkOffsets[i]!;
      const length = this.chunkLengths[i]!;
      if (from !== to) this.buffer.copyWithin(to, from, from + length);
      this.chunkOffsets[i] = to;
      to += length + rowHeaderBytes;
    }
    this.used = to - rowHeaderBytes;
  }
  dropChunks(id: number): void {
    for (let i = this.chunkIds.length - 1; i >= 0; i--) {
      if (this.chunkIds[i] !== id) continue;
      for (const list of [this.chunkIds, this.chunkIdx, this.chunkOffsets, this.chunkLengths])
        list.splice(i, 1);
    }
  }
  reset(): void {
    this.used = copyHeader.byteLength;
    for (const list of [this.chunkIds, this.chunkIdx, this.chunkOffsets, this.chunkLengths]) list.length = 0;
    this.blobs = [];
  }
}

/**
 * Cuts one blob's pieces into chunk rows of `contentChunkSize` bytes in the batch `room(need)` returns
 * (which flushes first when fewer than `need` bytes are free): a chunk never straddles two batches.
 * With `expectedSize` (exact), a blob's last chunk only asks for the room it needs, and a source that
 * runs longer is INTEGRITY.
 */
class ChunkCutter {
  size = 0;
  chunks = 0;
  private inChunk = 0;

  constructor(
    private readonly id: number,
    private readonly expectedSize: number | undefined,
    /** Makes room for `need` bytes (flushing the batch being filled if it has less). */
    private readonly room: (need: number) => Promise<void>,
    /** The batch being filled. */
    private readonly batch: () => Batch,
  ) {}

  async push(piece: Uint8Array): Promise<void> {
    this.size += piece.byteLength;
    if (this.expectedSize !== undefined && this.size > this.expectedSize) {
      throw mismatch('size', this.expectedSize, `more than ${this.expectedSize}`);
    }
    let rest = piece;
    while (rest.byteLength > 0) {
      if (this.inChunk === 0) {
        const written = this.size - rest.byteLength;
        await this.room(
          Math.min(contentChunkSize, (this.expectedSize ?? Number.POSITIVE_INFINITY) - written),
        );
        this.batch().openChunk(this.id, this.chunks++);
      }
      const n = Math.min(rest.byteLength, contentChunkSize - this.inChunk);
      this.batch().append(n === rest.byteLength ? rest : rest.subarray(0, n));
      rest = rest.subarray(n);
      this.inChunk = (this.inChunk + n) % contentChunkSize;
    }
  }
}

/**
 * The chunk rows of a batch for `insert into content_chunks`, cut from the `data` CTE's one bytea;
 * `where` (on `c.blob_id`) keeps only some of them.
 */
const chunkRows = (batch: Batch, where = sql``) => sql`
  select c.blob_id, c.idx, substring((select bytes from data) from c.off + 1 for c.len)
  from unnest(${batch.chunkIds}::bigint[], ${batch.chunkIdx}::integer[],
              ${batch.chunkOffsets}::integer[], ${batch.chunkLengths}::integer[]) as c(blob_id, idx, off, len)
  ${where}`;

/** Bytes per `ContentWriter` statement, on both backends. */
const writerBatchBytes = 2 * 1024 * 1024;
const writerBatchRows = 2000;
const reservedIds = 512;

/**
 * Stores many blobs (the files of a layer) in a few large statements, one written while the next is
 * filled. A statement carries its chunks' bytes as ONE bytea parameter (cut into rows on the server
 * with `substring`) and the rows as arrays: the bytes are copied once on the way in and the driver
 * serialises one big value instead of thousands. Each statement inserts the blob rows that complete
 * in it together with their chunks (`on conflict (digest) do nothing`, chunks only for the rows
 * actually inserted), so a blob becomes visible with all its chunks or not at all; a streamed blob's
 * earlier chunks are written by earlier statements of the same writer, in order, under an id nobody
 * else uses (ids are reserved in blocks). Blobs already stored are found by digest before their
 * bytes are sent.
 */
export function contentWriter(db: Db): ContentWriter {
  const capacity = batchBytesFor(writerBatchBytes, 8);
  const bytea = byteaFor(db);
  const pool = pgPoolOf(db);
  const ids: number[] = [];
  const seen = new Set<string>();
  // Two buffers: one being filled while the other one's statement runs.
  let batch = new Batch(capacity);
  let spare: Batch | undefined = new Batch(capacity);
  let writing: Promise<void> = Promise.resolve();
  let failed: { error: unknown } | undefined;

  const nextId = async (): Promise<number> => {
    if (ids.length === 0) {
      const { rows } = await sql<{ id: string | number }>`
        select nextval('content_blob_id_seq') as id from generate_series(1, ${reservedIds})`.execute(db);
      for (const row of rows) ids.push(Number(row.id));
    }
    return ids.shift()!;
  };

  const write = async (full: Batch): Promise<void> => {
    let keep = full.blobs;
    if (keep.length > 0) {
      const { rows } = await sql<{ digest: string }>`
        select digest from content_blobs where digest = any(${keep.map((b) => b.digest)}::text[])`.execute(
        db,
      );
      if (rows.length > 0) {
        const existing = new Set(rows.map((r) => r.digest));
        for (const b of keep) if (existing.has(b.digest)) full.dropChunks(b.id);
        const orphans = keep.filter((b) => b.spans && existing.has(b.digest)).map((b) => b.id);
        if (orphans.length > 0) await deleteChunkSets(db, orphans);
        keep = keep.filter((b) => !existing.has(b.digest));
        full.compact();
      }
    }
    if (full.chunkIds.length === 0 && keep.length === 0) return;
    if (pool) return withClient(pool, (client) => copyBatch(client, full, keep));
    const completing = new Set(keep.map((b) => b.id));
    // Chunks of blobs still streaming go in unconditionally; those of completing blobs only with their row.
    const open = [...new Set(full.chunkIds.filter((id) => !completing.has(id)))];
    const statement = sql<{ blob_id: string | number }>`
      with data as (select ${bytea(full.data)}::bytea as bytes),
      fresh as (
        insert into content_blobs (digest, blob_id, size, chunk_size, chunk_count)
        select b.digest, b.blob_id, b.size, ${contentChunkSize}, b.chunk_count
        from unnest(${keep.map((b) => b.digest)}::text[], ${keep.map((b) => b.id)}::bigint[],
                    ${keep.map((b) => b.size)}::bigint[], ${keep.map((b) => b.chunkCount)}::integer[])
             as b(digest, blob_id, size, chunk_count)
        on conflict (digest) do nothing
        returning blob_id
      ), chunks as (
        insert into content_chunks (blob_id, idx, data)
        ${chunkRows(full, sql`where c.blob_id in (select blob_id from fresh) or c.blob_id = any(${open}::bigint[])`)}
      )
      select blob_id from fresh`;
    const { rows: inserted } = await statement.execute(db);
    // Lost a race with another writer of the same content: its earlier chunks are ours to drop.
    const won = new Set(inserted.map((r) => Number(r.blob_id)));
    const lost = keep.filter((b) => b.spans && !won.has(b.id)).map((b) => b.id);
    if (lost.length > 0) await deleteChunkSets(db, lost);
  };

  const flush = async (): Promise<void> => {
    const full = batch;
    await writing;
    if (failed) throw failed.error;
    batch = spare ?? new Batch(capacity);
    spare = undefined;
    if (full.rows === 0) {
      spare = full;
      return;
    }
    writing = write(full).then(
      () => {
        full.reset();
        spare = full;
      },
      (error: unknown) => {
        failed ??= { error };
      },
    );
  };
  /** Room for `bytes` more (and a row or two) in the batch being filled. */
  const makeRoom = async (bytes: number) => {
    if (batch.room < bytes || batch.rows >= writerBatchRows) await flush();
  };
  /** Drops a blob's chunks: those still in the batch being filled, and (`spans`) those written before. */
  const discard = async (id: number, spans: boolean) => {
    batch.dropChunks(id);
    batch.compact();
    if (spans) {
      await writing;
      await deleteChunkSets(db, [id]);
    }
  };
  const finish = async (blob: PendingBlob) => {
    if (seen.has(blob.digest)) {
      // Same content twice in one writer: the first copy wins; this one's chunks are dropped.
      await discard(blob.id, blob.spans);
      return;
    }
    seen.add(blob.digest);
    batch.blobs.push(blob);
  };

  const writer: ContentWriter = {
    async add(data, digest) {
      if (failed) throw failed.error;
      if (seen.has(digest)) return;
      if (data.byteLength > contentChunkSize) {
        const whole = data;
        return writer.addStream(
          (async function* () {
            yield whole;
          })(),
          () => digest,
        );
      }
      const id = await nextId();
      await makeRoom(data.byteLength);
      if (data.byteLength > 0) {
        batch.openChunk(id, 0);
        batch.append(data);
      }
      await finish({
        digest,
        id,
        size: data.byteLength,
        chunkCount: data.byteLength > 0 ? 1 : 0,
        spans: false,
      });
    },
    async addStream(source, digest, expectedSize) {
      if (failed) throw failed.error;
      const id = await nextId();
      let spans = false;
      const cutter = new ChunkCutter(
        id,
        expectedSize,
        async (need) => {
          if (batch.room < need || batch.rows >= writerBatchRows) {
            if (cutter.chunks > 0) spans = true; // earlier chunks of this blob go with this statement
            await flush();
          }
        },
        () => batch,
      );
      try {
        for await (const piece of source) await cutter.push(piece);
      } catch (error) {
        // The source failed: this blob's chunks already written by earlier statements are dropped
        // (best effort; unreferenced chunks are invisible either way).
        await discard(id, spans).catch(() => {});
        throw error;
      }
      await finish({ digest: digest(), id, size: cutter.size, chunkCount: cutter.chunks, spans });
    },
    async close() {
      await flush();
      await writing;
      if (failed) throw failed.error;
    },
    async abort() {
      failed ??= { error: new Error('the content writer was aborted') };
      batch.reset();
      await writing;
    },
  };
  return writer;
}

/**
 * PostgreSQL: one transaction per batch, the chunk rows by `COPY ... FROM STDIN (FORMAT binary)`
 * (half the server's CPU of an INSERT cutting them out of one bytea parameter, measured), then the
 * blob rows that complete in it (`on conflict (digest) do nothing`); a blob that lost the race to
 * another writer has all its chunks deleted, these and earlier batches' alike, before the commit.
 * So a blob row still commits with (or after) all its chunks.
 */
async function copyBatch(client: pg.PoolClient, batch: Batch, blobs: readonly PendingBlob[]): Promise<void> {
  await client.query('begin');
  if (batch.chunkIds.length > 0) await copyChunks(client, batch);
  if (blobs.length > 0) {
    const { rows } = await client.query<{ blob_id: string | number }>(
      `insert into content_blobs (digest, blob_id, size, chunk_size, chunk_count)
       select b.digest, b.blob_id, b.size, ${contentChunkSize}, b.chunk_count
       from unnest($1::text[], $2::bigint[], $3::bigint[], $4::integer[]) as b(digest, blob_id, size, chunk_count)
       on conflict (digest) do nothing
       returning blob_id`,
      [
        blobs.map((b) => b.digest),
        blobs.map((b) => b.id),
        blobs.map((b) => b.size),
        blobs.map((b) => b.chunkCount),
      ],
    );
    const won = new Set(rows.map((r) => Number(r.blob_id)));
    const lost = blobs.filter((b) => !won.has(b.id)).map((b) => b.id);
    if (lost.length > 0)
      await client.query('delete from content_chunks where blob_id = any($1::bigint[])', [lost]);
  }
  await client.query('commit');
}

/** A batch's chunk rows into `content_chunks` by binary COPY (in the client's transaction, if any). */
function copyChunks(client: pg.PoolClient, batch: Batch): Promise<void> {
  return copyIn(
    client,
    'copy content_chunks (blob_id, idx, data) from stdin (format binary)',
    batch.copyMessage(),
  );
}

/**
 * Runs `fn` on a client of the pool; a failure rolls back whatever transaction it left open, and a
 * client that cannot even roll back is discarded instead of returned to the pool.
 */
async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (error) {
    await client.query('rollback').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * `COPY ... FROM STDIN` on a node-postgres client, the whole COPY stream being `message`, one ready
 * CopyData protocol message: a minimal Submittable (query → CopyInResponse → CopyData, CopyDone →
 * CommandComplete → ReadyForQuery; an ErrorResponse ends it early). The message is written to the
 * connection's socket as it is: node-postgres' own `sendCopyFromChunk` would copy it into a fresh
 * buffer first (a 2 MiB allocation per batch). The caller may reuse `message` once this has settled:
 * the server has read all of it by then (or the connection is gone).
 */
function copyIn(client: pg.PoolClient, text: string, message: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failure: Error | undefined;
    const submittable = {
      submit(connection: { query(text: string): void }) {
        connection.query(text);
      },
      handleCopyInResponse(connection: { stream: { write(chunk: Buffer): boolean }; endCopyFrom(): void }) {
        connection.stream.write(message);
        connection.endCopyFrom();
      },
      handleCommandComplete() {},
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handleCopyData() {},
      handleError(error: Error) {
        // A server error is followed by ReadyForQuery; a broken connection is not: settle now either way
        // (the client queues the caller's next query until the server is ready).
        failure ??= error;
        reject(error);
      },
      handleReadyForQuery() {
        if (failure) reject(failure);
        else resolve();
      },
    };
    client.query(submittable as unknown as pg.Submittable);
  });
}

async function deleteChunkSets(db: Db, blobIds: number[]): Promise<void> {
  await db.deleteFrom('content_chunks').where('blob_id', 'in', blobIds).execute();
}
