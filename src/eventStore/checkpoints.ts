import type { Db } from '../db/database.ts';

/** The stored checkpoint of a projection (0 when it has none). */
export async function readCheckpoint(db: Db, name: string): Promise<number> {
  const row = await db
    .selectFrom('projection_checkpoints')
    .select('position')
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(row?.position ?? 0);
}

/** Creates the checkpoint row at 0 if it does not exist. */
export async function ensureCheckpoint(db: Db, name: string): Promise<void> {
  await db
    .insertInto('projection_checkpoints')
    .values({ name, position: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

/** Locks the checkpoint row for the rest of the transaction and returns its position. */
export async function lockCheckpoint(trx: Db, name: string): Promise<number> {
  const row = await trx
    .selectFrom('projection_checkpoints')
    .select('position')
    .where('name', '=', name)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return Number(row.position);
}

/** Stores a checkpoint; call it in the transaction that applied the events up to `position`. */
export async function storeCheckpoint(trx: Db, name: string, position: number): Promise<void> {
  await trx
    .updateTable('projection_checkpoints')
    .set({ position, updated_at: new Date() })
    .where('name', '=', name)
    .execute();
}
