import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/openDatabase.ts';
import { describeEachBackend } from '../support/backends.ts';

const waitUntil = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describeEachBackend('database backends', (backend) => {
  it('migrations are applied once; a second run is a no-op', async () => {
    const again = await migrateToLatest(backend().db);
    expect(again.results).toEqual([]);
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      backend().db,
    );
    expect(rows.map((r) => r.name)).toContain('20261128_0001_event_store');
    expect(rows.map((r) => r.name)).toContain('20261128_0002_content_store');
  });

  it('reads int8 as a JS number', async () => {
    const { rows } = await sql<{ big: number; small: number }>`
      select 9007199254740991::int8 as big, 42::int8 as small`.execute(backend().db);
    expect(rows[0]).toEqual({ big: Number.MAX_SAFE_INTEGER, small: 42 });
  });

  it('notifications: delivered at commit, never on rollback, to every handler until unlisten', async () => {
    const { db, notifications } = backend();
    const a: string[] = [];
    const b: string[] = [];
    const stopA = await notifications.listen('test_channel', (p) => a.push(p));
    const stopB = await notifications.listen('test_channel', (p) => b.push(p));
    await db.transaction().execute(async (trx) => {
      await sql`select pg_notify('test_channel', 'one')`.execute(trx);
    });
    await waitUntil(() => a.length === 1 && b.length === 1);
    await db
      .transaction()
      .execute(async (trx) => {
        await sql`select pg_notify('test_channel', 'rolled back')`.execute(trx);
        throw new Error('rollback');
      })
      .catch(() => {});
    await stopB();
    await sql`select pg_notify('test_channel', 'two')`.execute(db);
    await waitUntil(() => a.length === 2);
    expect(a).toEqual(['one', 'two']);
    expect(b).toEqual(['one']);
    await stopA();
    await sql`select pg_notify('test_channel', 'three')`.execute(db);
    await new Promise((r) => setTimeout(r, 50));
    expect(a).toEqual(['one', 'two']);
    await expect(notifications.listen('Bad Channel;', () => {})).rejects.toThrow('invalid');
  });
});

describe('openDatabase', () => {
  it('opens PGlite in a directory (creating its parents) and keeps data across reopen', async () => {
    const base = await mkdtemp(join(tmpdir(), 'strata-db-'));
    const dataDir = join(base, 'nested', 'deeper', 'pgdata');
    try {
      const first = await openDatabase({ dataDir });
      expect(first.backend).toBe('pglite');
      await migrateToLatest(first.db);
      await sql`insert into projection_checkpoints (name, position) values ('kept', 7)`.execute(first.db);
      await first.close();
      const second = await openDatabase({ dataDir });
      await migrateToLatest(second.db);
      const { rows } = await sql<{
        position: number;
      }>`select position from projection_checkpoints where name = 'kept'`.execute(second.db);
      expect(rows[0]!.position).toBe(7);
      await second.close();
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('needs a databaseUrl or a dataDir', async () => {
    await expect(openDatabase({})).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});
