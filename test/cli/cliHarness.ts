import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type { Strata } from '../../src/app/openStrata.ts';
import { defaultLimits, type StrataConfig } from '../../src/config.ts';
import { parseTokenList } from '../../src/server/auth.ts';
import { createMemoryLogger } from '../../src/server/log.ts';
import { type RunningServer, startServer } from '../../src/server/startServer.ts';

const bin = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * The real `strata` entry (`node bin/strata.js …`) as a child process against `url`. `input`
 * is piped to its stdin (then closed), as a script would type into `run -i`.
 */
export function runCli(
  url: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, STRATA_URL: url, STRATA_TOKEN: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Starts Strata's real server (port 0, loopback; no tokens unless given, as `STRATA_TOKENS` has
 * them) over `getStrata()`'s database for the suite.
 */
export function cliServer(
  getStrata: () => Promise<Strata>,
  prepare?: (strata: Strata) => Promise<void>,
  options: { tokens?: string } = {},
) {
  let server: RunningServer | undefined;
  const handle = {
    url: '',
    strata: undefined as unknown as Strata,
    cli: (args: readonly string[], options?: { input?: string; env?: Record<string, string> }) =>
      runCli(handle.url, args, options),
  };
  beforeAll(async () => {
    handle.strata = await getStrata();
    await prepare?.(handle.strata);
    const config: StrataConfig = {
      host: '127.0.0.1',
      port: 0,
      tokens: options.tokens ? parseTokenList(options.tokens) : [],
      graphiql: false,
      limits: defaultLimits,
      shutdownGraceMs: 1000,
      logLevel: 'silent',
      database: { url: undefined, dataDir: 'memory://', poolSize: 1 },
    };
    server = await startServer(config, {
      app: { ...handle.strata, notifications: handle.strata.database.notifications },
      backend: handle.strata.database.backend,
      log: createMemoryLogger(),
    });
    handle.url = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });
  return handle;
}
