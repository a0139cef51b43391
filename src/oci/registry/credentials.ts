import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { validationError } from '../../domain/errors.ts';
import { isDockerHub } from './hosts.ts';

/**
 * Username and password for one registry. The password lives in a private field: it is not an own
 * property, so JSON.stringify, structuredClone, spread and util.inspect never reveal it.
 */
export class RegistryCredentials {
  readonly #password: string;
  constructor(
    readonly username: string,
    password: string,
  ) {
    if (username.includes(':')) throw validationError('registry username must not contain ":"');
    this.#password = password;
  }

  basicAuthorization(): string {
    return `Basic ${Buffer.from(`${this.username}:${this.#password}`).toString('base64')}`;
  }

  /** Every form in which the secret could show up, for redaction. */
  secrets(): string[] {
    const pair = `${this.username}:${this.#password}`;
    return [
      this.#password,
      pair,
      Buffer.from(pair).toString('base64'),
      encodeURIComponent(this.#password),
    ].filter((s) => s.length >= 3);
  }

  toJSON() {
    return { username: this.username, password: '***' };
  }

  [inspect.custom]() {
    return `RegistryCredentials { username: ${JSON.stringify(this.username)}, password: *** }`;
  }
}

export interface CredentialLookupOptions {
  env?: NodeJS.ProcessEnv;
  /** Path to a Docker-style config.json; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfigPath?: string;
}

export interface CredentialLookup {
  credentials: RegistryCredentials | null;
  /** Where they came from (never the secret): 'env', the config path, or null. */
  source: string | null;
  /** The config names a credential helper for this host: unsupported, so the lookup found nothing usable. */
  helperConfigured: boolean;
}

/**
 * Credentials for `registry` (the reference domain, e.g. `docker.io` or `127.0.0.1:5000`):
 *  1. `STRATA_REGISTRY_USERNAME` / `STRATA_REGISTRY_PASSWORD`, applied only to the host named by
 *     `STRATA_REGISTRY_HOST` (never sent to any other registry);
 *  2. the `auths` of a Docker config file (`auth` = base64 "user:pass", or `username`/`password`).
 * Credential helpers (`credsStore`, `credHelpers`) and `identitytoken` are not supported.
 */
export function lookupCredentials(registry: string, options: CredentialLookupOptions = {}): CredentialLookup {
  const env = options.env ?? process.env;
  const wanted = normaliseRegistryKey(registry);
  const {
    STRATA_REGISTRY_USERNAME: user,
    STRATA_REGISTRY_PASSWORD: password,
    STRATA_REGISTRY_HOST: host,
  } = env;
  if (user && password !== undefined && host && normaliseRegistryKey(host) === wanted) {
    return { credentials: new RegistryCredentials(user, password), source: 'env', helperConfigured: false };
  }
  const path =
    options.dockerConfigPath ??
    join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
  let config: DockerConfigFile;
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as DockerConfigFile;
  } catch {
    return { credentials: null, source: null, helperConfigured: false };
  }
  const helperConfigured =
    (typeof config.credsStore === 'string' && config.credsStore !== '') ||
    Object.keys(config.credHelpers ?? {}).some((key) => normaliseRegistryKey(key) === wanted);
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (normaliseRegistryKey(key) !== wanted || typeof entry !== 'object' || entry === null) continue;
    const credentials = credentialsFromEntry(entry);
    if (credentials) return { credentials, source: path, helperConfigured };
  }
  return { credentials: null, source: null, helperConfigured };
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

function credentialsFromEntry(entry: {
  auth?: string;
  username?: string;
  password?: string;
}): RegistryCredentials | null {
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return null;
    return new RegistryCredentials(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
  if (typeof entry.username === 'string' && entry.username !== '' && typeof entry.password === 'string') {
    return new RegistryCredentials(entry.username, entry.password);
  }
  return null;
}

/** `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/v2/` → `host:5000`. */
export function normaliseRegistryKey(key: string): string {
  const host = key
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/.*$/, '');
  return isDockerHub(host) ? 'docker.io' : host;
}
