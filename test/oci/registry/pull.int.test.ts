import { createHash } from 'node:crypto';
import { copyFile, readFile, truncate, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStrataError, type StrataError } from '../../../src/domain/errors.ts';
import { mediaTypes } from '../../../src/oci/mediaTypes.ts';
import { RegistryClient } from '../../../src/oci/registry/client.ts';
import { openImage } from '../../../src/oci/registry/openImage.ts';
import { pushImage } from '../../../src/oci/registry/pushImage.ts';
import type { ImageSource } from '../../../src/oci/types.ts';
import { hasFixtureTools, type PushedFixtures, pushFixtures, skopeo } from '../../support/fixtures.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../../support/registry.ts';

const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}

async function caught(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  throw new Error('expected a StrataError');
}

const gunzip = (data: Uint8Array) => collect(Readable.from([data]).pipe(createGunzip()));

describe.skipIf(!hasRegistry() || !hasFixtureTools())('pulling from a real registry on loopback', () => {
  let registry: TestRegistry;
  let pushed: PushedFixtures;

  beforeAll(async () => {
    registry = await startRegistry();
    pushed = await pushFixtures(registry);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  describe.each(['v2s2', 'oci'] as const)('%s format', (format) => {
    it('opens manifest and config, streams every layer verified, diff_ids match the uncompressed tars', async () => {
      const image = await openImage(pushed.app1[format]);
      expect(image.source).toBe('registry');
      expect(image.manifestMediaType).toBe(
        format === 'v2s2' ? mediaTypes.dockerManifest : mediaTypes.ociManifest,
      );
      expect(image.manifestDigest).toBe(sha256(image.manifestBytes));
      expect(image.config.mediaType).toBe(format === 'v2s2' ? mediaTypes.dockerConfig : mediaTypes.ociConfig);
      expect(image.config.digest).toBe(sha256(image.config.bytes));
      expect(image.config.parsed.rootfs.type).toBe('layers');
      expect(image.config.parsed.config?.Cmd).toEqual(['/bin/cat', '/app/one.txt']);
      expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
      expect(image.layers).toHaveLength(2);
      for (const [i, layer] of image.layers.entries()) {
        expect(layer.compression).toBe('gzip');
        expect(layer.diffId).toBe(image.config.parsed.rootfs.diff_ids[i]);
        const progress: number[] = [];
        const blob = await collect(image.openBlob(layer, { onProgress: (n) => progress.push(n) }));
        expect(blob.byteLength).toBe(layer.size);
        expect(sha256(blob)).toBe(layer.digest);
        expect(progress.at(-1)).toBe(layer.size);
        expect(sha256(await gunzip(blob))).toBe(layer.diffId);
      }
    });

    it('agrees with skopeo on the manifest digest and config', async () => {
      const image = await openImage(pushed.app2[format]);
      const inspected = JSON.parse(
        await skopeo([
          'inspect',
          '--tls-verify=false',
          `docker://${registry.host}/${pushed.app2[format].repository}:${format}`,
        ]),
      ) as { Digest: string; Layers: string[]; Labels: Record<string, string> };
      expect(inspected.Digest).toBe(image.manifestDigest);
      expect(inspected.Layers).toEqual(image.layers.map((l) => l.digest));
      expect(inspected.Labels).toEqual({ 'org.example.app': 'two' });
    });

    it('two images share the base layer', async () => {
      const [base, app1, app2] = await Promise.all([
        openImage(pushed.base[format]),
        openImage(pushed.app1[format]),
        openImage(pushed.app2[format]),
      ]);
      expect(app1.layers[0]).toEqual(base.layers[0]);
      expect(app2.layers[0]).toEqual(base.layers[0]);
      expect(app1.layers[1]!.digest).not.toBe(app2.layers[1]!.digest);
    });

    it('the whiteout image has its hand-built layer', async () => {
      const image = await openImage(pushed.whiteouts[format]);
      expect(image.layers).toHaveLength(3);
      const top = image.layers[2]!;
      const tar = await gunzip(await collect(image.openBlob(top)));
      const names = tarNames(tar);
      expect(names).toEqual(
        expect.arrayContaining([
          'data/.wh.gone.txt',
          'data/.wh.gonedir',
          'data/opaque/.wh..wh..opq',
          'data/opaque/fresh.txt',
        ]),
      );
    });

    it('selects a platform from the index (default linux/amd64)', async () => {
      const amd64 = await openImage(pushed.multi[format]);
      expect(amd64.platform).toEqual({ os: 'linux', architecture: 'amd64' });
      expect(amd64.index?.mediaType).toBe(
        format === 'v2s2' ? mediaTypes.dockerManifestList : mediaTypes.ociIndex,
      );
      expect(amd64.index?.index.manifests).toHaveLength(3);
      const arm64 = await openImage(pushed.multi[format], { platform: 'linux/arm64' });
      expect(arm64.config.parsed.architecture).toBe('arm64');
      expect(arm64.manifestDigest).not.toBe(amd64.manifestDigest);
      const armv7 = await openImage(pushed.multi[format], { platform: 'linux/arm/v7' });
      expect(armv7.config.parsed.architecture).toBe('arm');
      expect(armv7.layers[0]!.digest).toBe(amd64.layers[0]!.digest);
      const missing = await caught(openImage(pushed.multi[format], { platform: 'linux/s390x' }));
      expect(missing.code).toBe('NOT_FOUND');
      expect(missing.message).toContain('linux/arm64');
    });

    it('opening by digest verifies the manifest against it', async () => {
      const byTag = await openImage(pushed.app1[format]);
      const { tag: _tag, ...rest } = pushed.app1[format];
      const byDigest = await openImage({ ...rest, digest: byTag.manifestDigest });
      expect(byDigest.manifestDigest).toBe(byTag.manifestDigest);
      expect(byDigest.reference).toBe(`${registry.host}/fixtures/app1@${byTag.manifestDigest}`);
    });
  });

  it('accepts references as users type them', async () => {
    const image = await openImage(`${registry.host}/fixtures/app1:oci`);
    expect(image.reference).toBe(`${registry.host}/fixtures/app1:oci`);
    const latest = await caught(openImage(`${registry.host}/fixtures/app1`));
    expect(latest.code).toBe('NOT_FOUND');
    expect(latest.message).toContain('fixtures/app1:latest');
    const byDigest = await openImage(`${registry.host}/fixtures/app1@${image.manifestDigest}`);
    expect(byDigest.manifestDigest).toBe(image.manifestDigest);
    expect((await caught(openImage('Not A Reference'))).code).toBe('VALIDATION');
  });

  it('a single-platform image asked for another platform is NOT_FOUND', async () => {
    const error = await caught(openImage(pushed.base.oci, { platform: 'linux/arm64' }));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('missing tags and repositories are NOT_FOUND with the registry message', async () => {
    const noTag = await caught(
      openImage({ registry: registry.host, repository: 'fixtures/app1', tag: 'nope' }),
    );
    expect(noTag.code).toBe('NOT_FOUND');
    expect(noTag.message).toMatch(/manifest unknown/i);
    const noRepo = await caught(
      openImage({ registry: registry.host, repository: 'fixtures/none', tag: 'latest' }),
    );
    expect(noRepo.code).toBe('NOT_FOUND');
  });

  it('a tampered layer in the registry storage fails INTEGRITY without releasing all its bytes', async () => {
    const image = await openImage(pushed.app2.oci);
    const layer = image.layers[1]!;
    const path = registry.blobDataPath(layer.digest);
    const original = await readFile(path);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 10]! ^= 0xff;
    await writeFile(path, tampered);
    try {
      let delivered = 0;
      const error = await caught(
        (async () => {
          for await (const chunk of image.openBlob(layer)) delivered += chunk.byteLength;
        })(),
      );
      expect(error.code).toBe('INTEGRITY');
      expect(error.message).toContain(layer.digest);
      expect(delivered).toBeLessThan(layer.size);

      // Pushing from a source whose blob is bad uploads nothing under that digest.
      const pushError = await caught(
        pushImage({ registry: registry.host, repository: 'copies/tampered', tag: 'v1' }, image, {
          chunkSize: 1 << 20,
        }),
      );
      expect(pushError.code).toBe('INTEGRITY');
      const monoError = await caught(
        pushImage({ registry: registry.host, repository: 'copies/tampered2', tag: 'v1' }, image),
      );
      expect(monoError.code).toBe('INTEGRITY');
      const client = new RegistryClient(registry.host);
      expect(await client.headManifest('copies/tampered2', 'v1')).toBeNull();

      // The registry still announces the original length, then closes early: a transfer failure.
      await truncate(path, original.length - 100);
      let shortDelivered = 0;
      const short = await caught(
        (async () => {
          for await (const chunk of image.openBlob(layer)) shortDelivered += chunk.byteLength;
        })(),
      );
      expect(short.code).toBe('UPSTREAM');
      expect(short.message).toMatch(/failed after \d+ bytes/);
      expect(shortDelivered).toBeLessThan(layer.size);
    } finally {
      await writeFile(path, original);
    }
    expect(sha256(await collect(image.openBlob(layer)))).toBe(layer.digest);
  });

  it('a tampered config makes openImage fail INTEGRITY and return nothing', async () => {
    const good = await openImage(pushed.whiteouts.v2s2);
    const path = registry.blobDataPath(good.config.digest);
    const backup = `${path}.bak`;
    await copyFile(path, backup);
    const text = (await readFile(path, 'utf8')).replace('"amd64"', '"AMD64"');
    await writeFile(path, text);
    try {
      const error = await caught(openImage(pushed.whiteouts.v2s2));
      expect(error.code).toBe('INTEGRITY');
    } finally {
      await copyFile(backup, path);
    }
  });

  it('pushes an image back with its original digests, monolithic and chunked', async () => {
    const source = await openImage(pushed.whiteouts.v2s2);
    const client = new RegistryClient(registry.host);
    const blobs: string[] = [];
    const mono = await pushImage({ registry: registry.host, repository: 'copies/mono', tag: 'v1' }, source, {
      client,
      onBlob: (d, outcome) => blobs.push(`${outcome}:${d}`),
    });
    expect(mono.manifestDigest).toBe(source.manifestDigest);
    expect(blobs.filter((b) => b.startsWith('uploaded:'))).toHaveLength(4);
    const chunked = await pushImage(
      { registry: registry.host, repository: 'copies/chunked', tag: 'v1' },
      source,
      {
        client,
        chunkSize: 64 * 1024,
      },
    );
    expect(chunked.manifestDigest).toBe(source.manifestDigest);
    for (const repository of ['copies/mono', 'copies/chunked']) {
      const back = await openImage({ registry: registry.host, repository, tag: 'v1' });
      expect(back.manifestDigest).toBe(source.manifestDigest);
      const top = back.layers[2]!;
      expect(sha256(await collect(back.openBlob(top)))).toBe(top.digest);
    }
    const again: string[] = [];
    await pushImage({ registry: registry.host, repository: 'copies/mono', tag: 'v2' }, source, {
      client,
      onBlob: (_digest, outcome) => again.push(outcome),
    });
    expect(again.every((o) => o === 'exists')).toBe(true);
    const inspected = JSON.parse(
      await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/copies/chunked:v1`]),
    ) as { Digest: string };
    expect(inspected.Digest).toBe(source.manifestDigest);
  });

  it('returned images hold no client or credentials', async () => {
    const image: ImageSource = await openImage(pushed.app1.oci);
    expect(Object.keys(image).sort()).toEqual(
      [
        'config',
        'layers',
        'manifest',
        'manifestBytes',
        'manifestDigest',
        'manifestMediaType',
        'manifestOriginal',
        'openBlob',
        'platform',
        'reference',
        'source',
        'tags',
      ].sort(),
    );
  });
});

/** Entry names of an uncompressed tar (ustar names; enough for the fixtures). */
function tarNames(tar: Uint8Array): string[] {
  const names: string[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      Buffer.from(header.subarray(start, start + length))
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = field(0, 100);
    names.push(prefix ? `${prefix}/${name}` : name);
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}
