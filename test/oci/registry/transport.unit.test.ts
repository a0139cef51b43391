import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChallenges } from '../../../src/oci/registry/challenge.ts';
import { RegistryClient } from '../../../src/oci/registry/client.ts';
import { lookupCredentials, normaliseRegistryKey } from '../../../src/oci/registry/credentials.ts';
import {
  dockerHubApiHost,
  isLoopbackHost,
  registryApiHost,
  registryBaseUrl,
  useHttp,
} from '../../../src/oci/registry/hosts.ts';
import { redact, registryError } from '../../../src/oci/registry/registryErrors.ts';

describe('transport rules', () => {
  it('plain HTTP only for loopback, STRATA_INSECURE_REGISTRIES and the insecure option', () => {
    for (const host of ['127.0.0.1:5000', '127.1.2.3', 'localhost', 'localhost:5000', '::1', '[::1]:5000']) {
      expect(isLoopbackHost(host), host).toBe(true);
      expect(useHttp(host, { env: {} }), host).toBe(true);
    }
    for (const host of ['registry.example.com', '10.0.0.1:5000', '128.0.0.1', 'localhost.example.com']) {
      expect(useHttp(host, { env: {} }), host).toBe(false);
    }
    const env = { STRATA_INSECURE_REGISTRIES: 'registry.lan:5000, mirror.lan' };
    expect(useHttp('registry.lan:5000', { env })).toBe(true);
    expect(useHttp('registry.lan:5001', { env })).toBe(false);
    expect(useHttp('mirror.lan:443', { env })).toBe(true);
    expect(useHttp('mirror.lan', { env })).toBe(true);
    expect(useHttp('registry.example.com', { insecure: true, env: {} })).toBe(true);
  });

  it('maps Docker Hub to its API host over HTTPS', () => {
    expect(registryApiHost('docker.io')).toBe(dockerHubApiHost);
    expect(registryApiHost('index.docker.io')).toBe(dockerHubApiHost);
    expect(registryBaseUrl('docker.io', { env: {} }).href).toBe(`https://${dockerHubApiHost}/`);
    expect(registryBaseUrl('ghcr.example:8443', { env: {} }).href).toBe('https://ghcr.example:8443/');
    expect(registryBaseUrl('127.0.0.1:5000').protocol).toBe('http:');
  });

  it('validates repository names and references before they become URL paths', async () => {
    const client = new RegistryClient('127.0.0.1:9', { credentials: null });
    await expect(client.getManifest('../etc', 'latest')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(client.getManifest('a/b', '../../x')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(client.getManifest('A/b', 'latest')).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

describe('WWW-Authenticate', () => {
  it('parses bearer challenges with quoted commas and several challenges', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry.example',
          scope: 'repository:a/b:pull,push',
        },
      },
    ]);
    expect(parseChallenges('Basic realm="x\\"y", Bearer realm=https://a/t')).toEqual([
      { scheme: 'basic', params: { realm: 'x"y' } },
      { scheme: 'bearer', params: { realm: 'https://a/t' } },
    ]);
    expect(parseChallenges(null)).toEqual([]);
  });
});

describe('credentials lookup', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-creds-'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
          'registry.lan:5000': { username: 'lan', password: 'lanpass' },
          'broken.lan': { auth: 'bm8tY29sb24=' },
        },
        credHelpers: { 'helper.lan': 'pass' },
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('normalises config keys', () => {
    expect(normaliseRegistryKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normaliseRegistryKey('http://Registry.lan:5000/v2/')).toBe('registry.lan:5000');
  });

  it('finds Docker config entries, env credentials only for their host, and notes helpers', () => {
    const env = { DOCKER_CONFIG: dir };
    expect(lookupCredentials('docker.io', { env }).credentials?.username).toBe('hubuser');
    expect(lookupCredentials('registry.lan:5000', { env }).credentials?.username).toBe('lan');
    expect(lookupCredentials('registry.lan:5001', { env }).credentials).toBeNull();
    expect(lookupCredentials('broken.lan', { env }).credentials).toBeNull();
    expect(lookupCredentials('helper.lan', { env })).toMatchObject({
      credentials: null,
      helperConfigured: true,
    });
    const withEnv = {
      ...env,
      STRATA_REGISTRY_HOST: 'docker.io',
      STRATA_REGISTRY_USERNAME: 'envuser',
      STRATA_REGISTRY_PASSWORD: 'envpass',
    };
    expect(lookupCredentials('index.docker.io', { env: withEnv })).toMatchObject({ source: 'env' });
    expect(lookupCredentials('registry.lan:5000', { env: withEnv }).credentials?.username).toBe('lan');
    const found = lookupCredentials('registry.lan:5000', { env });
    expect(JSON.stringify(found)).not.toContain('lanpass');
  });
});

describe('registry errors', () => {
  it('redacts secrets from registry messages', () => {
    expect(redact('token abc123 and abc123', ['abc123'])).toBe('token *** and ***');
    const error = registryError(
      401,
      JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'you sent s3cret' }] }),
      {
        host: 'h',
        action: 'get manifest',
        secrets: ['s3cret'],
      },
    );
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toBe('registry h: get manifest: you sent *** (UNAUTHORIZED)');
  });
});
