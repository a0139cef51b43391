import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { bindStores, type Strata } from '../../src/app/openStrata.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';

/** The PostgreSQL server benchmarks use (loopback only). */
export const benchServerUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Strata on a throwaway database: PGlite in memory, or a fresh PostgreSQL database dropped on close. */
export async function benchStrata(kind: 'pglite' | 'postgres'): Promise<Strata> {
  if (kind === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    return {
      database,
      db: database.db,
      ...bindStores(database),
      now: () => new Date().toISOString(),
      close: () => database.close(),
    };
  }
  const name = `strata_bench_${randomBytes(5).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(benchServerUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString() });
  await migrateToLatest(database.db);
  return {
    database,
    db: database.db,
    ...bindStores(database),
    now: () => new Date().toISOString(),
    async close() {
      await database.close();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

async function admin(statement: string) {
  const client = new pg.Client({ connectionString: benchServerUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
