import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import type { AppServices } from '../app/services.ts';
import type { StrataConfig } from '../config.ts';
import { StrataError } from '../domain/errors.ts';
import { createStrataYoga, graphqlPath, type StrataYoga } from '../graphql/yoga.ts';
import { isReplayPath, serveReplay } from '../web/serveReplay.ts';
import { Authenticator, assertSafeBinding } from './auth.ts';
import { strataVersion } from './info.ts';
import { createLogger, type Logger } from './log.ts';
import { attachWebSockets } from './websocket.ts';

export interface ServerDeps {
  /** The application services resolvers call (`ctx.app`). */
  app: AppServices;
  /** The event store engine, reported by `serverInfo.backend`: `postgres` or `pglite`. */
  backend: string;
  /** Defaults to Strata's schema (src/graphql/schema/index.ts). */
  schema?: GraphQLSchema;
  log?: Logger;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:4000/graphql` (the port actually bound when PORT=0). */
  readonly url: string;
  readonly address: AddressInfo;
  readonly yoga: StrataYoga;
  /**
   * Graceful shutdown: stop accepting, close WebSockets (1001) and SSE streams, let other
   * requests finish for up to `shutdownGraceMs`, then cut what is left. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Serves the GraphQL API over HTTP (queries, mutations, SSE subscriptions, GraphiQL) and
 * WebSocket (graphql-ws) at /graphql, plus GET /health. Refuses (InsecureBindError) to listen
 * beyond loopback without access tokens.
 */
export async function startServer(config: StrataConfig, deps: ServerDeps): Promise<RunningServer> {
  assertSafeBinding(config.host, config.tokens);
  const log = deps.log ?? createLogger(config.logLevel);
  const schema = deps.schema ?? (await import('../graphql/schema/index.ts')).schema;
  const server = { version: strataVersion, backend: deps.backend };
  const yoga = createStrataYoga({
    schema,
    config,
    log,
    contextFactory: () => ({ app: deps.app, server }),
  });

  const inflight = new Map<ServerResponse, { streaming: boolean }>();
  let closing: Promise<void> | undefined;

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (closing) {
      res.writeHead(503, { 'content-type': 'text/plain', connection: 'close' }).end('Server shutting down\n');
      return;
    }
    inflight.set(res, { streaming: /text\/event-stream/.test(req.headers.accept ?? '') });
    res.on('close', () => inflight.delete(res));
    // The replay page (src/web, docs/replay.md): static files at /replay; everything else is Yoga's.
    if (isReplayPath(req.url)) return void serveReplay(req, res);
    yoga.requestListener(req, res);
  });
  const sockets = attachWebSockets({
    server: http,
    yoga,
    authenticator: new Authenticator(config.tokens),
    maxPayload: config.limits.maxBodyBytes,
    log,
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      http.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL'
          ? new StrataError(
              'CONFLICT',
              `Cannot listen on ${config.host}:${config.port}: ${error.code} (${error.message})`,
            )
          : error,
      );
    };
    const onListening = () => {
      http.off('error', onError);
      resolve();
    };
    http.once('error', onError);
    http.once('listening', onListening);
    http.listen(config.port, config.host);
  });

  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}${graphqlPath}`;
  log.info('listening', { url, auth: config.tokens.length > 0 ? 'tokens' : 'open (loopback)' });

  async function shutdown(): Promise<void> {
    log.info('shutting down', { inflight: inflight.size });
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    await sockets.close();
    for (const [res, { streaming }] of inflight) if (streaming) res.end();
    http.closeIdleConnections();
    const deadline = Date.now() + config.shutdownGraceMs;
    while (inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    http.closeAllConnections();
    await closed;
    await yoga.dispose();
    log.info('stopped');
  }

  return {
    url,
    address,
    yoga,
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}
