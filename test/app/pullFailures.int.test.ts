/**
 * A pull that fails halfway leaves nothing behind: no event, no image, no tag, no layer row, no
 * chain view. Verified blobs may stay in the content store, so the retry downloads only the rest.
 * Failures are real: a blob tampered with in the registry's storage, a layer whose tar breaks the
 * safety rules, and the registry going away in the middle of a layer (a TCP proxy in front of it
 * that closes every connection and stops listening, then listens again on the same port).
 */

import { readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LayerProgress } from '../../src/app/importImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { pullImage } from '../../src/app/pullImage.ts';
import { isStrataError } from '../../src/domain/errors.ts';
import { pushImage } from '../../src/oci/registry/pushImage.ts';
import { findImage } from '../../src/projections/queries/images.ts';
import { hasFixtureTools, pushFixtures, skopeo } from '../support/fixtures.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { midFixtureLayout } from '../support/midFixture.ts';
import { freePort, hasRegistry, startRegistry, type TestRegistry } from '../support/registry.ts';
import { eachBackend } from '../support/strata.ts';
import { dir, file } from '../support/tarBuilder.ts';

/** Everything a pull could leave behind, counted. */
async function footprint(strata: Strata) {
  const count = async (table: string) =>
    Number(
      (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(strata.db)).rows[0]!.n,
    );
  return {
    events: await count('events'),
    images: await count('images'),
    tags: await count('image_tags'),
    layers: await count('layers'),
    layerEntries: await count('layer_entries'),
    chainFiles: await count('chain_files'),
  };
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  throw new Error('expected the pull to fail');
}

/** A TCP proxy standing for the registry: it can die mid-transfer and come back on the same port. */
class FlakyProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private forwarded = 0;
  private cutAfter = Number.POSITIVE_INFINITY;
  onCut: (() => void) | undefined;
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  get host() {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.forwarded = 0;
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(client).add(upstream);
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        this.forwarded += chunk.length;
        if (this.forwarded > this.cutAfter) void this.stop();
        else client.write(chunk);
      });
      upstream.on('end', () => client.end());
      for (const s of [client, upstream]) {
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          (s === client ? upstream : client).destroy();
        });
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** The next start() forwards normally; this one dies once `bytes` more have been forwarded. */
  dieAfter(bytes: number): void {
    this.cutAfter = this.forwarded + bytes;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.cutAfter = Number.POSITIVE_INFINITY;
    for (const socket of this.sockets) socket.destroy();
    this.onCut?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe.skipIf(!hasRegistry() || !hasFixtureTools())('pull failures leave nothing behind', () => {
  let registry: TestRegistry;
  let proxy: FlakyProxy;
  const repo = (name: string) => `${registry.host}/${name}`;

  beforeAll(async () => {
    registry = await startRegistry();
    await pushFixtures(registry, { images: ['app2'] });
    const mid = await midFixtureLayout();
    await skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${mid}:mid`,
      `docker://${repo('fixtures/mid:oci')}`,
    ]);
    const [host, port] = registry.host.split(':');
    proxy = new FlakyProxy(await freePort(), { host: host!, port: Number(port) });
    await proxy.start();
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  eachBackend('pull failures', (getStrata) => {
    let strata: Strata;
    beforeAll(async () => {
      strata = await getStrata();
    });

    it('a tampered layer blob: INTEGRITY, nothing appended; the retry after the fix completes without downloading the good layer again', async () => {
      const ref = repo('fixtures/app2:oci');
      const before = await footprint(strata);
      const manifest = JSON.parse(
        await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]),
      ) as {
        layers: { digest: string; size: number }[];
      };
      const top = manifest.layers.at(-1)!;
      const path = registry.blobDataPath(top.digest);
      const original = await readFile(path);
      const tampered = Buffer.from(original);
      tampered[tampered.length - 20]! ^= 0x55;
      await writeFile(path, tampered);
      try {
        const error = await failure(pullImage(strata, ref));
        expect(error.code).toBe('INTEGRITY');
        expect(error.message).toContain(top.digest);
      } finally {
        await writeFile(path, original);
      }
      expect(await footprint(strata)).toEqual(before);
      expect(await findImage(strata.db, ref)).toBeUndefined();

      const progress: LayerProgress[] = [];
      const retry = await pullImage(strata, ref, { onProgress: (p) => progress.push(p) });
      expect(retry.layers.map((l) => l.status)).toEqual(['Pull complete', 'Pull complete']);
      const base = retry.layers[0]!.digest;
      expect(
        progress.filter((p) => p.digest === base && p.status === 'Downloading' && p.current > 0),
      ).toEqual([]);
      expect((await findImage(strata.db, ref))?.image_id).toBe(retry.imageId);
      const after = await footprint(strata);
      expect(after.events).toBe(before.events + 5); // 2 LayerRegistered, ImageCreated, ImageTagged, TagAssigned
      expect(after.images).toBe(before.images + 1);
    });

    it('a layer whose tar breaks the safety rules: VALIDATION, nothing appended; a fixed push then pulls', async () => {
      const ref = repo(`bad/tar:${strata.database.backend}`);
      const good = [dir('etc'), file('etc/hostname', 'good\n')];
      const bad = memoryImage([good, [file('../escape', 'out of the root')]]);
      await pushImage(ref, bad);
      const before = await footprint(strata);
      const error = await failure(pullImage(strata, ref));
      expect(error.code).toBe('VALIDATION');
      expect(await footprint(strata)).toEqual(before);
      expect(await findImage(strata.db, ref)).toBeUndefined();

      await pushImage(ref, memoryImage([good, [file('inside', 'in the root')]]));
      const fixed = await pullImage(strata, ref);
      expect(fixed.layers.map((l) => l.status)).toEqual(['Pull complete', 'Pull complete']);
      expect((await findImage(strata.db, ref))?.image_id).toBe(fixed.imageId);
    });

    it('the registry going away in the middle of a layer: UPSTREAM, nothing appended; the retry completes', async () => {
      const ref = `${proxy.host}/fixtures/mid:oci`;
      const before = await footprint(strata);
      let cut = false;
      proxy.onCut = () => {
        cut = true;
      };
      // manifest + config + the 1 MB base layer pass; the proxy dies ~1 MB into the 3 MB /gen layer.
      proxy.dieAfter(2_200_000);
      const progress: LayerProgress[] = [];
      const error = await failure(pullImage(strata, ref, { onProgress: (p) => progress.push(p) }));
      expect(cut).toBe(true);
      expect(error.code).toBe('UPSTREAM');
      const partly = progress.filter(
        (p) => p.status === 'Downloading' && p.current > 0 && p.current < p.total,
      );
      expect(partly.length).toBeGreaterThan(0);
      expect(await footprint(strata)).toEqual(before);
      expect(await findImage(strata.db, ref)).toBeUndefined();

      await expect(pullImage(strata, ref)).rejects.toMatchObject({ code: 'UPSTREAM' });
      await proxy.start();
      const retry = await pullImage(strata, ref);
      expect(retry.layers).toHaveLength(3);
      expect((await findImage(strata.db, ref))?.image_id).toBe(retry.imageId);
      expect((await footprint(strata)).images).toBe(before.images + 1);
    });
  });
});
