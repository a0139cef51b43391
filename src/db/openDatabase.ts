import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { validationError } from '../domain/errors.ts';
import type { Backend, Db } from './database.ts';
import { type Notifications, PgliteNotifications, PgNotifications } from './notifications.ts';

export interface OpenDatabaseOptions {
  /** `postgres://…`: use PostgreSQL through a `pg` pool. */
  databaseUrl?: string;
  /** Otherwise embedded PGlite in this directory (parents are created); `memory://` for a throwaway one. */
  dataDir?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
}

/** An open database: the Kysely handle, which engine it is, its LISTEN side, and how to close it. */
export interface DatabaseHandle {
  db: Db;
  backend: Backend;
  notifications: Notifications;
  close(): Promise<void>;
}

const INT8_OID = 20;

const backends = new WeakMap<object, Backend>();

/** The backend of a root handle opened here (undefined for transactions and foreign Kysely instances). */
export const backendOf = (db: Db): Backend | undefined => backends.get(db);

const pools = new WeakMap<object, pg.Pool>();

/**
 * `create`, memoised per database handle: one value per handle for the whole process (dropped with
 * the handle), such as the head watch and the as-of cache of a database.
 */
export function perHandle<H extends object, V>(create: (handle: H) => V): (handle: H) => V {
  const values = new WeakMap<H, V>();
  return (handle) => {
    let value = values.get(handle);
    if (value === undefined) {
      value = create(handle);
      values.set(handle, value);
    }
    return value;
  };
}

/**
 * The `pg` pool behind a root PostgreSQL handle opened here (undefined otherwise), for what Kysely
 * cannot say: the content store's `COPY ... FROM STDIN` (src/eventStore/contentStore.ts).
 */
export const pgPoolOf = (db: Db): pg.Pool | undefined => pools.get(db);

/** int8 → JS number on both backends (exact up to 2^53; positions and sizes stay far below). */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * Opens PostgreSQL when `databaseUrl` is given, else embedded PGlite in `dataDir`. Does not migrate:
 * call `migrateToLatest(db)` (src/db/migrate.ts) once after opening.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  if (options.dataDir) return openPglite(options.dataDir);
  throw validationError('openDatabase needs a databaseUrl or a dataDir');
}

async function openPostgres(databaseUrl: string, poolSize: number): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, types: pgTypes });
  // An idle client's error (e.g. server restart) must not crash the process; the pool drops it.
  pool.on('error', () => {});
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  backends.set(db, 'postgres');
  pools.set(db, pool);
  const notifications = new PgNotifications({ connectionString: databaseUrl, types: pgTypes });
  let closed = false;
  return {
    db,
    backend: 'postgres',
    notifications,
    async close() {
      if (closed) return;
      closed = true;
      await notifications.close();
      await db.destroy();
    },
  };
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const isMemory = dataDir.startsWith('memory://');
  if (!isMemory) {
    const path = resolve(dataDir.replace(/^file:\/\//, ''));
    await mkdir(dirname(path), { recursive: true });
  }
  // Loaded on demand: a process that talks to a PostgreSQL server never pays for the wasm build (~40 MB RSS).
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create(isMemory ? dataDir : resolve(dataDir.replace(/^file:\/\//, '')));
  return pgliteHandle(pglite);
}

/** A handle on an already created PGlite instance (e.g. one loaded from a dump); closing it closes PGlite. */
export function pgliteHandle(pglite: PGlite): DatabaseHandle {
  const db: Db = new Kysely({ dialect: new PGliteDialect(pglite) });
  backends.set(db, 'pglite');
  const notifications = new PgliteNotifications(pglite, (fn) => db.connection().execute(() => fn()));
  let closed = false;
  return {
    db,
    backend: 'pglite',
    notifications,
    async close() {
      if (closed) return;
      closed = true;
      await notifications.close();
      await db.destroy(); // closes PGlite
    },
  };
}
