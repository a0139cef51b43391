import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLimits, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('has safe, documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      tokens: [],
      graphiql: true,
      shutdownGraceMs: 10_000,
      logLevel: 'info',
      database: { url: undefined, dataDir: '.strata/data', poolSize: 10 },
    });
    expect(config.limits).toEqual(defaultLimits);
    expect(defaultLimits).toEqual({
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
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: '8080',
      STRATA_TOKENS: 'ci:0123456789abcdef0123:read|write',
      STRATA_GRAPHIQL: 'false',
      STRATA_MAX_BODY_BYTES: '65536',
      STRATA_QUERY_TIMEOUT_MS: '1000',
      STRATA_MUTATION_TIMEOUT_MS: '2000',
      STRATA_MAX_DEPTH: '8',
      STRATA_MAX_BREADTH: '40',
      STRATA_MAX_ALIASES: '5',
      STRATA_MAX_COMPLEXITY: '900',
      STRATA_MAX_TOKENS: '3000',
      STRATA_DEFAULT_PAGE_SIZE: '10',
      STRATA_MAX_PAGE_SIZE: '20',
      STRATA_SHUTDOWN_GRACE_MS: '0',
      STRATA_LOG_LEVEL: 'warn',
      DATABASE_URL: 'postgres://u:p@db:5432/strata',
      STRATA_DATA_DIR: 'memory://',
      STRATA_DB_POOL_SIZE: '3',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      graphiql: false,
      shutdownGraceMs: 0,
      logLevel: 'warn',
      database: { url: 'postgres://u:p@db:5432/strata', dataDir: 'memory://', poolSize: 3 },
      limits: {
        maxBodyBytes: 65536,
        queryTimeoutMs: 1000,
        mutationTimeoutMs: 2000,
        maxDepth: 8,
        maxBreadth: 40,
        maxAliases: 5,
        maxComplexity: 900,
        maxTokens: 3000,
        defaultPageSize: 10,
        maxPageSize: 20,
      },
    });
    expect(config.tokens.map((t) => t.name)).toEqual(['ci']);
  });

  it('merges STRATA_TOKENS and STRATA_TOKENS_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
    const file = join(dir, 'tokens.json');
    writeFileSync(
      file,
      JSON.stringify({ tokens: [{ name: 'ops', scopes: ['admin'], secret: 'fedcba9876543210fedc' }] }),
    );
    const config = loadConfig({ STRATA_TOKENS: 'ci:0123456789abcdef0123:read', STRATA_TOKENS_FILE: file });
    expect(config.tokens.map((t) => t.name)).toEqual(['ci', 'ops']);
    expect(() => loadConfig({ STRATA_TOKENS_FILE: join(dir, 'missing.json') })).toThrow(
      /STRATA_TOKENS_FILE: cannot read .*missing\.json \(ENOENT\)/,
    );
  });

  it.each([
    [{ PORT: 'http' }, /PORT must be an integer from 0 to 65535, got "http"/],
    [{ PORT: '70000' }, /PORT must be an integer/],
    [{ STRATA_MAX_DEPTH: '-1' }, /STRATA_MAX_DEPTH must be an integer/],
    [{ STRATA_MAX_PAGE_SIZE: '1.5' }, /STRATA_MAX_PAGE_SIZE must be an integer/],
    [{ STRATA_GRAPHIQL: 'maybe' }, /STRATA_GRAPHIQL must be true or false/],
    [{ STRATA_LOG_LEVEL: 'loud' }, /STRATA_LOG_LEVEL must be one of/],
    [{ STRATA_DEFAULT_PAGE_SIZE: '50', STRATA_MAX_PAGE_SIZE: '10' }, /exceeds STRATA_MAX_PAGE_SIZE/],
    [{ STRATA_TOKENS: 'ci:short:read' }, /STRATA_TOKENS: the secret of token "ci" is shorter/],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('throws VALIDATION StrataErrors', () => {
    expect(() => loadConfig({ PORT: 'x' })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});
