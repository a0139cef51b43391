import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStrataError, type StrataError } from '../../../src/domain/errors.ts';
import { RegistryClient } from '../../../src/oci/registry/client.ts';
import { RegistryCredentials } from '../../../src/oci/registry/credentials.ts';
import { openImage } from '../../../src/oci/registry/openImage.ts';
import { pushImage } from '../../../src/oci/registry/pushImage.ts';
import { hasFixtureTools, type PushedFixtures, pushFixtures } from '../../support/fixtures.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../../support/registry.ts';

async function caught(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  throw new Error('expected a StrataError');
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of source) n += chunk.byteLength;
  return n;
}

const expectNoSecret = (error: StrataError, secret: string) => {
  const shown = [error.message, JSON.stringify(error.details), inspect(error), error.stack ?? ''].join('\n');
  expect(shown).not.toContain(secret);
  expect(shown).not.toContain(Buffer.from(`alice:${secret}`).toString('base64'));
};

const ready = hasRegistry() && hasFixtureTools();

describe.skipIf(!ready)('htpasswd basic auth', () => {
  const password = 'alice-Pa55word!';
  let registry: TestRegistry;
  let pushed: PushedFixtures;
  let configDir: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd', users: { alice: password } });
    pushed = await pushFixtures(registry, { images: ['app1'], credentials: { username: 'alice', password } });
    configDir = await mkdtemp(join(tmpdir(), 'strata-docker-config-'));
  });
  afterAll(async () => {
    await registry?.stop();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('anonymous is UNAUTHORIZED and says no credentials are configured', async () => {
    const error = await caught(openImage(pushed.app1.oci, { credentials: null }));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toMatch(/no credentials configured/);
  });

  it('a wrong password is UNAUTHORIZED and never shows up anywhere', async () => {
    const wrong = 'not-the-Pa55word';
    const error = await caught(
      openImage(pushed.app1.oci, { credentials: new RegistryCredentials('alice', wrong) }),
    );
    expect(error.code).toBe('UNAUTHORIZED');
    expectNoSecret(error, wrong);
  });

  it('explicit credentials pull; the image holds none of them', async () => {
    const image = await openImage(pushed.app1.oci, {
      credentials: new RegistryCredentials('alice', password),
    });
    expect(await drain(image.openBlob(image.layers[1]!))).toBe(image.layers[1]!.size);
    expect(JSON.stringify(image)).not.toContain(password);
    expect(inspect(image, { depth: 10, showHidden: true })).not.toContain(password);
  });

  it('reads a Docker config file: base64 auth, username/password, keyed by URL or host', async () => {
    const auth = Buffer.from(`alice:${password}`).toString('base64');
    for (const auths of [
      { [`http://${registry.host}/v2/`]: { auth } },
      { [registry.host]: { username: 'alice', password } },
    ]) {
      await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths }));
      const image = await openImage(pushed.app1.v2s2, { env: { DOCKER_CONFIG: configDir } });
      expect(image.layers).toHaveLength(2);
    }
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: {}, credsStore: 'desktop' }));
    const helper = await caught(openImage(pushed.app1.v2s2, { env: { DOCKER_CONFIG: configDir } }));
    expect(helper.code).toBe('UNAUTHORIZED');
    expect(helper.message).toMatch(/credential helpers .* not supported/);
  });

  it('uses STRATA_REGISTRY_USERNAME/PASSWORD only for STRATA_REGISTRY_HOST', async () => {
    const env = {
      STRATA_REGISTRY_USERNAME: 'alice',
      STRATA_REGISTRY_PASSWORD: password,
      DOCKER_CONFIG: '/nonexistent',
    };
    await openImage(pushed.app1.oci, { env: { ...env, STRATA_REGISTRY_HOST: registry.host } });
    const elsewhere = await caught(
      openImage(pushed.app1.oci, { env: { ...env, STRATA_REGISTRY_HOST: 'registry.example.invalid' } }),
    );
    expect(elsewhere.code).toBe('UNAUTHORIZED');
  });

  it('pushes with basic auth', async () => {
    const credentials = new RegistryCredentials('alice', password);
    const image = await openImage(pushed.app1.oci, { credentials });
    const result = await pushImage(
      { registry: registry.host, repository: 'copies/app1', tag: 'pushed' },
      image,
      { credentials },
    );
    expect(result.manifestDigest).toBe(image.manifestDigest);
  });
});

describe.skipIf(!ready)('token auth (the registry in auth: token mode, our token server on loopback)', () => {
  const password = 'bob-t0ken-Secret';
  let registry: TestRegistry;
  let closed: TestRegistry;
  let pushed: PushedFixtures;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token', users: { bob: password }, anonymous: 'pull' });
    closed = await startRegistry({ auth: 'token', users: { bob: password }, anonymous: 'none' });
    pushed = await pushFixtures(registry, { images: ['app1'], credentials: { username: 'bob', password } });
  });
  afterAll(async () => {
    await registry?.stop();
    await closed?.stop();
  });

  it('anonymous pulls with an anonymous token', async () => {
    registry.tokenRequests.length = 0;
    const image = await openImage(pushed.app1.oci, { credentials: null });
    expect(await drain(image.openBlob(image.layers[0]!))).toBe(image.layers[0]!.size);
    expect(registry.tokenRequests.length).toBeGreaterThan(0);
    expect(registry.tokenRequests.every((r) => r.authenticatedAs === null)).toBe(true);
  });

  it('with credentials: one token per scope, reused for every request of that scope', async () => {
    registry.tokenRequests.length = 0;
    const client = new RegistryClient(registry.host, {
      credentials: new RegistryCredentials('bob', password),
    });
    const image = await openImage(pushed.app1.v2s2, { client });
    for (const layer of image.layers) await drain(image.openBlob(layer));
    await openImage(pushed.app1.oci, { client });
    expect(registry.tokenRequests).toHaveLength(1);
    expect(registry.tokenRequests[0]).toMatchObject({
      authenticatedAs: 'bob',
      account: 'bob',
      service: 'strata-test-registry',
      scopes: ['repository:fixtures/app1:pull'],
    });
  });

  it('pushes with a pull,push token; anonymous push is refused', async () => {
    const credentials = new RegistryCredentials('bob', password);
    const image = await openImage(pushed.app1.oci, { credentials });
    registry.tokenRequests.length = 0;
    const result = await pushImage(
      { registry: registry.host, repository: 'copies/token', tag: 'v1' },
      image,
      { credentials },
    );
    expect(result.manifestDigest).toBe(image.manifestDigest);
    expect(registry.tokenRequests.some((r) => r.scopes.includes('repository:copies/token:pull,push'))).toBe(
      true,
    );
    const refused = await caught(
      pushImage({ registry: registry.host, repository: 'copies/anonymous', tag: 'v1' }, image, {
        credentials: null,
      }),
    );
    expect(refused.code).toBe('UNAUTHORIZED');
  });

  it('a wrong password is refused by the token server, and the secret never shows', async () => {
    const wrong = 'wrong-t0ken-Secret';
    const error = await caught(
      openImage(pushed.app1.oci, { credentials: new RegistryCredentials('bob', wrong) }),
    );
    expect(error.code).toBe('UNAUTHORIZED');
    expectNoSecret(error, wrong);
  });

  it('a registry granting nothing anonymously is UNAUTHORIZED without credentials', async () => {
    const error = await caught(
      openImage({ registry: closed.host, repository: 'fixtures/app1', tag: 'oci' }, { credentials: null }),
    );
    expect(error.code).toBe('UNAUTHORIZED');
  });
});
