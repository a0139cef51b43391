/**
 * Pull and push through Strata against registries that need credentials, read from a Docker-style
 * config.json in a temporary DOCKER_CONFIG (passed as `env`, process.env untouched): htpasswd basic
 * auth, and the bearer-token challenge flow with a token server on loopback. The secrets must not
 * reach any event (data or metadata) nor any read model.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Strata } from '../../src/app/openStrata.ts';
import { pullImage } from '../../src/app/pullImage.ts';
import { pushImage } from '../../src/app/pushImage.ts';
import { findImage } from '../../src/projections/queries/images.ts';
import { hasFixtureTools, pushFixtures } from '../support/fixtures.ts';
import { hasRegistry, type RegistryAuth, startRegistry, type TestRegistry } from '../support/registry.ts';
import { eachBackend } from '../support/strata.ts';

const variants: {
  auth: Exclude<RegistryAuth, 'none'>;
  user: string;
  password: string;
  config: 'auth' | 'username';
}[] = [
  { auth: 'htpasswd', user: 'alice', password: 'alice-Pa55word!', config: 'auth' },
  { auth: 'token', user: 'bob', password: 'b0b-T0ken-secret', config: 'username' },
];

/** Every text column that could carry a secret: events (data, metadata) and the image read models. */
async function dump(strata: Strata): Promise<string> {
  const events = await sql<{ t: string }>`select data::text || metadata::text as t from events`.execute(
    strata.db,
  );
  const images = await sql<{ t: string }>`select config::text || repo_digests::text as t from images`.execute(
    strata.db,
  );
  const tags = await sql<{ t: string }>`select reference as t from image_tags`.execute(strata.db);
  return [...events.rows, ...images.rows, ...tags.rows].map((r) => r.t).join('\n');
}

for (const variant of variants) {
  describe.skipIf(!hasRegistry() || !hasFixtureTools())(`${variant.auth} auth through Strata`, () => {
    let registry: TestRegistry;
    let configDir: string;
    let env: NodeJS.ProcessEnv;
    const secrets = () => [
      variant.password,
      Buffer.from(`${variant.user}:${variant.password}`).toString('base64'),
      'Bearer ',
      'Basic ',
    ];

    beforeAll(async () => {
      registry = await startRegistry({
        auth: variant.auth,
        users: { [variant.user]: variant.password },
        ...(variant.auth === 'token' ? { anonymous: 'none' as const } : {}),
      });
      await pushFixtures(registry, {
        images: ['app1'],
        credentials: { username: variant.user, password: variant.password },
      });
      configDir = await mkdtemp(join(tmpdir(), 'strata-docker-config-'));
      const entry =
        variant.config === 'auth'
          ? { auth: Buffer.from(`${variant.user}:${variant.password}`).toString('base64') }
          : { username: variant.user, password: variant.password };
      await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: { [registry.host]: entry } }));
      env = { ...process.env, DOCKER_CONFIG: configDir, HOME: configDir };
      delete env.STRATA_REGISTRY_USERNAME;
      delete env.STRATA_REGISTRY_PASSWORD;
      delete env.STRATA_REGISTRY_HOST;
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
      if (configDir) await rm(configDir, { recursive: true, force: true });
    });

    eachBackend(`${variant.auth} auth`, (getStrata) => {
      let strata: Strata;
      beforeAll(async () => {
        strata = await getStrata();
      });

      it('without credentials: UNAUTHORIZED, nothing appended', async () => {
        const ref = `${registry.host}/fixtures/app1:oci`;
        const emptyConfig = await mkdtemp(join(tmpdir(), 'strata-no-config-'));
        try {
          const anonymous = { ...env, DOCKER_CONFIG: emptyConfig, HOME: emptyConfig };
          await expect(pullImage(strata, ref, { env: anonymous })).rejects.toMatchObject({
            code: 'UNAUTHORIZED',
          });
        } finally {
          await rm(emptyConfig, { recursive: true, force: true });
        }
        expect(await findImage(strata.db, ref)).toBeUndefined();
      });

      it('pulls and pushes with the config.json credentials; no secret reaches an event or a read model', async () => {
        const ref = `${registry.host}/fixtures/app1:oci`;
        const pulled = await pullImage(strata, ref, { env });
        expect(pulled.layers.map((l) => l.status)).toEqual(['Pull complete', 'Pull complete']);
        expect((await findImage(strata.db, ref))?.image_id).toBe(pulled.imageId);
        if (variant.auth === 'token') {
          expect(registry.tokenRequests.length).toBeGreaterThan(0);
          expect(registry.tokenRequests.at(-1)!.authenticatedAs).toBe(variant.user);
        }
        const pushed = await pushImage(
          strata,
          ref,
          `${registry.host}/copies/app1-${strata.database.backend}:v1`,
          { env },
        );
        expect(pushed.manifestDigest).toBe(pulled.manifestDigest);
        const text = await dump(strata);
        expect(text).toContain(pulled.imageId.slice(7));
        for (const secret of secrets()) expect(text).not.toContain(secret);
      });
    });
  });
}
