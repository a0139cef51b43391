import { PothosValidationError } from '@pothos/core';
import type { GraphQLContext, PageLimits } from './context.ts';

/**
 * Connection helpers. Types come from @pothos/plugin-relay: declare a connection type once per node
 * type with the contract's names, then use it in fields:
 *
 *   export const ImageConnection = builder.connectionObject({ type: Image, name: 'ImageConnection' });
 *   // → ImageConnection { edges: [ImageEdge!]!, pageInfo: PageInfo! }, ImageEdge { cursor: String!, node: Image! }
 *   t.connection({ type: Image, args: {...}, resolve: (_, args, ctx) => ... }, ImageConnection)
 *
 * Resolvers call `pageSize(args, ctx)` (or `resolvePage`) so that `first` is bounded; the same
 * check runs before execution, in the complexity estimate, so an oversized page never executes.
 */

/** A rejected page request; a GraphQL error with extensions.code VALIDATION. */
export class PageSizeError extends PothosValidationError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code: 'VALIDATION', ...extensions } });
    this.name = 'PageSizeError';
  }
}

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** The number of items to return: `first` (or `last`), else the default; rejects sizes over the max. */
export function pageSize(args: PageArgs, limits: PageLimits): number {
  for (const name of ['first', 'last'] as const) {
    const value = args[name];
    if (value == null) continue;
    if (!Number.isInteger(value) || value < 0) {
      throw new PageSizeError(`Argument "${name}" must be a non-negative integer, got ${value}.`, {
        argument: name,
      });
    }
    if (value > limits.maxPageSize) {
      throw new PageSizeError(
        `Argument "${name}" is ${value}, more than the maximum page size ${limits.maxPageSize} (STRATA_MAX_PAGE_SIZE); page with "after".`,
        { argument: name, limit: 'pageSize', max: limits.maxPageSize, actual: value },
      );
    }
    return value;
  }
  return limits.defaultPageSize;
}

/** Complexity of a connection field: its selections count once per item of the page. */
export const connectionComplexity = (args: PageArgs, ctx: Pick<GraphQLContext, 'limits'>) => ({
  field: 1,
  multiplier: pageSize(args, ctx.limits),
});

const cursorPrefix = 'strata:';

/** Cursors are opaque to clients: base64url of `strata:<kind>:<key>`. */
export function encodeCursor(kind: string, key: string | number): string {
  return Buffer.from(`${cursorPrefix}${kind}:${key}`, 'utf8').toString('base64url');
}

/** The key of a cursor made by `encodeCursor(kind, …)`; a PageSizeError-style VALIDATION error otherwise. */
export function decodeCursor(kind: string, cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${cursorPrefix}${kind}:`;
  if (!text.startsWith(prefix) || Buffer.from(text, 'utf8').toString('base64url') !== cursor) {
    throw new PageSizeError(`Invalid cursor "${cursor}": use a cursor this connection returned.`, {
      argument: 'after',
    });
  }
  return text.slice(prefix.length);
}

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

/**
 * Forward pagination over an ordered source: `fetch(afterKey, limit)` returns up to `limit` items
 * after the key (from the start when null); one extra item is fetched to know `hasNextPage`.
 */
export async function resolvePage<T>(
  args: PageArgs,
  ctx: Pick<GraphQLContext, 'limits'>,
  options: {
    kind: string;
    fetch: (after: string | null, limit: number) => Promise<readonly T[]> | readonly T[];
    key: (item: T) => string | number;
  },
): Promise<Page<T>> {
  if (args.last != null || args.before != null) {
    throw new PageSizeError('This connection pages forward only: use "first" and "after".');
  }
  const size = pageSize(args, ctx.limits);
  const after = args.after == null ? null : decodeCursor(options.kind, args.after);
  const items = size === 0 ? [] : await options.fetch(after, size + 1);
  const page = items.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(options.kind, options.key(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: items.length > size,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
