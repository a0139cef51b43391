import { type DatabaseHandle, migrateToLatest, type OpenDatabaseOptions, openDatabase } from '../db/index.ts';
import type { Digest } from '../domain/digest.ts';
import { appendMulti } from '../eventStore/appendToStream.ts';
import { contentWriter, getContent, putContent, readContent } from '../eventStore/contentStore.ts';
import { readStream } from '../eventStore/readStream.ts';
import { LruCache } from '../projections/lruCache.ts';
import { readModelsProjection } from '../projections/readModels.ts';
import type { AppContext } from './context.ts';
import type { Blobs, EventLog } from './ports.ts';

/** Strata opened on a database: the command handlers' context plus the handle to close. */
export interface Strata extends AppContext {
  database: DatabaseHandle;
  close(): Promise<void>;
}

const projections = [readModelsProjection((trx, digest) => readContent(trx, digest))];

/** Binds the event store and content store to the ports the command handlers use. */
export function bindStores(database: DatabaseHandle): { log: EventLog; blobs: Blobs } {
  const { db } = database;
  // Content is immutable: small blobs read often (the files people open) are kept in memory.
  const smallContent = new LruCache<Digest, Uint8Array>(16 * 1024 * 1024, (bytes) => bytes.byteLength + 64);
  const log: EventLog = {
    readStream: (stream) => readStream(db, stream),
    async append(writes, metadata) {
      const result = await appendMulti(
        db,
        writes.map((w) => ({
          stream: w.stream,
          expectedVersion: w.expectedVersion,
          events: w.events.map((e) => ({ type: e.type, data: e.data, metadata: { ...metadata } })),
        })),
        { inlineProjections: projections },
      );
      return { position: result.position };
    },
  };
  const blobs: Blobs = {
    put: (source, expected) =>
      putContent(db, source, {
        ...(expected?.digest ? { expectedDigest: expected.digest } : {}),
        ...(expected?.size !== undefined ? { expectedSize: expected.size } : {}),
        ...(expected?.verified ? { verifiedSource: true } : {}),
      }),
    get: (digest: Digest) => getContent(db, digest),
    openWriter: () => contentWriter(db),
    readAll: async (digest: Digest) => {
      const cached = smallContent.get(digest);
      if (cached) return cached;
      const bytes = await readContent(db, digest);
      smallContent.set(digest, bytes);
      return bytes;
    },
  };
  return { log, blobs };
}

/** Opens the database (PostgreSQL with `databaseUrl`, else embedded PGlite), migrates, and binds the stores. */
export async function openStrata(options: OpenDatabaseOptions & { now?: () => string }): Promise<Strata> {
  const database = await openDatabase(options);
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  return {
    database,
    db: database.db,
    ...bindStores(database),
    now: options.now ?? (() => new Date().toISOString()),
    close: () => database.close(),
  };
}
