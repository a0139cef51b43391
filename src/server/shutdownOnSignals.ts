import type { Logger } from './log.ts';
import type { RunningServer } from './startServer.ts';

/**
 * SIGINT/SIGTERM → graceful `server.close()`, then `onClosed` (e.g. close the database) and exit.
 * A second signal exits at once.
 */
export function shutdownOnSignals(
  server: RunningServer,
  log: Logger,
  onClosed: () => Promise<void> = async () => {},
) {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn('second signal: exiting now', { signal });
      process.exit(130);
    }
    stopping = true;
    log.info('signal received: shutting down', { signal });
    server
      .close()
      .then(onClosed)
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error('shutdown failed', { error: String(error) });
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return () => {
    process.off('SIGINT', handle);
    process.off('SIGTERM', handle);
  };
}
