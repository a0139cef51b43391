import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { StrataError, validationError } from '../domain/errors.ts';

/**
 * Access tokens and scopes.
 * - read: queries and subscriptions; write: mutations; admin: everything (implies read and write).
 * - No tokens configured (allowed on loopback only): every request may do everything.
 * - Tokens configured: every request needs `Authorization: Bearer <secret>` (WebSocket:
 *   connectionParams `{ authorization: 'Bearer <secret>' }`), on loopback too.
 * Secrets are hashed (sha256) as soon as they are parsed, compared in constant time, never logged.
 */
export const scopeNames = ['read', 'write', 'admin'] as const;
export type Scope = (typeof scopeNames)[number];

export interface AccessToken {
  readonly name: string;
  /** sha256 of the secret. */
  readonly hash: Buffer;
  /** As configured; `admin` is expanded when a request authenticates. */
  readonly scopes: ReadonlySet<Scope>;
}

/** Who a request is, as far as the API is concerned. */
export interface AuthInfo {
  /** Tokens are configured, so every operation needs a valid one. */
  readonly required: boolean;
  /** A valid token was presented. */
  readonly authenticated: boolean;
  /** The token's name (never its secret). */
  readonly tokenName?: string;
  /** Effective scopes: all of them when auth is not required. */
  readonly scopes: ReadonlySet<Scope>;
  /** Why the request is not authenticated, when auth is required. */
  readonly failure?: 'missing' | 'malformed' | 'invalid';
}

const allScopes: ReadonlySet<Scope> = new Set(scopeNames);
const noScopes: ReadonlySet<Scope> = new Set();
const minSecretLength = 16;
const namePattern = /^[A-Za-z0-9_.@-]+$/;

const hashSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

function parseScope(value: string, where: string): Scope {
  const scope = value.trim();
  if (!(scopeNames as readonly string[]).includes(scope)) {
    throw validationError(`${where}: unknown scope "${scope}" (expected read, write or admin)`);
  }
  return scope as Scope;
}

function makeToken(name: string, hash: Buffer, scopes: Scope[], where: string): AccessToken {
  if (!namePattern.test(name)) {
    throw validationError(`${where}: token name "${name}" must match ${namePattern.source}`);
  }
  if (scopes.length === 0) throw validationError(`${where}: token "${name}" has no scopes`);
  return { name, hash, scopes: new Set(scopes) };
}

function secretHash(secret: string, name: string, where: string): Buffer {
  if (secret.length < minSecretLength) {
    throw validationError(
      `${where}: the secret of token "${name}" is shorter than ${minSecretLength} characters (try \`openssl rand -hex 24\`)`,
    );
  }
  return hashSecret(secret);
}

/**
 * Parses `STRATA_TOKENS`: comma-separated `name:secret:scope1|scope2` entries, e.g.
 * `ci:0123…cdef:read|write,viewer:fedc…3210:read`. The secret is everything between the first and
 * the last colon. A comma item without a colon continues the previous token's scope list, so
 * `admin:<secret>:read,write,admin` is read as `admin:<secret>:read|write|admin`.
 */
export function parseTokenList(text: string, where = 'STRATA_TOKENS'): AccessToken[] {
  const entries: Array<{ name: string; secret: string; scopes: string[] }> = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const first = item.indexOf(':');
    const last = item.lastIndexOf(':');
    if (first === -1) {
      const previous = entries.at(-1);
      if (!previous) throw validationError(`${where}: expected name:secret:scopes, got "${item}"`);
      previous.scopes.push(item);
      continue;
    }
    if (first === last) {
      throw validationError(`${where}: expected name:secret:scopes for token "${item.slice(0, first)}"`);
    }
    entries.push({
      name: item.slice(0, first),
      secret: item.slice(first + 1, last),
      scopes: item.slice(last + 1).split('|'),
    });
  }
  return entries.map(({ name, secret, scopes }) =>
    makeToken(
      name,
      secretHash(secret, name, where),
      scopes.map((s) => parseScope(s, where)),
      where,
    ),
  );
}

/**
 * Parses a tokens file (`STRATA_TOKENS_FILE`): JSON `{ "tokens": [ { "name": "ci", "scopes":
 * ["read", "write"], "sha256": "<64 hex of sha256(secret)>" } ] }`. `"secret": "<secret>"` is
 * accepted instead of `sha256`, but a file of hashes holds no usable secret.
 */
export function parseTokenFile(json: string, where = 'STRATA_TOKENS_FILE'): AccessToken[] {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw validationError(`${where}: not valid JSON (${(error as Error).message})`);
  }
  const list = (document as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(list)) throw validationError(`${where}: expected {"tokens": [...]}`);
  return list.map((entry: unknown, index) => {
    const at = `${where} tokens[${index}]`;
    const { name, secret, sha256, scopes } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string') throw validationError(`${at}: "name" must be a string`);
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
      throw validationError(`${at}: "scopes" must be an array of read, write, admin`);
    }
    let hash: Buffer;
    if (typeof sha256 === 'string' && secret === undefined) {
      if (!/^[0-9a-f]{64}$/.test(sha256)) throw validationError(`${at}: "sha256" must be 64 lowercase hex`);
      hash = Buffer.from(sha256, 'hex');
    } else if (typeof secret === 'string' && sha256 === undefined) {
      hash = secretHash(secret, name, at);
    } else {
      throw validationError(`${at}: give exactly one of "secret" or "sha256"`);
    }
    return makeToken(
      name,
      hash,
      scopes.map((s: string) => parseScope(s, at)),
      at,
    );
  });
}

/** Rejects two tokens with one name or one secret. */
export function checkDistinctTokens(tokens: readonly AccessToken[]): void {
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const token of tokens) {
    if (names.has(token.name)) throw validationError(`access tokens: the name "${token.name}" is used twice`);
    const hex = token.hash.toString('hex');
    if (hashes.has(hex))
      throw validationError(`access tokens: "${token.name}" reuses another token's secret`);
    names.add(token.name);
    hashes.add(hex);
  }
}

const expand = (scopes: ReadonlySet<Scope>): ReadonlySet<Scope> => (scopes.has('admin') ? allScopes : scopes);

export class Authenticator {
  readonly #tokens: readonly AccessToken[];

  constructor(tokens: readonly AccessToken[]) {
    checkDistinctTokens(tokens);
    this.#tokens = tokens;
  }

  get required(): boolean {
    return this.#tokens.length > 0;
  }

  /** `authorization` is the header value (or WebSocket connectionParams.authorization). */
  authenticate(authorization: string | null | undefined): AuthInfo {
    if (!this.required) return { required: false, authenticated: false, scopes: allScopes };
    if (authorization == null || authorization.trim() === '') {
      return { required: true, authenticated: false, scopes: noScopes, failure: 'missing' };
    }
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match) return { required: true, authenticated: false, scopes: noScopes, failure: 'malformed' };
    const presented = hashSecret(match[1]!);
    let found: AccessToken | undefined;
    // Every token is compared, so the time taken does not tell which one (or whether any) matched.
    for (const token of this.#tokens) {
      if (timingSafeEqual(presented, token.hash) && !found) found = token;
    }
    if (!found) return { required: true, authenticated: false, scopes: noScopes, failure: 'invalid' };
    return { required: true, authenticated: true, tokenName: found.name, scopes: expand(found.scopes) };
  }
}

/** Loopback addresses and `localhost`; anything else (0.0.0.0, ::, a LAN address) is the network. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice('::ffff:'.length));
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Thrown by `startServer` when asked to listen beyond loopback without access tokens. */
export class InsecureBindError extends StrataError {
  constructor(readonly host: string) {
    super(
      'VALIDATION',
      `Refusing to listen on ${host} without access tokens: a non-loopback address exposes the API ` +
        'to the network. Configure tokens with STRATA_TOKENS ("name:secret:read|write|admin", comma-separated) ' +
        'or STRATA_TOKENS_FILE, or bind to loopback (HOST=127.0.0.1).',
      { host },
    );
    this.name = 'InsecureBindError';
  }
}

export function assertSafeBinding(host: string, tokens: readonly AccessToken[]): void {
  if (!isLoopbackHost(host) && tokens.length === 0) throw new InsecureBindError(host);
}
