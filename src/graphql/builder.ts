import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { type AuthFailure, AuthScopeFailureType } from '@pothos/plugin-scope-auth';
import type { GraphQLResolveInfo } from 'graphql';
import type { Digest } from '../domain/digest.ts';
import { StrataError } from '../domain/errors.ts';
import { connectionComplexity } from './connections.ts';
import type { GraphQLContext } from './context.ts';

/**
 * The Pothos builder and its plugins; it defines no types (those live in ./schema/, one file per type).
 * Plugin order matters: errors wraps everything inside it (so auth failures on mutations become
 * UnauthorizedError/ForbiddenError union members), relay parses global ids before scope-auth,
 * dataloader and complexity come last.
 * Complexity limits are not set here: src/server/limits.ts enforces them before execution, from config.
 */
export interface StrataSchemaTypes {
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  AuthScopes: { read: boolean; write: boolean; admin: boolean };
  Scalars: {
    Long: { Input: number; Output: number | bigint };
    Position: { Input: number; Output: number | bigint | string };
    DateTime: { Input: Date; Output: Date | string };
    Digest: { Input: Digest; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
}

function missingScopes(failure: AuthFailure): string[] {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return [failure.scope];
    case AuthScopeFailureType.AnyAuthScopes:
    case AuthScopeFailureType.AllAuthScopes:
      return [...new Set(failure.failures.flatMap(missingScopes))];
    default:
      return [];
  }
}

/** The error for a field the request may not use: UNAUTHORIZED without a valid token, else FORBIDDEN. */
export function authError(ctx: GraphQLContext, info: GraphQLResolveInfo, failure: AuthFailure): StrataError {
  const { auth } = ctx;
  if (auth.required && !auth.authenticated) {
    const why =
      auth.failure === 'malformed'
        ? 'the Authorization header must be "Bearer <token>"'
        : auth.failure === 'invalid'
          ? 'the access token is not valid'
          : 'this server requires an access token (Authorization: Bearer <token>)';
    return new StrataError('UNAUTHORIZED', `Unauthorized: ${why}.`);
  }
  const scopes = missingScopes(failure);
  const needs = scopes.length > 0 ? `the ${scopes.map((s) => `"${s}"`).join(' or ')} scope` : 'a scope';
  const has = auth.scopes.size > 0 ? [...auth.scopes].join(', ') : 'none';
  return new StrataError(
    'FORBIDDEN',
    `Forbidden: ${info.parentType.name}.${info.fieldName} needs ${needs}; token "${auth.tokenName}" has ${has}.`,
  );
}

export const builder = new SchemaBuilder<StrataSchemaTypes>({
  plugins: [ErrorsPlugin, RelayPlugin, ScopeAuthPlugin, DataloaderPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  errors: { defaultTypes: [] },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesQueryOptions: false,
    edgesFieldOptions: { complexity: { field: 0, multiplier: 1 } },
    nodeFieldOptions: { nullable: false },
    defaultConnectionFieldOptions: { complexity: connectionComplexity },
  },
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      read: ctx.auth.scopes.has('read'),
      write: ctx.auth.scopes.has('write'),
      admin: ctx.auth.scopes.has('admin'),
    }),
    unauthorizedError: (_parent, ctx, info, result) => authError(ctx, info, result.failure),
  },
  complexity: { defaultComplexity: 1, defaultListMultiplier: 10 },
});
