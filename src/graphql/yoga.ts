import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type GraphQLSchema, getOperationAST, Kind } from 'graphql';
import { createGraphQLError, createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import type { StrataConfig } from '../config.ts';
import { Authenticator, type AuthInfo } from '../server/auth.ts';
import { useOperationTimeout, useQueryLimits, useRequestBodyLimit } from '../server/limits.ts';
import { createLogger, type Logger } from '../server/log.ts';
import { openServerRequestProblem } from '../server/origin.ts';
import { type AppServices, type GraphQLContext, RequestLoaders, type ServerInfo } from './context.ts';
import { createMaskError } from './errors.ts';
import { defaultQuery } from './playground.ts';
import { ReadScope } from './reads.ts';

export const graphqlPath = '/graphql';

/** The context's signal until useOperationTimeout sets the operation's own (subscriptions keep it). */
const neverAborted = new AbortController().signal;

/** What the caller supplies per request: the services and what serverInfo reports. */
export type ContextFactory = (init: {
  request: Request | undefined;
  auth: AuthInfo;
}) => Promise<{ app: AppServices; server: ServerInfo }> | { app: AppServices; server: ServerInfo };

export interface StrataYogaOptions {
  schema: GraphQLSchema;
  contextFactory: ContextFactory;
  config: Pick<StrataConfig, 'tokens' | 'graphiql' | 'limits'>;
  log?: Logger;
}

/** The initial context: an HTTP request, or a graphql-ws subscribe message (see src/server/websocket.ts). */
type InitialContext = Partial<YogaInitialContext> & {
  connectionParams?: Record<string, unknown>;
  req?: { headers: Record<string, string | string[] | undefined> };
};

function authorizationOf(initial: InitialContext): string | undefined {
  const fromParams = initial.connectionParams?.authorization ?? initial.connectionParams?.Authorization;
  if (typeof fromParams === 'string') return fromParams;
  const header = initial.request?.headers.get('authorization') ?? initial.req?.headers.authorization;
  return Array.isArray(header) ? header[0] : (header ?? undefined);
}

const jsonError = (status: number, message: string, code: string) =>
  new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });

/** Without tokens: only loopback Host names and loopback origins (see src/server/origin.ts). */
function useOpenServerGuard(authenticator: Authenticator): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (authenticator.required) return;
      const problem = openServerRequestProblem(url.host, request.headers.get('origin'));
      if (problem) endResponse(jsonError(403, problem, 'FORBIDDEN'));
    },
  };
}

/** Once tokens are configured, introspection needs one too (any scope). */
function useIntrospectionAuth(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const { auth } = args.contextValue as unknown as GraphQLContext;
      if (!auth.required || auth.authenticated) return;
      const operation = getOperationAST(args.document, args.operationName);
      const introspects = operation?.selectionSet.selections.some(
        (s) => s.kind === Kind.FIELD && (s.name.value === '__schema' || s.name.value === '__type'),
      );
      if (introspects) {
        setResultAndStopExecution({
          errors: [
            createGraphQLError(
              'Unauthorized: introspection requires an access token (Authorization: Bearer <token>).',
              {
                extensions: { code: 'UNAUTHORIZED' },
              },
            ),
          ],
        });
      }
    },
  };
}

const yogaLogger = (log: Logger) => ({
  debug: (...args: unknown[]) => log.debug(args.map(String).join(' ')),
  info: (...args: unknown[]) => log.info(args.map(String).join(' ')),
  warn: (...args: unknown[]) => log.warn(args.map(String).join(' ')),
  // Yoga logs an error only after our maskError has seen (and, when unexpected, logged) it.
  error: (...args: unknown[]) => log.debug(args.map(String).join(' ')),
});

/**
 * The GraphQL HTTP handler: POST/GET /graphql (JSON), SSE subscriptions, GraphiQL for browsers.
 * Runs in-process with `yoga.fetch(url, init)`; `startServer` puts it on a Node http server and
 * adds WebSockets. Errors are masked, limits enforced, auth checked per field (scope-auth).
 */
export function createStrataYoga({
  schema,
  contextFactory,
  config,
  log = createLogger('info'),
}: StrataYogaOptions) {
  const authenticator = new Authenticator(config.tokens);
  const { limits } = config;
  const pageLimits = { defaultPageSize: limits.defaultPageSize, maxPageSize: limits.maxPageSize };
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: graphqlPath,
    landingPage: false,
    cors: false,
    multipart: false,
    maxRequestBodySize: false, // useRequestBodyLimit (below) enforces limits.maxBodyBytes, cheaper
    graphiql: config.graphiql
      ? {
          title: 'Strata',
          defaultQuery,
          shouldPersistHeaders: false,
          ...(authenticator.required ? { headers: JSON.stringify({ Authorization: 'Bearer <token>' }) } : {}),
        }
      : false,
    renderGraphiQL,
    maskedErrors: { maskError: createMaskError(log), errorMessage: 'Unexpected error.', isDev: false },
    // Yoga's validation cache keys by document only, but the limits depend on variables (page
    // sizes): useQueryLimits caches validation itself, per document and per variables.
    parserAndValidationCache: { validationCache: false },
    logging: yogaLogger(log),
    plugins: [
      useOpenServerGuard(authenticator),
      useRequestBodyLimit(limits.maxBodyBytes),
      useQueryLimits(limits),
      useIntrospectionAuth(),
      useOperationTimeout(limits),
    ],
    context: async (initial): Promise<GraphQLContext> => {
      const auth = authenticator.authenticate(authorizationOf(initial as InitialContext));
      const base = await contextFactory({ request: (initial as InitialContext).request, auth });
      return {
        ...base,
        auth,
        loaders: new RequestLoaders(),
        reads: new ReadScope(base.app.db),
        limits: pageLimits,
        log,
        signal: neverAborted,
      };
    },
  });
}

export type StrataYoga = ReturnType<typeof createStrataYoga>;
export { Authenticator };
