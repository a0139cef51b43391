/**
 * `docker pull` through Strata from a real registry on loopback, on every backend. The oracle is
 * `umoci unpack` of the same fixture image: Strata's merged view must list exactly the same paths
 * with the same types, modes, owners, sizes, contents, link targets and device numbers (see
 * test/support/rootfsTree.ts for what is compared and the documented differences).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerProgress } from '../../src/app/importImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { pullImage } from '../../src/app/pullImage.ts';
import { shortId } from '../../src/domain/digest.ts';
import { findImage } from '../../src/projections/queries/images.ts';
import { hasFixtureTools, pushFixtures, skopeo, smallFixtureLayout } from '../support/fixtures.ts';
import { midDirectories, midFilesPerDirectory, midFixtureLayout } from '../support/midFixture.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../support/registry.ts';
import { compareTrees, strataTree, umociTree } from '../support/rootfsTree.ts';
import { eachBackend } from '../support/strata.ts';

const formats = ['oci', 'v2s2'] as const;

describe.skipIf(!hasRegistry() || !hasFixtureTools())('pull through Strata', () => {
  let registry: TestRegistry;
  let small: string;
  let mid: string;
  const ref = (image: string, format: string) => `${registry.host}/fixtures/${image}:${format}`;

  beforeAll(async () => {
    registry = await startRegistry();
    await pushFixtures(registry, { images: ['base', 'app1', 'app2', 'whiteouts', 'multi'] });
    small = await smallFixtureLayout();
    mid = await midFixtureLayout();
    for (const format of formats) {
      await skopeo([
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--format',
        format,
        `oci:${mid}:mid`,
        `docker://${ref('mid', format)}`,
      ]);
    }
    return () => registry.stop();
  }, 120_000);

  eachBackend('pull', (getStrata) => {
    let strata: Strata;
    beforeAll(async () => {
      strata = await getStrata();
    });

    const viewOf = async (reference: string) => {
      const image = (await findImage(strata.db, reference))!;
      return strataTree(strata.db, image.top_chain_id);
    };

    it('reports like docker pull; the second image sharing the base says Already exists', async () => {
      const progress: LayerProgress[] = [];
      const app1 = await pullImage(strata, ref('app1', 'oci'), { onProgress: (p) => progress.push(p) });
      expect(app1.layers.map((l) => l.status)).toEqual(['Pull complete', 'Pull complete']);
      expect(app1.lines).toEqual([
        'oci: Pulling from fixtures/app1',
        ...app1.layers.map((l) => `${shortId(l.digest)}: Pull complete`),
        `Digest: ${app1.manifestDigest}`,
        `Status: Downloaded newer image for ${ref('app1', 'oci')}`,
        ref('app1', 'oci'),
      ]);
      for (const layer of app1.layers) {
        const events = progress.filter((p) => p.digest === layer.digest);
        const bytes = events.filter((p) => p.status === 'Downloading').map((p) => p.current);
        expect(bytes.length).toBeGreaterThan(1);
        expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
        expect(bytes.at(-1)).toBe(events[0]!.total);
        expect(events.at(-1)).toMatchObject({ status: 'Pull complete', current: events[0]!.total });
      }

      progress.length = 0;
      const app2 = await pullImage(strata, ref('app2', 'oci'), { onProgress: (p) => progress.push(p) });
      expect(app2.layers.map((l) => l.status)).toEqual(['Already exists', 'Pull complete']);
      expect(app2.layers[0]!.digest).toBe(app1.layers[0]!.digest);
      expect(app2.lines.slice(1, 3)).toEqual([
        `${shortId(app2.layers[0]!.digest)}: Already exists`,
        `${shortId(app2.layers[1]!.digest)}: Pull complete`,
      ]);
      expect(progress.filter((p) => p.digest === app2.layers[0]!.digest).map((p) => p.status)).toEqual([
        'Already exists',
      ]);

      const row = (await findImage(strata.db, ref('app2', 'oci')))!;
      expect(row).toMatchObject({
        image_id: app2.imageId,
        source: 'pull',
        manifest_digest: app2.manifestDigest,
      });
      expect(row.repo_digests).toEqual([`${registry.host}/fixtures/app2@${app2.manifestDigest}`]);
    });

    it('pulling again is up to date; by digest too, with docker wording', async () => {
      const again = await pullImage(strata, ref('app1', 'oci'));
      expect(again.layers.map((l) => l.status)).toEqual(['Already exists', 'Already exists']);
      expect(again.lines.at(-2)).toBe(`Status: Image is up to date for ${ref('app1', 'oci')}`);
      const byDigest = await pullImage(strata, `${registry.host}/fixtures/app1@${again.manifestDigest}`);
      expect(byDigest.imageId).toBe(again.imageId);
      expect(byDigest.lines[0]).toBe(`${again.manifestDigest}: Pulling from fixtures/app1`);
      expect(byDigest.lines.at(-2)).toBe(
        `Status: Image is up to date for ${registry.host}/fixtures/app1@${again.manifestDigest}`,
      );
      expect(byDigest.lines.at(-1)).toBe(`${registry.host}/fixtures/app1@${again.manifestDigest}`);
    });

    for (const format of formats) {
      for (const image of ['app1', 'app2', 'whiteouts'] as const) {
        it(`${image} (${format}): the merged view equals umoci unpack`, async () => {
          await pullImage(strata, ref(image, format));
          expect(compareTrees(await viewOf(ref(image, format)), await umociTree(small, image))).toEqual([]);
        });
      }

      it(`the generated mid-size image (${format}, ≥ 2,000 files, 3 layers): the merged view equals umoci unpack`, async () => {
        const pulled = await pullImage(strata, ref('mid', format));
        expect(pulled.layers).toHaveLength(3);
        const view = await viewOf(ref('mid', format));
        expect(view.entries.size).toBeGreaterThan(midDirectories * midFilesPerDirectory);
        expect(compareTrees(view, await umociTree(mid, 'mid'))).toEqual([]);
        expect(view.entries.get('/gen/d06')).toMatchObject({ type: 'file' });
        expect(view.entries.get('/gen/d05')).toBeUndefined();
        expect(view.entries.get('/gen/d07/f007.txt')).toMatchObject({ mode: 0o4711 });
      }, 60_000);
    }

    it('whiteouts and the opaque directory are applied as umoci does', async () => {
      const view = await viewOf(ref('whiteouts', 'oci'));
      const paths = [...view.entries.keys()].filter((p) => p.startsWith('/data'));
      expect(paths).toEqual([
        '/data',
        '/data/keep',
        '/data/keep/a.txt',
        '/data/keep/b.txt',
        '/data/opaque',
        '/data/opaque/fresh.txt',
      ]);
    });

    it('picks the platform from an index', async () => {
      const arm64 = await pullImage(strata, ref('multi', 'oci'), { platform: 'linux/arm64' });
      const row = (await findImage(strata.db, arm64.imageId))!;
      expect((row.config as { architecture: string }).architecture).toBe('arm64');
      expect(arm64.layers.map((l) => l.status)).toEqual(['Already exists']);
    });
  });
});
