import { readFileSync } from 'node:fs';
import { validationError } from './domain/errors.ts';
import { type AccessToken, checkDistinctTokens, parseTokenFile, parseTokenList } from './server/auth.ts';
import { type LogLevel, logLevels } from './server/log.ts';

/**
 * Every environment variable Strata reads, with its default. `loadConfig()` validates them all
 * at once and fails with a message naming the variable. docs/graphql.md has the same table.
 *
 * | Variable                     | Default         | Meaning                                                         |
 * |------------------------------|-----------------|-----------------------------------------------------------------|
 * | HOST                         | 127.0.0.1       | Address to listen on; non-loopback requires access tokens       |
 * | PORT                         | 4000            | TCP port (0: any free port)                                     |
 * | STRATA_TOKENS                | (none)          | `name:secret:scope1|scope2`, comma-separated                    |
 * | STRATA_TOKENS_FILE           | (none)          | JSON file `{"tokens":[{"name","scopes","sha256"|"secret"}]}`    |
 * | STRATA_GRAPHIQL              | true            | Serve the GraphiQL playground on GET /graphql                   |
 * | STRATA_MAX_BODY_BYTES        | 4194304 (4 MiB) | Largest HTTP request body / WebSocket message                   |
 * | STRATA_QUERY_TIMEOUT_MS      | 30000           | Time limit of one query                                         |
 * | STRATA_MUTATION_TIMEOUT_MS   | 300000          | Time limit of one mutation (pulls take a while)                 |
 * | STRATA_MAX_DEPTH             | 15              | Deepest selection nesting                                       |
 * | STRATA_MAX_BREADTH           | 300             | Total fields selected in one operation                          |
 * | STRATA_MAX_ALIASES           | 100             | Aliased fields in one document                                  |
 * | STRATA_MAX_COMPLEXITY        | 10000           | Estimated cost (lists ×10, connections × page size)             |
 * | STRATA_MAX_TOKENS            | 10000           | Lexical tokens in one document (checked while parsing)          |
 * | STRATA_DEFAULT_PAGE_SIZE     | 50              | Page size of a connection when `first` is omitted               |
 * | STRATA_MAX_PAGE_SIZE         | 1000            | Largest `first` a connection accepts                            |
 * | STRATA_SHUTDOWN_GRACE_MS     | 10000           | On shutdown, how long in-flight requests may finish             |
 * | STRATA_LOG_LEVEL             | info            | debug, info, warn, error, silent                                |
 * | DATABASE_URL                 | (none)          | postgres://… ; without it, embedded PGlite in STRATA_DATA_DIR   |
 * | STRATA_DATA_DIR              | .strata/data    | PGlite directory (`memory://` for a throwaway database)         |
 * | STRATA_DB_POOL_SIZE          | 10              | PostgreSQL connection pool size                                 |
 */
export interface GraphQLLimits {
  maxBodyBytes: number;
  queryTimeoutMs: number;
  mutationTimeoutMs: number;
  maxDepth: number;
  maxBreadth: number;
  maxAliases: number;
  maxComplexity: number;
  maxTokens: number;
  defaultPageSize: number;
  maxPageSize: number;
}

export interface StrataConfig {
  host: string;
  port: number;
  /** Hashed access tokens; empty means open (loopback only). */
  tokens: readonly AccessToken[];
  graphiql: boolean;
  limits: GraphQLLimits;
  shutdownGraceMs: number;
  logLevel: LogLevel;
  database: { url: string | undefined; dataDir: string; poolSize: number };
}

export const defaultLimits: GraphQLLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  queryTimeoutMs: 30_000,
  mutationTimeoutMs: 300_000,
  maxDepth: 15,
  maxBreadth: 300,
  maxAliases: 100,
  maxComplexity: 10_000,
  maxTokens: 10_000,
  defaultPageSize: 50,
  maxPageSize: 1000,
};

type Env = Record<string, string | undefined>;

function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw validationError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw validationError(`${name} must be true or false, got "${raw}"`);
}

function tokens(env: Env): AccessToken[] {
  const list = env.STRATA_TOKENS?.trim() ? parseTokenList(env.STRATA_TOKENS) : [];
  const file = env.STRATA_TOKENS_FILE?.trim();
  let fromFile: AccessToken[] = [];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw validationError(
        `STRATA_TOKENS_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`,
      );
    }
    fromFile = parseTokenFile(text, `STRATA_TOKENS_FILE ${file}`);
  }
  const all = [...list, ...fromFile];
  checkDistinctTokens(all);
  return all;
}

/** Reads and validates the configuration; throws a VALIDATION StrataError naming the bad variable. */
export function loadConfig(env: Env = process.env): StrataConfig {
  const logLevel = (env.STRATA_LOG_LEVEL?.trim() || 'info') as LogLevel;
  if (!logLevels.includes(logLevel)) {
    throw validationError(`STRATA_LOG_LEVEL must be one of ${logLevels.join(', ')}, got "${logLevel}"`);
  }
  const limits: GraphQLLimits = {
    maxBodyBytes: integer(env, 'STRATA_MAX_BODY_BYTES', defaultLimits.maxBodyBytes, 1024),
    queryTimeoutMs: integer(env, 'STRATA_QUERY_TIMEOUT_MS', defaultLimits.queryTimeoutMs, 1),
    mutationTimeoutMs: integer(env, 'STRATA_MUTATION_TIMEOUT_MS', defaultLimits.mutationTimeoutMs, 1),
    maxDepth: integer(env, 'STRATA_MAX_DEPTH', defaultLimits.maxDepth, 2),
    maxBreadth: integer(env, 'STRATA_MAX_BREADTH', defaultLimits.maxBreadth, 1),
    maxAliases: integer(env, 'STRATA_MAX_ALIASES', defaultLimits.maxAliases, 0),
    maxComplexity: integer(env, 'STRATA_MAX_COMPLEXITY', defaultLimits.maxComplexity, 1),
    maxTokens: integer(env, 'STRATA_MAX_TOKENS', defaultLimits.maxTokens, 100),
    defaultPageSize: integer(env, 'STRATA_DEFAULT_PAGE_SIZE', defaultLimits.defaultPageSize, 1),
    maxPageSize: integer(env, 'STRATA_MAX_PAGE_SIZE', defaultLimits.maxPageSize, 1),
  };
  if (limits.defaultPageSize > limits.maxPageSize) {
    throw validationError(
      `STRATA_DEFAULT_PAGE_SIZE (${limits.defaultPageSize}) exceeds STRATA_MAX_PAGE_SIZE (${limits.maxPageSize})`,
    );
  }
  return {
    host: env.HOST?.trim() || '127.0.0.1',
    port: integer(env, 'PORT', 4000, 0, 65535),
    tokens: tokens(env),
    graphiql: boolean(env, 'STRATA_GRAPHIQL', true),
    limits,
    shutdownGraceMs: integer(env, 'STRATA_SHUTDOWN_GRACE_MS', 10_000, 0),
    logLevel,
    database: {
      url: env.DATABASE_URL?.trim() || undefined,
      dataDir: env.STRATA_DATA_DIR?.trim() || '.strata/data',
      poolSize: integer(env, 'STRATA_DB_POOL_SIZE', 10, 1, 1000),
    },
  };
}
