import { isIP } from 'node:net';
import { validationError } from '../../domain/errors.ts';

/** The reference domain of Docker Hub and the host its distribution API is served from (Docker's reference rules). */
export const dockerHubDomain = 'docker.io';
export const dockerHubApiHost = 'registry-1.docker.io';
const dockerHubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export const isDockerHub = (registry: string): boolean => dockerHubAliases.has(registry.toLowerCase());

/** Where the distribution API of a reference domain lives: `docker.io` → Docker Hub's registry-1 host. */
export const registryApiHost = (registry: string): string =>
  isDockerHub(registry) ? dockerHubApiHost : registry;

/** Splits `host[:port]`, `[v6]:port`, `::1`. The hostname is returned lower-case, without brackets. */
export function splitHost(hostPort: string): { hostname: string; port?: number } {
  const text = hostPort.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1]!, bracketed[2]);
  if (isIP(text) === 6) return { hostname: text.toLowerCase() };
  const match = /^([^:/\s]+)(?::(\d+))?$/.exec(text);
  if (!match) throw validationError(`invalid registry host "${hostPort}"`);
  return withPort(match[1]!, match[2]);
}

function withPort(hostname: string, port: string | undefined): { hostname: string; port?: number } {
  if (port === undefined) return { hostname: hostname.toLowerCase() };
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw validationError(`invalid port in registry host "${hostname}:${port}"`);
  return { hostname: hostname.toLowerCase(), port: n };
}

export function isLoopbackHost(hostPort: string): boolean {
  const { hostname } = splitHost(hostPort);
  if (hostname === 'localhost' || hostname === '::1') return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

/** `STRATA_INSECURE_REGISTRIES=host[:port],...`: an entry without a port matches every port of that host. */
export function parseInsecureRegistries(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

export function isInsecureAllowed(hostPort: string, insecureList: readonly string[]): boolean {
  const host = splitHost(hostPort);
  return insecureList.some((entry) => {
    const e = splitHost(entry);
    return e.hostname === host.hostname && (e.port === undefined || e.port === host.port);
  });
}

export interface TransportOptions {
  /** Force plain HTTP for this registry (like listing it in STRATA_INSECURE_REGISTRIES). */
  insecure?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** HTTPS, except for loopback registries and hosts the caller or STRATA_INSECURE_REGISTRIES marks insecure. */
export function useHttp(hostPort: string, options: TransportOptions = {}): boolean {
  if (options.insecure) return true;
  if (isLoopbackHost(hostPort)) return true;
  return isInsecureAllowed(
    hostPort,
    parseInsecureRegistries((options.env ?? process.env).STRATA_INSECURE_REGISTRIES),
  );
}

/** `https://registry-1.docker.io` for `docker.io`; `http://127.0.0.1:5000` for a loopback registry. */
export function registryBaseUrl(registry: string, options: TransportOptions = {}): URL {
  const apiHost = registryApiHost(registry);
  splitHost(apiHost);
  return new URL(`${useHttp(apiHost, options) ? 'http' : 'https'}://${apiHost}`);
}
