import type { Strata } from '../../src/app/openStrata.ts';
import type { AppServices } from '../../src/app/services.ts';
import { defaultLimits } from '../../src/config.ts';
import { schema } from '../../src/graphql/schema/index.ts';
import { createStrataYoga } from '../../src/graphql/yoga.ts';
import { createMemoryLogger } from '../../src/server/log.ts';

/** The real schema over a Strata test instance, called in-process with `yoga.fetch`. */
export function strataYoga(strata: Strata) {
  const app: AppServices = { ...strata, notifications: strata.database.notifications };
  const log = createMemoryLogger();
  const yoga = createStrataYoga({
    schema,
    config: { tokens: [], graphiql: true, limits: defaultLimits },
    contextFactory: () => ({ app, server: { version: 'test', backend: strata.database.backend } }),
    log,
  });
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely.
  const gql = async (query: string, variables: Record<string, unknown> = {}): Promise<any> => {
    const response = await yoga.fetch('http://127.0.0.1:4000/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = JSON.parse(await response.text());
    if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  return { yoga, gql, log };
}
