import { openStrata } from '../app/openStrata.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../server/log.ts';
import { shutdownOnSignals } from '../server/shutdownOnSignals.ts';
import { startServer } from '../server/startServer.ts';

/** `strata serve`: opens the database (PostgreSQL with DATABASE_URL, else embedded PGlite), migrates, serves. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const strata = await openStrata({
    ...(config.database.url
      ? { databaseUrl: config.database.url, poolSize: config.database.poolSize }
      : { dataDir: config.database.dataDir }),
  });
  const server = await startServer(config, {
    app: { ...strata, notifications: strata.database.notifications },
    backend: strata.database.backend,
    log,
  });
  const where = config.database.url ? 'PostgreSQL' : `embedded PGlite in ${config.database.dataDir}`;
  log.info(
    `Strata listening on ${server.url} (${where})${config.graphiql ? '; open it in a browser for the playground' : ''}`,
  );
  shutdownOnSignals(server, log, () => strata.close());
}

/** `strata migrate`: applies pending migrations and exits. */
export async function migrate(): Promise<void> {
  const config = loadConfig();
  const strata = await openStrata(
    config.database.url ? { databaseUrl: config.database.url } : { dataDir: config.database.dataDir },
  );
  await strata.close();
  console.log(`migrated ${config.database.url ? 'PostgreSQL' : config.database.dataDir}`);
}
