import { randomUUID } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as yogaMaskError } from 'graphql-yoga';
import { type ErrorCode, StrataError } from '../domain/errors.ts';
import type { Logger } from '../server/log.ts';
import { builder } from './builder.ts';

/**
 * Errors as the API shows them.
 * - Mutations return unions: `Mutation<Field>Success { data }` or one of the typed errors below,
 *   which implement `interface Error { message code }`, one per StrataError code.
 * - Queries and subscriptions report a StrataError as a GraphQL error with `extensions.code`.
 * - Anything else is unexpected: logged with an id, shown as "Unexpected error." with
 *   `extensions: { code: "INTERNAL_SERVER_ERROR", errorId }` (no message, stack or SQL).
 *
 * Each typed error class matches, by `instanceof`, every StrataError with its code: the domain
 * throws plain `StrataError`s and the errors plugin still picks the right union member.
 */
export const ErrorInterface = builder.interfaceRef<StrataError>('Error').implement({
  description: 'An expected failure of a mutation.',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code', {
      description:
        'VALIDATION, NOT_FOUND, CONFLICT, CONCURRENCY, INTEGRITY, UNAUTHORIZED, FORBIDDEN, UPSTREAM',
    }),
  }),
});

type TypedErrorClass = (new (
  message: string,
  details?: Record<string, unknown>,
) => StrataError) & {
  readonly code: ErrorCode;
};

function typedError(code: ErrorCode, name: string, description: string): TypedErrorClass {
  const Typed = class extends StrataError {
    static readonly code = code;
    constructor(message: string, details?: Record<string, unknown>) {
      super(code, message, details);
      this.name = name;
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof StrataError && value.code === code;
    }
  };
  Object.defineProperty(Typed, 'name', { value: name });
  builder.objectType(Typed, { name, description, interfaces: [ErrorInterface] });
  return Typed;
}

export const ValidationError = typedError('VALIDATION', 'ValidationError', 'The input is not acceptable.');
export const NotFoundError = typedError(
  'NOT_FOUND',
  'NotFoundError',
  'Something named in the input does not exist.',
);
export const ConflictError = typedError(
  'CONFLICT',
  'ConflictError',
  'The current state does not allow this.',
);
export const ConcurrencyError = typedError(
  'CONCURRENCY',
  'ConcurrencyError',
  'Someone else changed the same thing at the same time; retry.',
);
export const IntegrityError = typedError('INTEGRITY', 'IntegrityError', 'Content does not match its digest.');
export const UnauthorizedError = typedError(
  'UNAUTHORIZED',
  'UnauthorizedError',
  'No valid access token was presented.',
);
export const ForbiddenError = typedError(
  'FORBIDDEN',
  'ForbiddenError',
  'The access token lacks the needed scope.',
);
export const UpstreamError = typedError(
  'UPSTREAM',
  'UpstreamError',
  'A registry or other upstream service failed.',
);

/** Every typed error, in the order union members are listed. */
export const strataErrorTypes = [
  ValidationError,
  NotFoundError,
  ConflictError,
  ConcurrencyError,
  IntegrityError,
  UnauthorizedError,
  ForbiddenError,
  UpstreamError,
];

function findStrataError(error: unknown): StrataError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof StrataError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/**
 * `instanceof GraphQLError` fails when two copies of graphql are loaded (CJS and ESM builds, as
 * under vitest); the class's toStringTag is the same in both.
 */
export const isGraphQLError = (value: unknown): value is GraphQLError =>
  Object.prototype.toString.call(value) === '[object GraphQLError]';

/** True for errors GraphQL, Yoga or our limits made on purpose: their messages are meant for clients. */
function isOwnGraphQLError(error: unknown): boolean {
  if (!isGraphQLError(error)) return false;
  return error.originalError == null || isOwnGraphQLError(error.originalError);
}

/**
 * Yoga's `maskError`: StrataErrors keep their message and gain `extensions.code`; GraphQL's own
 * errors pass; everything else is logged (with the stack, server side only) and masked.
 */
export function createMaskError(log: Logger) {
  return (error: unknown, message: string): Error => {
    const strata = findStrataError(error);
    if (strata) {
      // The located error already carries the StrataError's message; it gains the code. Returning
      // the same object also tells Yoga nothing was masked (so it logs nothing).
      if (isGraphQLError(error)) {
        (error.extensions as Record<string, unknown>).code = strata.code;
        return error;
      }
      return createGraphQLError(strata.message, { extensions: { code: strata.code } });
    }
    if (isOwnGraphQLError(error)) return error as Error;
    const errorId = randomUUID();
    const original = (error as { originalError?: unknown }).originalError ?? error;
    log.error('unexpected error', {
      errorId,
      path: (error as { path?: unknown }).path,
      error:
        original instanceof Error
          ? { name: original.name, message: original.message, stack: original.stack }
          : String(original),
    });
    const masked = yogaMaskError(error, message, false) as Error & { extensions: Record<string, unknown> };
    masked.extensions.errorId = errorId;
    return masked;
  };
}
