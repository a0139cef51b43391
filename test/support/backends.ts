/**
 * Database test backends: run one suite on every backend, each on a fresh, migrated database.
 *
 *   import { describeEachBackend } from '../support/backends.ts';
 *
 *   describeEachBackend('layer import', (backend) => {
 *     it('stores the entries', async () => {
 *       const { db, notifications, backend: kind } = backend(); // a DatabaseHandle (+ name, databaseUrl)
 *       ...
 *     });
 *   });
 *
 * - PGlite (in memory) always; PostgreSQL too when TEST_DATABASE_URL is set
 *   (e.g. `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx vitest run test/x`).
 * - Per suite and backend: `CREATE DATABASE strata_t_<random>` on TEST_DATABASE_URL's server,
 *   migrated to latest in beforeAll, closed and dropped in afterAll. Tests inside one suite share
 *   that database: use unique stream names / keys (e.g. `uniq('img')`) or a suite of their own.
 * - `backend()` may only be called inside tests/hooks (it throws before beforeAll has run).
 * - `describePostgres` runs a suite on PostgreSQL only (skipped without TEST_DATABASE_URL), for
 *   things PGlite cannot do (concurrent connections, chaos tests).
 * - `createTestDatabase(kind)` gives a database outside of describe blocks; call `dispose()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Backend } from '../../src/db/database.ts';
import { migrateToLatest, migrationsFolder } from '../../src/db/migrate.ts';
import { type DatabaseHandle, openDatabase, pgliteHandle } from '../../src/db/openDatabase.ts';

/** The PostgreSQL server for tests (any database on it; suites create their own), or undefined. */
export const testDatabaseUrl: string | undefined = process.env.TEST_DATABASE_URL || undefined;

/** The backends this run covers: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const testBackends: Backend[] = testDatabaseUrl ? ['pglite', 'postgres'] : ['pglite'];

export interface TestBackend extends DatabaseHandle {
  /** postgres: the throwaway database's URL (open more handles on it with openDatabase). */
  databaseUrl: string | undefined;
  /** Closes the handle and drops the throwaway database. */
  dispose(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** Skip migrations (default false). */
  empty?: boolean;
}

/** A fresh database on `kind`, migrated unless `empty`. */
export async function createTestDatabase(
  kind: Backend,
  options: TestDatabaseOptions = {},
): Promise<TestBackend> {
  if (kind === 'pglite') {
    const handle = options.empty
      ? await openDatabase({ dataDir: 'memory://' })
      : pgliteHandle(await PGlite.create({ loadDataDir: await migratedPgliteTemplate() }));
    if (!options.empty) await migrateToLatest(handle.db); // a no-op unless the template is stale
    return { ...handle, databaseUrl: undefined, dispose: () => handle.close() };
  }
  if (!testDatabaseUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `strata_t_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  let handle: DatabaseHandle | undefined;
  try {
    handle = await openDatabase({ databaseUrl, poolSize: options.poolSize });
    if (!options.empty) await migrateToLatest(handle.db);
  } catch (error) {
    await handle?.close();
    await admin(`drop database if exists ${name} with (force)`);
    throw error;
  }
  const opened = handle;
  return {
    ...opened,
    databaseUrl,
    async dispose() {
      await opened.close();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

/**
 * PGlite's initdb takes seconds; loading a dump of an initialised, migrated database takes about one.
 * The dump is cached on disk (node_modules/.cache), keyed by the migrations' contents and PGlite's version.
 */
let template: Promise<Blob> | undefined;

function migratedPgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const hash = createHash('sha256');
    const root = new URL('../../', import.meta.url);
    hash.update(await readFile(new URL('node_modules/@electric-sql/pglite/package.json', root)));
    for (const file of (await readdir(migrationsFolder)).sort()) {
      hash.update(file);
      hash.update(await readFile(join(migrationsFolder, file)));
    }
    const cacheDir = fileURLToPath(new URL('node_modules/.cache/strata-test/', root));
    const cacheFile = join(cacheDir, `pglite-migrated-${hash.digest('hex').slice(0, 16)}.tar.gz`);
    try {
      return new Blob([await readFile(cacheFile)]);
    } catch {
      const pglite = await PGlite.create('memory://');
      const handle = pgliteHandle(pglite);
      try {
        await migrateToLatest(handle.db);
        const dump = await pglite.dumpDataDir('gzip');
        await mkdir(cacheDir, { recursive: true });
        const temporary = `${cacheFile}.${process.pid}.tmp`;
        await writeFile(temporary, new Uint8Array(await dump.arrayBuffer()));
        await rename(temporary, cacheFile);
        return dump;
      } finally {
        await handle.close();
      }
    }
  })();
  return template;
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function describeOn(
  kinds: readonly Backend[],
  name: string,
  suite: (backend: () => TestBackend) => void,
  options: TestDatabaseOptions,
): void {
  for (const kind of kinds) {
    describe(`${name} [${kind}]`, () => {
      let current: TestBackend | undefined;
      beforeAll(async () => {
        current = await createTestDatabase(kind, options);
      });
      afterAll(async () => {
        await current?.dispose();
        current = undefined;
      });
      suite(() => {
        if (!current) throw new Error('backend() is only available inside tests and hooks');
        return current;
      });
    });
  }
}

/** Runs `suite` once per backend (PGlite; PostgreSQL when TEST_DATABASE_URL is set), each on a fresh database. */
export function describeEachBackend(
  name: string,
  suite: (backend: () => TestBackend) => void,
  options: TestDatabaseOptions = {},
): void {
  describeOn(testBackends, name, suite, options);
}

/** Runs `suite` on PostgreSQL only; skipped when TEST_DATABASE_URL is not set. */
export function describePostgres(
  name: string,
  suite: (backend: () => TestBackend) => void,
  options: TestDatabaseOptions = {},
): void {
  if (!testDatabaseUrl) {
    if (process.env.CI) throw new Error(`${name}: TEST_DATABASE_URL is required in CI (.ci/run sets it)`);
    describe.skip(`${name} [postgres: set TEST_DATABASE_URL]`, () => {
      suite(() => {
        throw new Error('skipped');
      });
    });
    return;
  }
  describeOn(['postgres'], name, suite, options);
}

/** A unique name for streams, keys and tables within a shared suite database. */
export const uniq = (prefix = 'x'): string => `${prefix}-${randomBytes(5).toString('hex')}`;
