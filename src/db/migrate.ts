import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
} from 'kysely';

/** The repository's `migrations/` folder. */
export const migrationsFolder = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Migration files are `YYYYMMDD_NNNN_name.ts` (or `.js`); they run in file-name order. */
const migrationFile = /^(\d{8}_\d{4}_[A-Za-z0-9_-]+)\.(ts|js|mjs)$/;

/** Loads every migration file of a folder by dynamic import (works under tsx, vitest and node). */
export class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string = migrationsFolder) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    const files = (await readdir(this.folder))
      .filter((f) => migrationFile.test(f) && !f.endsWith('.d.ts'))
      .sort();
    for (const file of files) {
      const name = migrationFile.exec(file)![1]!;
      const module = (await import(pathToFileURL(`${this.folder}/${file}`).href)) as Partial<Migration>;
      if (typeof module.up !== 'function') throw new Error(`migration ${file} exports no up()`);
      migrations[name] = { up: module.up, down: module.down };
    }
    return migrations;
  }
}

/** Runs every pending migration of `migrations/`; throws the first failure (nothing after it runs). */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before any table type exists, as Kysely's Migrator expects
export async function migrateToLatest(db: Kysely<any>, folder?: string): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: new FolderMigrationProvider(folder) });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const error = result.error instanceof Error ? result.error : new Error(String(result.error));
    error.message = `migration ${failed?.migrationName ?? '?'} failed: ${error.message}`;
    throw error;
  }
  return result;
}
