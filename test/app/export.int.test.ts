/**
 * Images leave Strata again, on every backend: as an OCI layout (umoci unpacks it to the same tree
 * as the original), as a `docker save` archive (skopeo reads it: same image id and DiffIDs), and
 * pushed to a registry (skopeo inspect shows the same manifest, config and layer digests). Pulled
 * images reproduce their original manifest and blobs; a committed image's new layer is written
 * again from its entry table and must reproduce its DiffID.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitContainer } from '../../src/app/commitContainer.ts';
import { createContainerFrom } from '../../src/app/containers.ts';
import { exportImage } from '../../src/app/exportImage.ts';
import { changeMode, createHardlink, createSymlink, removePath, writeFile } from '../../src/app/files.ts';
import { removeImageByRef } from '../../src/app/images.ts';
import { importLocalImage } from '../../src/app/importLocalImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { pullImage } from '../../src/app/pullImage.ts';
import { pushImage } from '../../src/app/pushImage.ts';
import { lastPosition } from '../../src/eventStore/head.ts';
import { mediaTypes } from '../../src/oci/mediaTypes.ts';
import { findImage } from '../../src/projections/queries/images.ts';
import { hasFixtureTools, skopeo } from '../support/fixtures.ts';
import { midFixtureLayout } from '../support/midFixture.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../support/registry.ts';
import { compareTrees, strataTree, umociTree, unpackAndWalk } from '../support/rootfsTree.ts';
import { eachBackend } from '../support/strata.ts';

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

interface RawManifest {
  mediaType?: string;
  config: { digest: string; mediaType: string };
  layers: { digest: string; mediaType: string; size: number }[];
}

describe.skipIf(!hasRegistry() || !hasFixtureTools())('export and push through Strata', () => {
  let registry: TestRegistry;
  let mid: string;
  let work: string;
  const ref = (format: string) => `${registry.host}/fixtures/mid:${format}`;

  beforeAll(async () => {
    registry = await startRegistry();
    mid = await midFixtureLayout();
    for (const format of ['oci', 'v2s2']) {
      await skopeo([
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--format',
        format,
        `oci:${mid}:mid`,
        `docker://${ref(format)}`,
      ]);
    }
    work = await mkdtemp(join(tmpdir(), 'strata-export-'));
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  eachBackend('export', (getStrata) => {
    let strata: Strata;
    let out: string;
    beforeAll(async () => {
      strata = await getStrata();
      out = await mkdtemp(join(work, `${strata.database.backend}-`));
    });

    it('pull → OCI layout: the original manifest and blobs byte for byte; umoci unpacks the same tree', async () => {
      const pulled = await pullImage(strata, ref('oci'));
      const layout = join(out, 'mid-oci');
      const exported = await exportImage(strata, ref('oci'), { format: 'oci', path: layout });
      expect(exported).toMatchObject({
        imageId: pulled.imageId,
        manifestDigest: pulled.manifestDigest,
        originalManifest: true,
      });
      expect(exported.layers.map((l) => l.origin)).toEqual(['kept', 'kept', 'kept']);
      const original = new Set(await readdir(join(mid, 'blobs/sha256')));
      for (const blob of await readdir(join(layout, 'blobs/sha256'))) expect(original.has(blob)).toBe(true);
      expect(compareTrees(await unpackAndWalk(layout, 'oci'), await umociTree(mid, 'mid'))).toEqual([]);
    }, 60_000);

    it('a Docker schema2 pull keeps its manifest digest (by digest reference: the same config came as OCI first); as OCI (for umoci) it unpacks the same tree', async () => {
      const pulled = await pullImage(strata, ref('v2s2'));
      const byDigest = `${registry.host}/fixtures/mid@${pulled.manifestDigest}`;
      const kept = await exportImage(strata, byDigest, { format: 'oci', path: join(out, 'mid-v2s2') });
      expect(kept).toMatchObject({ manifestDigest: pulled.manifestDigest, originalManifest: true });
      const first = await exportImage(strata, ref('v2s2'), { format: 'oci', path: join(out, 'mid-first') });
      expect(first.manifestDigest).toBe((await findImage(strata.db, ref('v2s2')))!.manifest_digest);
      const layout = join(out, 'mid-v2s2-as-oci');
      const converted = await exportImage(strata, byDigest, {
        refName: 'v2s2',
        format: 'oci',
        path: layout,
        manifestFormat: 'oci',
      });
      expect(converted.originalManifest).toBe(false);
      expect(compareTrees(await unpackAndWalk(layout, 'v2s2'), await umociTree(mid, 'mid'))).toEqual([]);
    }, 60_000);

    for (const format of ['oci', 'v2s2']) {
      it(`pull → push under a new name (${format}): skopeo inspect shows the same manifest, config and layer digests`, async () => {
        const pulled = await pullImage(strata, ref(format));
        const destination = `${registry.host}/copies/mid-${strata.database.backend}:${format}`;
        const pushed = await pushImage(
          strata,
          `${registry.host}/fixtures/mid@${pulled.manifestDigest}`,
          destination,
        );
        expect(pushed.manifestDigest).toBe(pulled.manifestDigest);
        expect(pushed.lines[0]).toBe(
          `The push refers to repository [${registry.host}/copies/mid-${strata.database.backend}]`,
        );
        expect(pushed.lines.at(-1)).toMatch(
          new RegExp(`^${format}: digest: ${pulled.manifestDigest} size: \\d+$`),
        );
        const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${destination}`]);
        expect(sha256(raw)).toBe(pulled.manifestDigest);
        const manifest = JSON.parse(raw) as RawManifest;
        expect(manifest.config.digest).toBe(pulled.imageId);
        expect(manifest.layers.map((l) => l.digest)).toEqual(pulled.layers.map((l) => l.digest));
        const inspected = JSON.parse(
          await skopeo(['inspect', '--tls-verify=false', `docker://${destination}`]),
        ) as { Digest: string };
        expect(inspected.Digest).toBe(pulled.manifestDigest);
      });
    }

    it('pull → docker save archive: skopeo reads the same image id and DiffIDs, and it loads back', async () => {
      const pulled = await pullImage(strata, ref('oci'));
      const archive = join(out, 'mid.tar');
      const exported = await exportImage(strata, ref('oci'), { format: 'docker-archive', path: archive });
      expect(exported.imageId).toBe(pulled.imageId);
      const config = await skopeo(['inspect', '--config', '--raw', `docker-archive:${archive}`]);
      expect(sha256(config)).toBe(pulled.imageId);
      const inspected = JSON.parse(await skopeo(['inspect', `docker-archive:${archive}`])) as {
        Layers: string[];
        RepoTags: string[];
      };
      const row = (await findImage(strata.db, pulled.imageId))!;
      expect(inspected.Layers).toEqual(row.diff_ids);
      const loaded = await importLocalImage(strata, archive);
      expect(loaded.imageId).toBe(pulled.imageId);
      expect(loaded.lines).toEqual([`Loaded image: ${ref('oci')}`]);
    }, 60_000);

    it('commit → OCI layout: the new layer is written again from its entry table, and umoci shows the change', async () => {
      await pullImage(strata, ref('oci'));
      const name = `c-${strata.database.backend}`;
      await createContainerFrom(strata, { image: ref('oci'), name });
      await writeFile(strata, name, { path: '/gen/new/deep/hello.txt', content: 'committed\n', mode: 0o640 });
      await writeFile(strata, name, { path: '/gen/d00/f000.txt', content: 'changed\n' });
      await changeMode(strata, name, { path: '/gen/d01/f001.txt', mode: 0o4755 });
      await createSymlink(strata, name, { path: '/gen/link-to-hello', target: 'new/deep/hello.txt' });
      await createHardlink(strata, name, { path: '/gen/hard-hello', target: '/gen/new/deep/hello.txt' });
      await removePath(strata, name, { path: '/gen/d02', recursive: true });
      await removePath(strata, name, { path: '/gen/d03/f010.txt' });
      const imageId = await commitContainer(strata, {
        container: name,
        reference: `committed:${strata.database.backend}`,
      });

      const layout = join(out, 'committed');
      const exported = await exportImage(strata, `committed:${strata.database.backend}`, {
        format: 'oci',
        path: layout,
      });
      expect(exported.imageId).toBe(imageId);
      expect(exported.layers.map((l) => l.origin)).toEqual(['kept', 'kept', 'kept', 'regenerated']);
      expect(exported.originalManifest).toBe(false);
      const image = (await findImage(strata.db, imageId))!;
      const unpacked = await unpackAndWalk(layout, strata.database.backend);
      expect(compareTrees(await strataTree(strata.db, image.top_chain_id), unpacked)).toEqual([]);
      expect(unpacked.entries.get('/gen/new/deep/hello.txt')).toMatchObject({
        type: 'file',
        mode: 0o640,
        sha256: sha256('committed\n'),
      });
      expect(unpacked.entries.get('/gen/d00/f000.txt')).toMatchObject({ sha256: sha256('changed\n') });
      expect(unpacked.entries.get('/gen/d01/f001.txt')).toMatchObject({ mode: 0o4755 });
      expect(unpacked.entries.get('/gen/link-to-hello')).toMatchObject({
        type: 'symlink',
        linkTarget: 'new/deep/hello.txt',
      });
      expect(
        unpacked.hardlinks.get('/gen/new/deep/hello.txt') ?? unpacked.hardlinks.get('/gen/hard-hello'),
      ).toBeDefined();
      expect(unpacked.entries.has('/gen/d02')).toBe(false);
      expect(unpacked.entries.has('/gen/d03/f010.txt')).toBe(false);

      const manifest = JSON.parse(
        await skopeo(['inspect', '--raw', `oci:${layout}:${strata.database.backend}`]),
      ) as RawManifest;
      expect(manifest.layers.at(-1)).toMatchObject({
        mediaType: mediaTypes.ociLayerTar,
        digest: image.diff_ids.at(-1),
      });

      const destination = `${registry.host}/fixtures/mid:committed-${strata.database.backend}`;
      const pushed = await pushImage(strata, imageId, destination);
      expect(pushed.layers.map((l) => l.outcome)).toEqual([
        'Layer already exists',
        'Layer already exists',
        'Layer already exists',
        'Pushed',
      ]);
      const back = await pullImage(strata, destination);
      expect(back.imageId).toBe(imageId);
      expect(back.layers.map((l) => l.status)).toEqual([
        'Already exists',
        'Already exists',
        'Already exists',
        'Already exists',
      ]);

      const archive = join(out, 'committed.tar');
      await exportImage(strata, imageId, { format: 'docker-archive', path: archive });
      const inspected = JSON.parse(await skopeo(['inspect', `docker-archive:${archive}`])) as {
        Layers: string[];
      };
      expect(inspected.Layers).toEqual(image.diff_ids);
    }, 90_000);

    it('exports an image as of a position before it was removed', async () => {
      const pulled = await pullImage(strata, ref('oci'));
      await pullImage(strata, ref('v2s2'));
      const before = await lastPosition(strata.db);
      await removeImageByRef(strata, ref('oci'), false);
      await expect(
        exportImage(strata, ref('oci'), { format: 'oci', path: join(out, 'gone') }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const past = await exportImage(strata, ref('oci'), {
        format: 'oci',
        path: join(out, 'past'),
        asOf: before,
      });
      expect(past.manifestDigest).toBe(pulled.manifestDigest);
    });
  });
});
