/**
 * `docker load` through Strata, on every backend: a `docker save` archive written by skopeo
 * (`docker-archive:`), an OCI layout directory and an OCI archive. The merged view is checked
 * against `umoci unpack` of the same image; a damaged archive appends nothing; an imported image
 * exports again with the same image id and DiffIDs.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportImage } from '../../src/app/exportImage.ts';
import { importLocalImage } from '../../src/app/importLocalImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { findImage } from '../../src/projections/queries/images.ts';
import { hasFixtureTools, skopeo, smallFixtureLayout } from '../support/fixtures.ts';
import { midFixtureLayout } from '../support/midFixture.ts';
import { compareTrees, strataTree, umociTree, unpackAndWalk } from '../support/rootfsTree.ts';
import { eachBackend } from '../support/strata.ts';

const run = promisify(execFile);

const eventCount = async (strata: Strata) =>
  Number((await sql<{ n: string }>`select count(*) as n from events`.execute(strata.db)).rows[0]!.n);

describe.skipIf(!hasFixtureTools())('import (docker load) through Strata', () => {
  let small: string;
  let mid: string;
  let work: string;
  let archive: string;
  let ociArchive: string;

  beforeAll(async () => {
    small = await smallFixtureLayout();
    mid = await midFixtureLayout();
    work = await mkdtemp(join(tmpdir(), 'strata-import-'));
    archive = join(work, 'app2.tar');
    await skopeo(['copy', '--quiet', `oci:${small}:app2`, `docker-archive:${archive}:fixtures/app2:latest`]);
    ociArchive = join(work, 'whiteouts.oci.tar');
    await skopeo(['copy', '--quiet', `oci:${small}:whiteouts`, `oci-archive:${ociArchive}:whiteouts`]);
  }, 120_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  eachBackend('import', (getStrata) => {
    let strata: Strata;
    beforeAll(async () => {
      strata = await getStrata();
    });

    it('a docker save archive made by skopeo: tagged from its RepoTags, merged view equals umoci unpack', async () => {
      const loaded = await importLocalImage(strata, archive);
      expect(loaded.lines).toEqual(['Loaded image: fixtures/app2:latest']);
      const row = (await findImage(strata.db, 'fixtures/app2'))!;
      expect(row).toMatchObject({ image_id: loaded.imageId, source: 'import' });
      expect(
        compareTrees(await strataTree(strata.db, row.top_chain_id), await umociTree(small, 'app2')),
      ).toEqual([]);
    });

    it('exports the imported image again: docker save keeps image id and DiffIDs; the OCI layout unpacks the same', async () => {
      const row = (await findImage(strata.db, 'fixtures/app2'))!;
      const out = await mkdtemp(join(work, `${strata.database.backend}-`));
      const resaved = join(out, 'again.tar');
      const saved = await exportImage(strata, 'fixtures/app2', { format: 'docker-archive', path: resaved });
      expect(saved.layers.map((l) => l.origin)).toEqual(['kept', 'kept']);
      const inspected = JSON.parse(await skopeo(['inspect', `docker-archive:${resaved}`])) as {
        Layers: string[];
        RepoTags: string[];
      };
      expect(inspected.Layers).toEqual(row.diff_ids);
      const { stdout } = await run('tar', ['-xOf', resaved, 'manifest.json']);
      expect((JSON.parse(stdout) as { RepoTags: string[] }[])[0]!.RepoTags).toEqual(['fixtures/app2:latest']);
      const layout = join(out, 'layout');
      // skopeo's docker-archive holds no manifest: the one synthesised on import is Docker schema2, which umoci refuses.
      await exportImage(strata, 'fixtures/app2', { format: 'oci', path: layout, manifestFormat: 'oci' });
      expect(compareTrees(await unpackAndWalk(layout, 'latest'), await umociTree(small, 'app2'))).toEqual([]);
    });

    it('an OCI layout: a bare ref.name tag loads untagged unless a tag is given; merged view equals umoci unpack', async () => {
      const untagged = await importLocalImage(strata, mid, { ref: 'mid' });
      expect(untagged.lines).toEqual([`Loaded image ID: ${untagged.imageId}`]);
      const tagged = await importLocalImage(strata, mid, { ref: 'mid', tag: 'mid:local' });
      expect(tagged.imageId).toBe(untagged.imageId);
      expect(tagged.lines).toEqual(['Loaded image: mid:local']);
      const row = (await findImage(strata.db, 'mid:local'))!;
      expect(
        compareTrees(await strataTree(strata.db, row.top_chain_id), await umociTree(mid, 'mid')),
      ).toEqual([]);
    }, 60_000);

    it('an OCI archive (oci-archive tar) with whiteouts', async () => {
      const loaded = await importLocalImage(strata, ociArchive, { tag: 'whiteouts:archive' });
      const row = (await findImage(strata.db, 'whiteouts:archive'))!;
      expect(row.image_id).toBe(loaded.imageId);
      expect(
        compareTrees(await strataTree(strata.db, row.top_chain_id), await umociTree(small, 'whiteouts')),
      ).toEqual([]);
    });

    it('a truncated archive fails and appends nothing; the intact one then loads', async () => {
      const broken = join(work, `broken-${strata.database.backend}.tar`);
      await copyFile(ociArchive, broken);
      await truncate(broken, Math.floor((await stat(broken)).size * 0.6));
      const before = await eventCount(strata);
      await expect(importLocalImage(strata, broken, { tag: 'broken:v1' })).rejects.toMatchObject({
        code: expect.stringMatching(/^(VALIDATION|INTEGRITY|NOT_FOUND)$/),
      });
      expect(await eventCount(strata)).toBe(before);
      expect(await findImage(strata.db, 'broken:v1')).toBeUndefined();
      await importLocalImage(strata, ociArchive, { tag: 'broken:v1' });
      expect(await findImage(strata.db, 'broken:v1')).toBeDefined();
    });
  });
});
