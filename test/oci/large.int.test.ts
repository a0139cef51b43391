/**
 * The large fixture (Debian minbase by debootstrap, built by scripts/fixtures/build-large.sh and cached
 * outside the repo): pushed to a loopback registry, pulled back streaming, exported as a docker save
 * archive. Skipped until the fixture has been built.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLayerBlob } from '../../src/layers/layerBlob.ts';
import { defaultLayerLimits } from '../../src/layers/limits.ts';
import { openOciLayout } from '../../src/oci/layout/ociLayout.ts';
import { writeDockerArchive } from '../../src/oci/layout/writeDockerArchive.ts';
import { openImage } from '../../src/oci/registry/openImage.ts';
import { largeFixtureLayout, skopeo } from '../support/fixtures.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../support/registry.ts';

const layout = largeFixtureLayout();

describe.skipIf(!layout || !hasRegistry())('large image (>= 5,000 files, >= 100 MB)', () => {
  let registry: TestRegistry;
  let work: string;

  beforeAll(async () => {
    registry = await startRegistry();
    work = await mkdtemp(join(tmpdir(), 'strata-large-'));
    await skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${layout}:large`,
      `docker://${registry.host}/large/debian:oci`,
    ]);
  }, 300_000);
  afterAll(async () => {
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('pulls every layer streaming, verified against digest and DiffID', async () => {
    const stats = JSON.parse(await readFile(join(dirname(layout!), 'stats.json'), 'utf8')) as {
      entries: number;
      bytes: number;
    };
    expect(stats.entries).toBeGreaterThanOrEqual(5000);
    expect(stats.bytes).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    const image = await openImage(`${registry.host}/large/debian:oci`);
    const local = await openOciLayout(layout!, { ref: 'large' });
    expect(image.manifestDigest).toBe(local.manifestDigest);
    let uncompressed = 0;
    for (const layer of image.layers) {
      let progress = 0;
      const blob = openLayerBlob(image.openBlob(layer, { onProgress: (n) => (progress = n) }), {
        limits: defaultLayerLimits,
        expectedSize: layer.size,
        expectedDigest: layer.digest,
      });
      for await (const chunk of blob.chunks) uncompressed += chunk.byteLength;
      expect(progress).toBe(layer.size);
      expect(blob.stats().diffId).toBe(layer.diffId);
    }
    expect(uncompressed).toBeGreaterThanOrEqual(100 * 1024 * 1024);
  }, 300_000);

  it('exports a docker save archive skopeo accepts', async () => {
    const image = await openImage(`${registry.host}/large/debian:oci`);
    const archive = join(work, 'large.tar');
    const written = await writeDockerArchive(archive, image, { repoTags: ['large/debian:latest'] });
    expect(written.configDigest).toBe(image.config.digest);
    expect((await stat(archive)).size).toBeGreaterThan(100 * 1024 * 1024);
    const inspected = JSON.parse(await skopeo(['inspect', `docker-archive:${archive}`])) as {
      Layers: string[];
    };
    expect(inspected.Layers).toEqual(image.layers.map((l) => l.diffId));
  }, 300_000);
});
