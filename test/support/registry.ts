/**
 * A real Distribution v2 registry (Debian's `docker-registry`) on a free 127.0.0.1 port, with its own
 * temporary storage, for integration tests. Variants: anonymous, htpasswd basic auth, and token auth
 * (the registry's own `auth: token` mode, with a token server this module serves on loopback and a
 * key/certificate generated per run by openssl).
 *
 *   const registry = await startRegistry({ auth: 'htpasswd', users: { alice: 's3cret' } });
 *   ... registry.host ('127.0.0.1:PORT'), registry.blobDataPath(digest) ...
 *   await registry.stop();
 *
 * Needs `docker-registry` and `openssl` (scripts/install-test-tools.sh installs the former).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';

const run = promisify(execFile);

export type RegistryAuth = 'none' | 'htpasswd' | 'token';

export interface StartRegistryOptions {
  auth?: RegistryAuth;
  /** username → password, for htpasswd and token auth. */
  users?: Record<string, string>;
  /** Token auth: what an unauthenticated token request is granted (default: pull). */
  anonymous?: 'pull' | 'none';
}

export interface TokenRequest {
  account: string | null;
  /** Whether the request carried an Authorization header, and if so which user it named. */
  authenticatedAs: string | null;
  service: string | null;
  scopes: string[];
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`: the registry part of references. */
  host: string;
  url: string;
  storageDir: string;
  auth: RegistryAuth;
  /** Token auth only: the token server's requests, for assertions. */
  tokenRequests: TokenRequest[];
  /** Path of a blob's bytes inside the registry's filesystem storage (to tamper with in tests). */
  blobDataPath(digest: string): string;
  stop(): Promise<void>;
}

export const registryBinary = (): string | null =>
  ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry', '/usr/bin/registry'].find((p) =>
    existsSync(p),
  ) ?? null;

/**
 * Whether the registry tools are installed. On a developer machine without them the registry
 * suites are skipped (scripts/install-test-tools.sh installs them); in CI (CI=true) a missing tool
 * is a failure, never a silent skip.
 */
export const hasRegistry = (): boolean => requiredInCi('docker-registry', registryBinary() !== null);

export function requiredInCi(tool: string, present: boolean): boolean {
  if (!present && process.env.CI)
    throw new Error(`${tool} is missing in CI: .ci/run must install it (scripts/install-test-tools.sh)`);
  return present;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const binary = registryBinary();
  if (!binary) throw new Error('docker-registry is not installed: run scripts/install-test-tools.sh');
  const auth = options.auth ?? 'none';
  const dir = await mkdtemp(join(tmpdir(), 'strata-registry-'));
  const storageDir = join(dir, 'storage');
  const tokenRequests: TokenRequest[] = [];
  let tokenServer: Server | undefined;
  let lastError: unknown;
  try {
    const authConfig: Record<string, unknown> = {};
    if (auth === 'htpasswd') {
      const lines = Object.entries(options.users ?? {}).map(
        // bcryptjs writes $2b$; Go's bcrypt reads $2a$ hashes of the same algorithm.
        ([user, password]) => `${user}:${bcrypt.hashSync(password, 5).replace(/^\$2b\$/, '$2a$')}`,
      );
      await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
      authConfig.htpasswd = { realm: 'strata-test', path: join(dir, 'htpasswd') };
    }
    if (auth === 'token') {
      const issuer = await startTokenServer(dir, options, tokenRequests);
      tokenServer = issuer.server;
      authConfig.token = {
        realm: issuer.realm,
        service: tokenService,
        issuer: tokenIssuer,
        rootcertbundle: issuer.certPath,
      };
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const config = {
        version: 0.1,
        log: { level: 'error', accesslog: { disabled: true } },
        storage: {
          filesystem: { rootdirectory: storageDir },
          delete: { enabled: true },
          cache: { blobdescriptor: 'inmemory' },
        },
        http: { addr: `127.0.0.1:${port}`, headers: { 'X-Content-Type-Options': ['nosniff'] } },
        ...(auth !== 'none' ? { auth: authConfig } : {}),
      };
      const configPath = join(dir, 'config.yml');
      await writeFile(configPath, stringify(config));
      const child = spawn(binary, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      try {
        await waitReady(`http://127.0.0.1:${port}`, child, () => stderr);
      } catch (error) {
        lastError = error;
        await stopChild(child);
        continue;
      }
      const host = `127.0.0.1:${port}`;
      return {
        host,
        url: `http://${host}`,
        storageDir,
        auth,
        tokenRequests,
        blobDataPath: (digest: string) => {
          const hex = digest.replace(/^sha256:/, '');
          return join(storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
        },
        stop: async () => {
          await stopChild(child);
          if (tokenServer) await new Promise<void>((r) => tokenServer!.close(() => r()));
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    throw lastError;
  } catch (error) {
    if (tokenServer) tokenServer.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`docker-registry exited: ${stderr()}`);
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not become ready: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// ---- token auth ----

export const tokenService = 'strata-test-registry';
export const tokenIssuer = 'strata-test-issuer';

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

async function startTokenServer(
  dir: string,
  options: StartRegistryOptions,
  requests: TokenRequest[],
): Promise<{ server: Server; realm: string; certPath: string }> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=strata-test-token-issuer',
  ]);
  const key = createPrivateKey(await readFile(keyPath));
  const certDer = new X509Certificate(await readFile(certPath)).raw;
  const users = options.users ?? {};
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    const user = authenticate(req, users);
    const scopes = url.searchParams.getAll('scope');
    requests.push({
      account: url.searchParams.get('account'),
      authenticatedAs: user === undefined ? null : user,
      service: url.searchParams.get('service'),
      scopes,
    });
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    if (user === null) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ details: 'invalid credentials' }));
      return;
    }
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (type !== 'repository' || !name || !actions) return [];
      const granted = actions
        .split(',')
        .filter((a) => (user !== undefined ? true : options.anonymous !== 'none' && a === 'pull'));
      return granted.length ? [{ type, name, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: tokenIssuer,
      sub: user ?? '',
      aud: url.searchParams.get('service') ?? tokenService,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${signingInput}.${base64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    // Alternate the two field names registries use, so clients must read both.
    const field = createHash('sha256').update(token).digest()[0]! % 2 === 0 ? 'token' : 'access_token';
    res.end(JSON.stringify({ [field]: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, realm: `http://127.0.0.1:${port}/token`, certPath };
}

/** undefined: anonymous; null: wrong credentials; otherwise the user name. */
function authenticate(req: IncomingMessage, users: Record<string, string>): string | null | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = decoded.slice(0, colon);
  return colon > 0 && users[user] !== undefined && users[user] === decoded.slice(colon + 1) ? user : null;
}
