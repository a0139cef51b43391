/**
 * `strata save`, `load` and `push` against a real registry on loopback: an image pulled, saved as
 * a `docker save` archive, removed, loaded back with the same id, and pushed under a new name
 * with the same digests.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pushFixtures, skopeo } from '../support/fixtures.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { eachBackend } from '../support/strata.ts';
import { cliServer } from './cliHarness.ts';

describe('strata save / load / push', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
    await pushFixtures(registry, { images: ['app1'] });
    return () => registry.stop();
  }, 120_000);

  eachBackend('transfer', (getStrata) => {
    const s = cliServer(getStrata);

    it('saves, loads back the same image, and pushes with the same digests', async () => {
      const ref = `${registry.host}/fixtures/app1:oci`;
      expect((await s.cli(['pull', '-q', ref])).code).toBe(0);
      const id = (await s.cli(['images', '-q', '--no-trunc'])).stdout.trim();
      const dir = await mkdtemp(join(tmpdir(), 'strata-save-'));
      const archive = join(dir, 'app1.tar');

      const noOutput = await s.cli(['save', ref]);
      expect(noOutput.code).not.toBe(0);
      expect(noOutput.stderr).toContain('needs -o FILE');
      expect(await s.cli(['save', '-o', archive, ref])).toMatchObject({ code: 0, stderr: '' });
      const inspected = JSON.parse(await skopeo(['inspect', '--config', `docker-archive:${archive}`]));
      expect(inspected.rootfs.diff_ids).toHaveLength(2);

      expect((await s.cli(['rmi', ref])).code).toBe(0);
      expect((await s.cli(['images', '-q'])).stdout).toBe('');
      const loaded = await s.cli(['load', '-i', archive]);
      expect(loaded).toMatchObject({ code: 0, stderr: '' });
      expect(loaded.stdout).toBe(`Loaded image: ${ref}\n`);
      expect((await s.cli(['images', '-q', '--no-trunc'])).stdout.trim()).toBe(id);

      const target = `${registry.host}/copies/app1:v1`;
      expect((await s.cli(['tag', ref, target])).code).toBe(0);
      const pushed = await s.cli(['push', target]);
      expect(pushed).toMatchObject({ code: 0, stderr: '' });
      expect(pushed.stdout).toMatch(/v1: digest: sha256:[0-9a-f]{64} size: \d+/);
      const remote = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${target}`]));
      expect(remote.Layers).toHaveLength(2);
    }, 300_000);
  });
});
