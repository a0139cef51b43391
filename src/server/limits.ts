import { createComplexityRule } from '@pothos/plugin-complexity';
import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  type OperationTypeNode,
  parse,
  specifiedRules,
  type ValidationRule,
} from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { GraphQLLimits } from '../config.ts';
import { isGraphQLError } from '../graphql/errors.ts';

/**
 * Defences against hostile operations, all applied before anything executes (except the timeout):
 * - tokens: the parser stops after `maxTokens` lexical tokens (huge documents never build an AST);
 * - aliases: at most `maxAliases` aliased fields in a document;
 * - depth / breadth / complexity: estimated by @pothos/plugin-complexity from the operation and its
 *   variables (lists count ×10, connections × their page size, an oversized `first` is rejected);
 * - timeout: a query or mutation that runs longer than its limit is answered with a TIMEOUT error
 *   and its `ctx.signal` is aborted (subscriptions are long-lived and have no timeout).
 * The request body limit is `useRequestBodyLimit` below (HTTP 413), the WebSocket one `maxPayload`.
 * Every rejection is a GraphQL error with `extensions: { code, limit, max, actual }`.
 */
export function limitError(
  message: string,
  limit: string,
  max: number,
  actual?: number,
  code = 'VALIDATION',
): GraphQLError {
  // createGraphQLError: the same graphql copy as Yoga's, whichever build of graphql imported us.
  return createGraphQLError(message, {
    extensions: { code, limit, max, ...(actual === undefined ? {} : { actual }) },
  });
}

/** Counts aliased fields in the whole document (fragments included, each once). */
export function maxAliasesRule(maxAliases: number): ValidationRule {
  return (context) => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias) aliases++;
      },
      Document: {
        leave() {
          if (aliases > maxAliases) {
            context.reportError(
              limitError(
                `The document uses ${aliases} aliases, more than the limit of ${maxAliases} (STRATA_MAX_ALIASES).`,
                'aliases',
                maxAliases,
                aliases,
              ),
            );
          }
        },
      },
    };
  };
}

interface ParamsContext {
  params?: { variables?: Record<string, unknown> | null; operationName?: string | null };
}

/** Distinct variable sets whose complexity verdict is kept per document. */
const complexityEntriesPerDocument = 64;

/**
 * Validation in two parts, both cached so a repeated operation is not walked again:
 * - the document-only rules (GraphQL's own plus the alias limit) once per parsed document (Yoga's
 *   parse cache hands back the same DocumentNode for the same text);
 * - depth / breadth / complexity, which depend on the variables (page sizes), once per document
 *   and variable values.
 * Yoga's own validation cache stays off: it keys by rule names only, and the complexity rule's
 * verdict differs between requests whose variables differ.
 */
export function useQueryLimits(limits: GraphQLLimits): Plugin {
  const pageLimits = { defaultPageSize: limits.defaultPageSize, maxPageSize: limits.maxPageSize };
  const aliasRule = maxAliasesRule(limits.maxAliases);
  const bySchema = new WeakMap<
    GraphQLSchema,
    WeakMap<
      DocumentNode,
      { errors: readonly GraphQLError[]; complexity: Map<string, readonly GraphQLError[]> }
    >
  >();
  const complexityRule = (variables: Record<string, unknown>, operationName: string | undefined) =>
    withoutUnknownFieldReports(
      createComplexityRule({
        context: { limits: pageLimits },
        variableValues: variables,
        operationName,
        validate: ({ depth, breadth, complexity }, report) => {
          if (depth > limits.maxDepth) {
            report(
              limitError(
                `The operation is nested ${depth} levels deep, more than the limit of ${limits.maxDepth} (STRATA_MAX_DEPTH).`,
                'depth',
                limits.maxDepth,
                depth,
              ),
            );
          }
          if (breadth > limits.maxBreadth) {
            report(
              limitError(
                `The operation selects ${breadth} fields, more than the limit of ${limits.maxBreadth} (STRATA_MAX_BREADTH).`,
                'breadth',
                limits.maxBreadth,
                breadth,
              ),
            );
          }
          if (complexity > limits.maxComplexity) {
            report(
              limitError(
                `The operation's estimated cost is ${complexity}, more than the limit of ${limits.maxComplexity} (STRATA_MAX_COMPLEXITY); ask for smaller pages or fewer fields.`,
                'complexity',
                limits.maxComplexity,
                complexity,
              ),
            );
          }
        },
      }),
    );
  return {
    onParse({ setParseFn }) {
      setParseFn((source, options) => {
        try {
          return parse(source, { ...options, maxTokens: limits.maxTokens });
        } catch (error) {
          if (isGraphQLError(error) && /Document contains more th[a-z]+ \d+ tokens/.test(error.message)) {
            throw limitError(
              `The document has more than ${limits.maxTokens} tokens (STRATA_MAX_TOKENS); parsing stopped.`,
              'tokens',
              limits.maxTokens,
            );
          }
          throw error;
        }
      });
    },
    onValidate({ context, validateFn, setValidationFn }) {
      const { params } = context as ParamsContext;
      const variables = params?.variables ?? {};
      const operationName = params?.operationName ?? undefined;
      setValidationFn((schema, document, rules, typeInfo, options) => {
        let byDocument = bySchema.get(schema);
        if (!byDocument) {
          byDocument = new WeakMap();
          bySchema.set(schema, byDocument);
        }
        let cached = byDocument.get(document);
        if (!cached) {
          const errors =
            validateFn(schema, document, [...(rules ?? specifiedRules), aliasRule], typeInfo, options) ?? [];
          cached = { errors, complexity: new Map() };
          byDocument.set(document, cached);
        }
        const key = `${operationName ?? ''}\u0000${JSON.stringify(variables)}`;
        let complexity = cached.complexity.get(key);
        if (!complexity) {
          const found: readonly GraphQLError[] =
            validateFn(schema, document, [complexityRule(variables, operationName)], typeInfo, options) ?? [];
          if (cached.complexity.size >= complexityEntriesPerDocument) cached.complexity.clear();
          cached.complexity.set(key, found);
          complexity = found;
        }
        return complexity.length === 0 ? cached.errors : [...cached.errors, ...complexity];
      });
    },
  };
}

/** GraphQL's own rules already report unknown fields; the complexity rule would say it twice. */
function withoutUnknownFieldReports(rule: ValidationRule): ValidationRule {
  return (context) =>
    rule(
      Object.create(context, {
        reportError: {
          value: (error: GraphQLError) => {
            if (!error.message.startsWith('Unknown field selected')) context.reportError(error);
          },
        },
      }),
    );
}

export function useOperationTimeout(
  limits: Pick<GraphQLLimits, 'queryTimeoutMs' | 'mutationTimeoutMs'>,
): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn, extendContext }) {
      const operation: OperationTypeNode | undefined = getOperationAST(
        args.document,
        args.operationName,
      )?.operation;
      if (operation !== 'query' && operation !== 'mutation') return;
      const ms = operation === 'mutation' ? limits.mutationTimeoutMs : limits.queryTimeoutMs;
      const variable = operation === 'mutation' ? 'STRATA_MUTATION_TIMEOUT_MS' : 'STRATA_QUERY_TIMEOUT_MS';
      const controller = new AbortController();
      extendContext({ signal: controller.signal } as never);
      setExecuteFn(async (executionArgs) => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<ExecutionResult>((resolve) => {
          timer = setTimeout(() => {
            const error = limitError(
              `The ${operation} did not finish within ${ms} ms (${variable}).`,
              'timeout',
              ms,
              undefined,
              'TIMEOUT',
            );
            controller.abort(error);
            resolve({ data: null, errors: [error] });
          }, ms);
        });
        // The request's own signal (client gone) aborts the operation too. Forwarded by a listener:
        // AbortSignal.any costs far more per request.
        const outer = (executionArgs as { signal?: AbortSignal }).signal;
        const forward = () => controller.abort(outer?.reason);
        if (outer?.aborted) forward();
        else outer?.addEventListener('abort', forward, { once: true });
        try {
          return await Promise.race([
            executeFn({ ...executionArgs, signal: controller.signal } as typeof executionArgs),
            timedOut,
          ]);
        } finally {
          clearTimeout(timer);
          outer?.removeEventListener('abort', forward);
        }
      });
    },
  };
}

const tooLarge = () =>
  createGraphQLError('Request body too large', {
    extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' },
  });

/**
 * The request body limit (Yoga's `maxRequestBodySize`, which must be off), without its cost on
 * every request: a body with a valid Content-Length within the limit cannot grow past it (the
 * HTTP parser frames it by that length), so only bodies without one (chunked, or a stream given
 * to `yoga.fetch`) are counted while they stream.
 */
export function useRequestBodyLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!/^\d+$/.test(declared)) {
          throw createGraphQLError('Content-Length header is invalid.', {
            extensions: { http: { status: 400 }, code: 'BAD_REQUEST' },
          });
        }
        if (Number(declared) > maxBytes) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((req) => {
        let bytes = 0;
        // A native stream (yoga.fetch) pipes through a native TransformStream, Yoga's ponyfill
        // stream through the ponyfill's (as Yoga's own limit does).
        const Transform =
          req.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
        const body = req.body!.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytes += chunk.byteLength;
              if (bytes > maxBytes) controller.error(tooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(
          new fetchAPI.Request(req.url, {
            method: req.method,
            headers: req.headers,
            signal: req.signal,
            body,
            duplex: 'half',
          } as RequestInit),
        );
      });
    },
  };
}
