// Builds a Yoga over the platform test schema and sends operations with `yoga.fetch` (in-process).
import type { AppServices } from '../../src/app/services.ts';
import { defaultLimits, type GraphQLLimits } from '../../src/config.ts';
import { createStrataYoga } from '../../src/graphql/yoga.ts';
import { type AccessToken, parseTokenList } from '../../src/server/auth.ts';
import { createMemoryLogger } from '../../src/server/log.ts';
import { testSchema } from './platformTestSchema.ts';

export const secrets = {
  reader: 'reader-secret-0123456789abcdef',
  writer: 'writer-secret-0123456789abcdef',
  writeOnly: 'writeonly-secret-0123456789abc',
  admin: 'admin-secret-0123456789abcdefgh',
};

export const testTokens = (): AccessToken[] =>
  parseTokenList(
    `reader:${secrets.reader}:read,writer:${secrets.writer}:read|write,` +
      `pusher:${secrets.writeOnly}:write,root:${secrets.admin}:admin`,
  );

export function makeYoga(
  options: { tokens?: AccessToken[]; limits?: Partial<GraphQLLimits>; graphiql?: boolean } = {},
) {
  const log = createMemoryLogger();
  const yoga = createStrataYoga({
    schema: testSchema,
    config: {
      tokens: options.tokens ?? [],
      graphiql: options.graphiql ?? true,
      limits: { ...defaultLimits, ...options.limits },
    },
    // The test schema never calls the application services.
    contextFactory: () => ({ app: {} as AppServices, server: { version: '9.9.9-test', backend: 'pglite' } }),
    log,
  });
  return { yoga, log };
}

export interface GqlResponse {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely.
  body: any;
}

export async function gql(
  yoga: ReturnType<typeof makeYoga>['yoga'],
  query: string,
  options: {
    variables?: Record<string, unknown>;
    token?: string;
    headers?: Record<string, string>;
    url?: string;
  } = {},
): Promise<GqlResponse> {
  const response = await yoga.fetch(options.url ?? 'http://127.0.0.1:4000/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}
