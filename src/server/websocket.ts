import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { graphqlPath, type StrataYoga } from '../graphql/yoga.ts';
import type { Authenticator } from './auth.ts';
import type { Logger } from './log.ts';
import { openServerRequestProblem } from './origin.ts';

/**
 * GraphQL over WebSocket (graphql-ws protocol, `graphql-transport-ws`) on the HTTP server's
 * /graphql. Operations run through Yoga's envelop (same limits, masking, auth, context).
 * With tokens configured the connection must authenticate in connection_init:
 * `connectionParams: { authorization: 'Bearer <token>' }`; otherwise it closes with 4401.
 */
export function attachWebSockets(options: {
  server: Server;
  yoga: StrataYoga;
  authenticator: Authenticator;
  maxPayload: number;
  log: Logger;
}) {
  const { server, yoga, authenticator, log } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });

  const refuse = (socket: Duplex, status: string, message: string) => {
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${message}\n`);
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== graphqlPath)
      return refuse(socket, '404 Not Found', `WebSockets are served at ${graphqlPath}`);
    if (!authenticator.required) {
      const problem = openServerRequestProblem(request.headers.host, request.headers.origin);
      if (problem) return refuse(socket, '403 Forbidden', problem);
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);

  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onConnect: (ctx) => {
        if (!authenticator.required) return true;
        const fromParams = ctx.connectionParams?.authorization;
        const header = ctx.extra.request.headers.authorization;
        const auth = authenticator.authenticate(typeof fromParams === 'string' ? fromParams : header);
        if (auth.authenticated) return true;
        ctx.extra.socket.close(
          4401,
          'Unauthorized: send connectionParams {"authorization": "Bearer <token>"}',
        );
        return false;
      },
      onSubscribe: async (ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let document: ReturnType<typeof enveloped.parse>;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return sameCopy([error as GraphQLError]);
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return sameCopy(errors);
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
      onError: (_ctx, id, _payload, errors) => {
        log.debug('websocket operation failed', { id, errors: errors.map((e) => e.message) });
      },
    },
    wss,
  );

  return {
    wss,
    /** Closes every WebSocket (1001 Going Away) and stops accepting new ones. */
    async close() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** graphql-ws checks `instanceof GraphQLError` with its own copy of graphql: rebuild the errors with it. */
const sameCopy = (errors: readonly GraphQLError[]) =>
  errors.map((e) =>
    createGraphQLError(e.message, {
      nodes: e.nodes,
      source: e.source,
      positions: e.positions,
      path: e.path,
      extensions: e.extensions,
    }),
  );

interface Enveloped {
  execute: (args: ExecutionArgs) => never;
  subscribe: (args: ExecutionArgs) => never;
}
