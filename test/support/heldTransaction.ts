import type { Db, Trx } from '../../src/db/index.ts';

/**
 * Runs `work` in a transaction of `db` and keeps that transaction open until `release()`, as
 * another server's slow commit would be: resolves once `work` is done inside it. `committed`
 * settles when the transaction has ended.
 */
export async function holdOpenTransaction(
  db: Db,
  work: (trx: Trx) => Promise<void>,
): Promise<{ release: () => void; committed: Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let opened!: () => void;
  const open = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const committed = db.transaction().execute(async (trx) => {
    await work(trx);
    opened();
    await released;
  });
  await Promise.race([open, committed]);
  return { release, committed };
}
