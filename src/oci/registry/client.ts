import { type Digest, isDigest, sha256Digest } from '../../domain/digest.ts';
import { integrityError, StrataError, upstreamError, validationError } from '../../domain/errors.ts';
import { type ManifestDocument, maxManifestBytes, parseManifestDocument } from '../manifest.ts';
import { manifestAccept } from '../mediaTypes.ts';
import type { BlobRef, OpenBlobOptions } from '../types.ts';
import { readAllBounded, verifyStream } from '../verifyStream.ts';
import { type AuthChallenge, parseChallenges } from './challenge.ts';
import { lookupCredentials, type RegistryCredentials } from './credentials.ts';
import { registryBaseUrl, type TransportOptions, useHttp } from './hosts.ts';
import { redact, registryError } from './registryErrors.ts';

export interface RegistryClientOptions extends TransportOptions {
  /**
   * Credentials for this registry. Omitted: looked up (STRATA_REGISTRY_* env, then the Docker config
   * file). `null`: anonymous.
   */
  credentials?: RegistryCredentials | null;
  dockerConfigPath?: string;
  userAgent?: string;
}

export type Action = 'pull' | 'push';
interface Scope {
  repository: string;
  actions: readonly Action[];
}

interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the registry root, or an absolute URL (upload locations). */
  url: string | URL;
  scope: Scope | null;
  headers?: Record<string, string>;
  /** Replayable bodies (bytes) may be resent after an auth challenge; streams may not. */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  followRedirects?: boolean;
  signal?: AbortSignal;
  action: string;
}

interface CachedAuth {
  authorization: string;
  expiresAt: number;
}

const repositoryPattern =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const maxRedirects = 5;
const maxErrorBody = 64 * 1024;
const maxTokenBody = 1024 * 1024;

export function validateRepository(repository: string): string {
  if (repository.length > 255 || !repositoryPattern.test(repository)) {
    throw validationError(`invalid repository name "${repository}"`);
  }
  return repository;
}

function validateManifestRef(ref: string): string {
  if (isDigest(ref) || tagPattern.test(ref)) return ref;
  throw validationError(`invalid tag or digest "${ref}"`);
}

/**
 * A client for one registry's distribution API: anonymous, basic or bearer-token auth (token cached per
 * scope), redirects followed by hand so Authorization never reaches another host, every manifest and blob
 * verified. Holds credentials; never hand it to anything that is stored or logged.
 */
export class RegistryClient {
  /** The reference domain (`docker.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  readonly baseUrl: URL;
  readonly #credentials: RegistryCredentials | null;
  readonly #helperConfigured: boolean;
  readonly #tokens = new Map<string, CachedAuth>();
  readonly #secrets: string[] = [];
  readonly #transport: TransportOptions;
  readonly #userAgent: string;
  #basic = false;

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry.toLowerCase();
    this.#transport = {
      ...(options.insecure !== undefined ? { insecure: options.insecure } : {}),
      ...(options.env ? { env: options.env } : {}),
    };
    this.baseUrl = registryBaseUrl(this.registry, this.#transport);
    if (options.credentials !== undefined) {
      this.#credentials = options.credentials;
      this.#helperConfigured = false;
    } else {
      const found = lookupCredentials(this.registry, {
        ...(options.env ? { env: options.env } : {}),
        ...(options.dockerConfigPath ? { dockerConfigPath: options.dockerConfigPath } : {}),
      });
      this.#credentials = found.credentials;
      this.#helperConfigured = found.helperConfigured;
    }
    if (this.#credentials) this.#secrets.push(...this.#credentials.secrets());
    this.#userAgent = options.userAgent ?? 'strata';
  }

  get hasCredentials(): boolean {
    return this.#credentials !== null;
  }

  toJSON() {
    return { registry: this.registry, baseUrl: this.baseUrl.href };
  }

  /** `GET /v2/`: checks the registry speaks the distribution API and that the credentials are accepted. */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.#send({
      method: 'GET',
      url: '/v2/',
      scope: null,
      action: 'check API version',
      ...(signal ? { signal } : {}),
    });
    await this.#expectOk(res, 'check API version');
    await discard(res);
  }

  /** Fetches a manifest or index by tag or digest, verified and validated (see parseManifestDocument). */
  async getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<ManifestDocument> {
    validateRepository(repository);
    validateManifestRef(reference);
    const action = `get manifest ${repository}:${reference}`;
    const res = await this.#send({
      method: 'GET',
      url: `/v2/${repository}/manifests/${reference}`,
      scope: { repository, actions: ['pull'] },
      headers: { accept: manifestAccept },
      followRedirects: true,
      action,
      ...(signal ? { signal } : {}),
    });
    await this.#expectOk(res, action);
    const length = Number(res.headers.get('content-length') ?? Number.NaN);
    if (length > maxManifestBytes) {
      await discard(res);
      throw validationError(
        `manifest ${repository}:${reference} is ${length} bytes, over the ${maxManifestBytes}-byte limit`,
      );
    }
    const bytes = await readAllBounded(
      this.#guardedBody(res, `manifest ${repository}:${reference}`, signal),
      maxManifestBytes,
      `manifest ${repository}:${reference}`,
    );
    const expectedDigest = isDigest(reference) ? reference : undefined;
    const document = parseManifestDocument(bytes, {
      declaredMediaType: res.headers.get('content-type'),
      ...(expectedDigest ? { expectedDigest } : {}),
      what: `manifest ${repository}:${reference}`,
    });
    const served = res.headers.get('docker-content-digest');
    if (served && isDigest(served) && served !== document.digest) {
      throw integrityError(
        `manifest ${repository}:${reference}: registry says ${served} but content is ${document.digest}`,
        {
          digest: served,
          actualDigest: document.digest,
        },
      );
    }
    return document;
  }

  /** `HEAD` a manifest: its digest, media type and size, or null when the registry does not have it. */
  async headManifest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ digest: Digest | null; mediaType: string | null; size: number | null } | null> {
    validateRepository(repository);
    validateManifestRef(reference);
    const action = `check manifest ${repository}:${reference}`;
    const res = await this.#send({
      method: 'HEAD',
      url: `/v2/${repository}/manifests/${reference}`,
      scope: { repository, actions: ['pull'] },
      headers: { accept: manifestAccept },
      followRedirects: true,
      action,
      ...(signal ? { signal } : {}),
    });
    if (res.status === 404) return null;
    await this.#expectOk(res, action);
    const digest = res.headers.get('docker-content-digest');
    const size = res.headers.get('content-length');
    return {
      digest: digest && isDigest(digest) ? digest : null,
      mediaType: res.headers.get('content-type'),
      size: size === null ? null : Number(size),
    };
  }

  /**
   * Streams a blob, verified against digest and size as it arrives (never buffered whole). Redirects to
   * blob storage are followed without Authorization. Foreign layers (`urls`) are tried from the registry
   * first, then from their URLs without any credentials, only when `allowForeignUrls` is set.
   */
  async *openBlob(
    repository: string,
    blob: BlobRef,
    options: OpenBlobOptions & { allowForeignUrls?: boolean } = {},
  ): AsyncGenerator<Uint8Array, void, undefined> {
    validateRepository(repository);
    if (!isDigest(blob.digest)) throw validationError(`invalid digest "${blob.digest}"`);
    const action = `get blob ${repository}@${blob.digest}`;
    let res = await this.#send({
      method: 'GET',
      url: `/v2/${repository}/blobs/${blob.digest}`,
      scope: { repository, actions: ['pull'] },
      followRedirects: true,
      action,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (res.status === 404 && options.allowForeignUrls && blob.urls?.length) {
      await discard(res);
      res = await this.#fetchForeign(blob, options.signal);
    }
    await this.#expectOk(res, action);
    const length = res.headers.get('content-length');
    if (length !== null && Number(length) !== blob.size) {
      await discard(res);
      throw integrityError(`blob ${blob.digest}: registry sends ${length} bytes, expected ${blob.size}`, {
        digest: blob.digest,
        expectedSize: blob.size,
      });
    }
    yield* verifyStream(this.#guardedBody(res, `blob ${blob.digest}`, options.signal), blob, options);
  }

  /** The body's chunks, with a connection dropped mid-way reported as UPSTREAM (never as a short success). */
  async *#guardedBody(
    res: Response,
    what: string,
    signal?: AbortSignal,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    let received = 0;
    try {
      for await (const chunk of bodyChunks(res)) {
        received += chunk.byteLength;
        yield chunk;
      }
    } catch (error) {
      if (signal?.aborted || error instanceof StrataError) throw error;
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw upstreamError(
        redact(
          `${what}: transfer from ${new URL(res.url || this.baseUrl).host} failed after ${received} bytes (${cause})`,
          this.#secrets,
        ),
        {
          received,
        },
      );
    }
  }

  /** `HEAD` a blob: its size when the registry has it, null otherwise. */
  async blobExists(repository: string, digest: Digest, signal?: AbortSignal): Promise<number | null> {
    validateRepository(repository);
    if (!isDigest(digest)) throw validationError(`invalid digest "${digest}"`);
    const action = `check blob ${repository}@${digest}`;
    const res = await this.#send({
      method: 'HEAD',
      url: `/v2/${repository}/blobs/${digest}`,
      scope: { repository, actions: ['pull'] },
      followRedirects: true,
      action,
      ...(signal ? { signal } : {}),
    });
    if (res.status === 404) return null;
    await this.#expectOk(res, action);
    return Number(res.headers.get('content-length') ?? Number.NaN);
  }

  /**
   * Uploads a blob: POST to open an upload, then one monolithic PUT (default) or PATCH chunks of
   * `chunkSize` bytes and a closing PUT. The data is verified against digest and size as it is sent, and
   * only `chunkSize` bytes are held in memory.
   */
  async uploadBlob(
    repository: string,
    blob: BlobRef,
    data: AsyncIterable<Uint8Array> | Uint8Array,
    options: OpenBlobOptions & { chunkSize?: number } = {},
  ): Promise<void> {
    validateRepository(repository);
    if (!isDigest(blob.digest)) throw validationError(`invalid digest "${blob.digest}"`);
    const scope: Scope = { repository, actions: ['pull', 'push'] };
    const signal = options.signal ? { signal: options.signal } : {};
    const action = `upload blob ${repository}@${blob.digest}`;
    const start = await this.#send({
      method: 'POST',
      url: `/v2/${repository}/blobs/uploads/`,
      scope,
      action,
      ...signal,
    });
    if (start.status === 201) {
      await discard(start);
      return; // the registry already had it (mount or digest-addressed POST)
    }
    await this.#expectStatus(start, [202], action);
    let location = this.#location(start);
    await discard(start);
    const source = data instanceof Uint8Array ? [data] : data;
    const verified = verifyStream(source, blob, { ...options, what: `upload of ${blob.digest}` });

    if (options.chunkSize === undefined) {
      const url = withDigest(location, blob.digest);
      const res = await this.#send({
        method: 'PUT',
        url,
        scope,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
        body: verified,
        action,
        ...signal,
      });
      await this.#expectStatus(res, [201, 204], action);
      await discard(res);
      return;
    }

    const chunkSize = options.chunkSize;
    if (!Number.isInteger(chunkSize) || chunkSize < 1)
      throw validationError('chunkSize must be a positive integer');
    let offset = 0;
    let buffered: Uint8Array[] = [];
    let bufferedBytes = 0;
    const flush = async () => {
      if (bufferedBytes === 0) return;
      const chunk = Buffer.concat(buffered);
      const res = await this.#send({
        method: 'PATCH',
        url: location,
        scope,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(chunk.byteLength),
          'content-range': `${offset}-${offset + chunk.byteLength - 1}`,
        },
        body: chunk,
        action,
        ...signal,
      });
      await this.#expectStatus(res, [202, 204], action);
      location = this.#location(res);
      await discard(res);
      offset += chunk.byteLength;
      buffered = [];
      bufferedBytes = 0;
    };
    for await (const piece of verified) {
      let rest = piece;
      while (rest.byteLength > 0) {
        const take = Math.min(rest.byteLength, chunkSize - bufferedBytes);
        buffered.push(rest.subarray(0, take));
        bufferedBytes += take;
        rest = rest.subarray(take);
        if (bufferedBytes === chunkSize) await flush();
      }
    }
    await flush();
    const res = await this.#send({
      method: 'PUT',
      url: withDigest(location, blob.digest),
      scope,
      headers: { 'content-length': '0' },
      body: new Uint8Array(0),
      action,
      ...signal,
    });
    await this.#expectStatus(res, [201, 204], action);
    await discard(res);
  }

  /** `PUT` a manifest or index under a tag or its digest; returns its digest (checked against the registry's). */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    signal?: AbortSignal,
  ): Promise<Digest> {
    validateRepository(repository);
    validateManifestRef(reference);
    const digest = sha256Digest(bytes);
    if (isDigest(reference) && reference !== digest) {
      throw integrityError(`manifest bytes hash to ${digest}, not to ${reference}`, {
        digest: reference,
        actualDigest: digest,
      });
    }
    const action = `put manifest ${repository}:${reference}`;
    const res = await this.#send({
      method: 'PUT',
      url: `/v2/${repository}/manifests/${reference}`,
      scope: { repository, actions: ['pull', 'push'] },
      headers: { 'content-type': mediaType },
      body: bytes,
      action,
      ...(signal ? { signal } : {}),
    });
    await this.#expectStatus(res, [201, 200, 204], action);
    const served = res.headers.get('docker-content-digest');
    await discard(res);
    if (served && isDigest(served) && served !== digest) {
      throw integrityError(`registry stored manifest as ${served}, expected ${digest}`, {
        digest,
        actualDigest: served,
      });
    }
    return digest;
  }

  // ---- transport ----

  async #send(spec: RequestSpec): Promise<Response> {
    const replayable = spec.body === undefined || spec.body instanceof Uint8Array;
    let retried = false;
    for (;;) {
      const { res, sameOrigin } = await this.#fetchFollowing(spec, this.#authorizationFor(spec.scope));
      if (res.status !== 401 || !sameOrigin || retried) return res;
      const challenges = parseChallenges(res.headers.get('www-authenticate'));
      if (!replayable) return res;
      const ok = await this.#answerChallenge(challenges, spec.scope, spec.signal);
      if (!ok) return res;
      await discard(res);
      retried = true;
    }
  }

  /** One request with redirects followed by hand; Authorization is sent only to the registry's own origin. */
  async #fetchFollowing(
    spec: RequestSpec,
    authorization: string | null,
  ): Promise<{ res: Response; url: URL; sameOrigin: boolean }> {
    let url =
      typeof spec.url === 'string' && !/^https?:\/\//i.test(spec.url)
        ? new URL(spec.url, this.baseUrl)
        : new URL(spec.url);
    for (let hops = 0; ; hops++) {
      const sameOrigin = url.origin === this.baseUrl.origin;
      const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...spec.headers };
      if (authorization && sameOrigin) headers.authorization = authorization;
      const res = await this.#fetch(
        url,
        {
          method: spec.method,
          headers,
          ...(spec.body !== undefined
            ? { body: spec.body as unknown as RequestInit['body'], duplex: 'half' }
            : {}),
          redirect: 'manual',
          ...(spec.signal ? { signal: spec.signal } : {}),
        },
        spec.action,
      );
      if (![301, 302, 303, 307, 308].includes(res.status) || !spec.followRedirects)
        return { res, url, sameOrigin };
      const location = res.headers.get('location');
      await discard(res);
      if (!location)
        throw upstreamError(`registry ${this.registry}: ${spec.action}: redirect without Location`);
      if (hops >= maxRedirects)
        throw upstreamError(`registry ${this.registry}: ${spec.action}: too many redirects`);
      const next = new URL(location, url);
      this.#checkRedirectTarget(url, next, spec.action);
      url = next;
    }
  }

  #checkRedirectTarget(from: URL, to: URL, action: string) {
    if (to.protocol !== 'https:' && to.protocol !== 'http:') {
      throw upstreamError(
        `registry ${this.registry}: ${action}: redirect to unsupported scheme ${to.protocol}`,
      );
    }
    if (
      from.protocol === 'https:' &&
      to.protocol === 'http:' &&
      !useHttp(to.host, { env: this.#transport.env ?? process.env })
    ) {
      throw upstreamError(
        `registry ${this.registry}: ${action}: refusing redirect from HTTPS to plain HTTP (${to.host})`,
      );
    }
  }

  async #fetch(url: URL, init: RequestInit & { duplex?: 'half' }, action: string): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (init.signal?.aborted) throw init.signal.reason ?? error;
      // A request body that failed its own verification (an upload of bad bytes) keeps its error.
      for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause)
        if (e instanceof StrataError) throw e;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      const hint =
        url.protocol === 'https:' && /SSL|TLS|EPROTO|WRONG_VERSION/i.test(String(why))
          ? '; if it only speaks plain HTTP, list it in STRATA_INSECURE_REGISTRIES'
          : '';
      throw upstreamError(redact(`cannot reach ${url.host} (${action}): ${why}${hint}`, this.#secrets), {
        host: url.host,
      });
    }
  }

  #authorizationFor(scope: Scope | null): string | null {
    if (this.#basic && this.#credentials) return this.#credentials.basicAuthorization();
    const cached = this.#tokens.get(scopeKey(scope));
    if (cached && cached.expiresAt > Date.now()) return cached.authorization;
    return null;
  }

  /** Answers a 401: Basic with credentials, or a bearer token from the realm. False when there is nothing to try. */
  async #answerChallenge(
    challenges: AuthChallenge[],
    scope: Scope | null,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const token = await this.#fetchToken(bearer, scope, signal);
      const cachedFor = Math.max(10, Math.min(token.expiresIn, 3600) - 10);
      this.#tokens.set(scopeKey(scope), {
        authorization: `Bearer ${token.token}`,
        expiresAt: Date.now() + cachedFor * 1000,
      });
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic') && this.#credentials && !this.#basic) {
      this.#basic = true;
      return true;
    }
    return false;
  }

  async #fetchToken(
    challenge: AuthChallenge,
    scope: Scope | null,
    signal?: AbortSignal,
  ): Promise<{ token: string; expiresIn: number }> {
    const realmText = challenge.params.realm;
    if (!realmText) throw upstreamError(`registry ${this.registry}: bearer challenge without realm`);
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw upstreamError(`registry ${this.registry}: invalid token realm`);
    }
    if (
      realm.protocol !== 'https:' &&
      !(realm.protocol === 'http:' && useHttp(realm.host, this.#transport))
    ) {
      throw upstreamError(`registry ${this.registry}: token realm ${realm.origin} must use HTTPS`);
    }
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    const scopes = new Set<string>();
    if (scope) scopes.add(scopeKey(scope));
    for (const s of (challenge.params.scope ?? '').split(' ')) if (s) scopes.add(s);
    for (const s of scopes) realm.searchParams.append('scope', s);
    if (this.#credentials) realm.searchParams.set('account', this.#credentials.username);
    const headers: Record<string, string> = { 'user-agent': this.#userAgent, accept: 'application/json' };
    if (this.#credentials) headers.authorization = this.#credentials.basicAuthorization();
    const action = 'get token';
    const res = await this.#fetch(
      realm,
      { method: 'GET', headers, redirect: 'manual', ...(signal ? { signal } : {}) },
      action,
    );
    if (!res.ok) {
      const text = new TextDecoder().decode(
        await readAllBounded(bodyChunks(res), maxErrorBody, 'token error').catch(() => new Uint8Array()),
      );
      throw registryError(res.status, text, {
        host: realm.host,
        action: 'get token',
        secrets: this.#secrets,
        hint: res.status === 401 || res.status === 403 ? this.#authHint() : undefined,
      });
    }
    const body = await readAllBounded(bodyChunks(res), maxTokenBody, 'token response');
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw upstreamError(`token server ${realm.host}: response is not JSON`);
    }
    const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '')
      throw upstreamError(`token server ${realm.host}: response has no token`);
    this.#secrets.push(token);
    const expiresIn = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
    return { token, expiresIn };
  }

  #authHint(): string {
    if (this.#credentials) return 'the credentials were rejected';
    if (this.#helperConfigured)
      return 'no credentials: Docker credential helpers (credsStore/credHelpers) are not supported';
    return `no credentials configured for ${this.registry}`;
  }

  async #expectOk(res: Response, action: string): Promise<void> {
    if (res.ok) return;
    await this.#fail(res, action);
  }

  async #expectStatus(res: Response, statuses: number[], action: string): Promise<void> {
    if (statuses.includes(res.status)) return;
    await this.#fail(res, action);
  }

  async #fail(res: Response, action: string): Promise<never> {
    let text = '';
    try {
      text = new TextDecoder().decode(await readAllBounded(bodyChunks(res), maxErrorBody, 'error body'));
    } catch {
      await discard(res);
    }
    if (res.ok) {
      throw upstreamError(
        redact(`registry ${this.registry}: ${action}: unexpected HTTP ${res.status}`, this.#secrets),
        {
          status: res.status,
        },
      );
    }
    throw registryError(res.status, text, {
      host: this.registry,
      action,
      secrets: this.#secrets,
      hint: res.status === 401 ? this.#authHint() : undefined,
    });
  }

  #location(res: Response): URL {
    const location = res.headers.get('location');
    if (!location) throw upstreamError(`registry ${this.registry}: upload response without Location`);
    const url = new URL(location, res.url || this.baseUrl);
    this.#checkRedirectTarget(this.baseUrl, url, 'upload');
    return url;
  }

  /** A foreign layer's URLs: fetched with no credentials at all, redirects followed likewise. */
  async #fetchForeign(blob: BlobRef, signal?: AbortSignal): Promise<Response> {
    let last: Response | undefined;
    for (const text of blob.urls ?? []) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        continue;
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && useHttp(url.host, this.#transport)))
        continue;
      for (let hops = 0; hops <= maxRedirects; hops++) {
        const res = await this.#fetch(
          url,
          {
            method: 'GET',
            redirect: 'manual',
            headers: { 'user-agent': this.#userAgent },
            ...(signal ? { signal } : {}),
          },
          'get foreign layer',
        );
        const location = res.headers.get('location');
        if ([301, 302, 303, 307, 308].includes(res.status) && location) {
          await discard(res);
          const next = new URL(location, url);
          this.#checkRedirectTarget(url, next, 'get foreign layer');
          url = next;
          continue;
        }
        if (res.ok) return res;
        if (last) await discard(last);
        last = res;
        break;
      }
    }
    if (last) return last;
    throw upstreamError(`blob ${blob.digest}: no usable URL for this foreign layer`, { digest: blob.digest });
  }
}

const scopeKey = (scope: Scope | null): string =>
  scope ? `repository:${scope.repository}:${scope.actions.join(',')}` : '';

function withDigest(location: URL, digest: Digest): URL {
  const url = new URL(location);
  url.searchParams.append('digest', digest);
  return url;
}

async function* bodyChunks(res: Response): AsyncGenerator<Uint8Array, void, undefined> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function discard(res: Response): Promise<void> {
  if (res.body && !res.bodyUsed) await res.body.cancel().catch(() => {});
}
