import { bindStores, type Strata } from '../../src/app/openStrata.ts';
import { describeEachBackend } from './backends.ts';

/**
 * Runs a suite against Strata on every backend (PGlite; PostgreSQL with TEST_DATABASE_URL), each
 * on a fresh migrated database, with a deterministic-enough clock (real time, strictly increasing).
 */
export function eachBackend(name: string, suite: (getStrata: () => Promise<Strata>) => void) {
  describeEachBackend(name, (getDatabase) => {
    let last = 0;
    const now = () => {
      last = Math.max(Date.now(), last + 1);
      return new Date(last).toISOString();
    };
    suite(async () => {
      const database = getDatabase();
      return { database, db: database.db, ...bindStores(database), now, close: async () => {} };
    });
  });
}

/** Strata over an already open `database`, on the real clock (`close` ends what the caller opened for it). */
export const strataOn = (
  database: Strata['database'],
  close: () => Promise<void> = async () => {},
): Strata => ({
  database,
  db: database.db,
  ...bindStores(database),
  now: () => new Date().toISOString(),
  close,
});
