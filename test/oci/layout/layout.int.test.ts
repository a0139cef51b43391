import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStrataError, type StrataError } from '../../../src/domain/errors.ts';
import { openDockerArchive } from '../../../src/oci/layout/dockerArchive.ts';
import { listOciLayout, openOciLayout } from '../../../src/oci/layout/ociLayout.ts';
import { openLocalImage } from '../../../src/oci/layout/openLocal.ts';
import { writeDockerArchive } from '../../../src/oci/layout/writeDockerArchive.ts';
import { writeOciLayout } from '../../../src/oci/layout/writeOciLayout.ts';
import { mediaTypes } from '../../../src/oci/mediaTypes.ts';
import { openImage } from '../../../src/oci/registry/openImage.ts';
import type { ImageSource } from '../../../src/oci/types.ts';
import {
  hasFixtureTools,
  type PushedFixtures,
  pushFixtures,
  skopeo,
  smallFixtureLayout,
  umoci,
} from '../../support/fixtures.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../../support/registry.ts';
import { buildTar, file } from '../../support/tarBuilder.ts';

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

async function verifyAllBlobs(image: ImageSource): Promise<void> {
  for (const layer of image.layers) expect(sha256(await collect(image.openBlob(layer)))).toBe(layer.digest);
}

describe.skipIf(!hasRegistry() || !hasFixtureTools())('OCI layouts and docker save archives', () => {
  let layout: string;
  let work: string;
  let registry: TestRegistry;
  let pushed: PushedFixtures;

  beforeAll(async () => {
    layout = await smallFixtureLayout();
    work = await mkdtemp(join(tmpdir(), 'strata-layout-test-'));
    registry = await startRegistry();
    pushed = await pushFixtures(registry, { images: ['whiteouts', 'app1'] });
  });
  afterAll(async () => {
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reads the umoci-built layout: tags, manifests, shared base layer, platforms from an index', async () => {
    const refs = (await listOciLayout(layout)).map((e) => e.ref);
    expect(refs).toEqual(expect.arrayContaining(['base', 'app1', 'app2', 'whiteouts', 'multi']));
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    const app1 = await openOciLayout(layout, { ref: 'app1' });
    expect(app1.source).toBe('oci-layout');
    expect(app1.manifestDigest).toBe(
      index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === 'app1')!.digest,
    );
    expect(app1.manifestMediaType).toBe(mediaTypes.ociManifest);
    expect(app1.tags).toEqual(['app1']);
    await verifyAllBlobs(app1);
    const base = await openOciLayout(layout, { ref: 'base' });
    expect(app1.layers[0]).toEqual(base.layers[0]);
    const arm = await openOciLayout(layout, { ref: 'multi', platform: 'linux/arm/v7' });
    expect(arm.config.parsed.architecture).toBe('arm');
    expect(arm.index?.index.manifests).toHaveLength(3);
    const ambiguous = await caught(openOciLayout(layout));
    expect(ambiguous.code).toBe('VALIDATION');
    expect(ambiguous.message).toContain('app2');
  });

  it('reads a docker-archive written by skopeo, layers uncompressed with digest = DiffID', async () => {
    const archive = join(work, 'skopeo-app1.tar');
    await skopeo(['copy', '--quiet', `oci:${layout}:app1`, `docker-archive:${archive}:fixtures/app1:latest`]);
    const fromLayout = await openOciLayout(layout, { ref: 'app1' });
    const image = await openDockerArchive(archive);
    expect(image.source).toBe('docker-archive');
    expect(image.tags).toEqual(['docker.io/fixtures/app1:latest']); // skopeo qualifies the name
    expect(image.config.digest).toBe(fromLayout.config.digest);
    expect(image.layers.map((l) => l.diffId)).toEqual(fromLayout.layers.map((l) => l.diffId));
    for (const layer of image.layers) {
      expect(layer.compression).toBe('none');
      expect(layer.digest).toBe(layer.diffId);
    }
    await verifyAllBlobs(image);
    const again = await openLocalImage(archive, { ref: 'fixtures/app1' }); // normalised like docker does
    expect(again.config.digest).toBe(image.config.digest);
    expect((await caught(openDockerArchive(archive, { tag: 'nope:1' }))).code).toBe('NOT_FOUND');
  });

  it('writes a pulled image into an OCI layout under its original digests; skopeo and umoci read it', async () => {
    const target = join(work, 'written-layout');
    const oci = await openImage(pushed.whiteouts.oci);
    const v2s2 = await openImage(pushed.whiteouts.v2s2);
    const written = await writeOciLayout(target, oci, { ref: 'oci' });
    expect(written.manifestDigest).toBe(oci.manifestDigest);
    await writeOciLayout(target, v2s2, { ref: 'v2s2' });
    await writeOciLayout(target, oci, { ref: 'oci' }); // idempotent: replaces the entry
    const converted = await writeOciLayout(target, v2s2, { ref: 'v2s2-as-oci', manifestFormat: 'oci' });
    expect((await listOciLayout(target)).map((e) => e.ref).sort()).toEqual(['oci', 'v2s2', 'v2s2-as-oci']);

    const inspected = JSON.parse(await skopeo(['inspect', `oci:${target}:oci`])) as {
      Digest: string;
      Layers: string[];
    };
    expect(inspected.Digest).toBe(oci.manifestDigest);
    expect(inspected.Layers).toEqual(oci.layers.map((l) => l.digest));
    // skopeo 1.9 ignores Docker media types in a layout; the converted entry it reads.
    const inspectedV2 = JSON.parse(await skopeo(['inspect', `oci:${target}:v2s2-as-oci`])) as {
      Digest: string;
      Layers: string[];
    };
    expect(inspectedV2.Digest).toBe(converted.manifestDigest);
    expect(inspectedV2.Layers).toEqual(v2s2.layers.map((l) => l.digest));
    const convertedBack = await openOciLayout(target, { ref: 'v2s2-as-oci' });
    expect(convertedBack.config.digest).toBe(v2s2.config.digest);
    expect(convertedBack.manifestMediaType).toBe(mediaTypes.ociManifest);

    const back = await openOciLayout(target, { ref: 'v2s2' });
    expect(back.manifestDigest).toBe(v2s2.manifestDigest);
    expect(back.manifestMediaType).toBe(mediaTypes.dockerManifest);
    await verifyAllBlobs(back);

    // umoci applies the whiteouts and the opaque directory of the hand-built layer.
    const bundle = join(work, 'bundle');
    await umoci([
      'unpack',
      ...(process.getuid?.() === 0 ? [] : ['--rootless']),
      '--image',
      `${target}:oci`,
      bundle,
    ]);
    const data = join(bundle, 'rootfs', 'data');
    expect((await readdir(data)).sort()).toEqual(['keep', 'opaque']);
    expect((await readdir(join(data, 'opaque'))).sort()).toEqual(['fresh.txt']);
    expect(await readFile(join(data, 'keep', 'b.txt'), 'utf8')).toBe('b2\n');
    expect(await readFile(join(data, 'keep', 'a.txt'), 'utf8')).toBe('a\n');
    await rm(bundle, { recursive: true, force: true });
  });

  it('writes a docker save archive that skopeo reads, with the config digest and DiffIDs preserved', async () => {
    const image = await openImage(pushed.whiteouts.oci);
    const archive = join(work, 'whiteouts.tar');
    const written = await writeDockerArchive(archive, image, { repoTags: ['fixtures/whiteouts:latest'] });
    expect(written.configDigest).toBe(image.config.digest);
    expect(written.diffIds).toEqual(image.layers.map((l) => l.diffId));

    const inspected = JSON.parse(await skopeo(['inspect', `docker-archive:${archive}`])) as {
      Layers: string[];
      RepoTags: string[];
    };
    expect(inspected.Layers).toEqual(image.layers.map((l) => l.diffId));
    const copied = join(work, 'from-archive');
    await skopeo(['copy', '--quiet', `docker-archive:${archive}`, `oci:${copied}:t`]);
    const viaSkopeo = await openOciLayout(copied, { ref: 't' });
    // skopeo re-serialises the config on this path (its own docker-archive → oci copy does too): compare content.
    expect(viaSkopeo.config.parsed).toEqual(image.config.parsed);
    expect(viaSkopeo.layers.map((l) => l.diffId)).toEqual(image.layers.map((l) => l.diffId));

    // Also an OCI archive (Docker 25+ layout inside), readable by skopeo as oci-archive.
    const asOci = JSON.parse(await skopeo(['inspect', `oci-archive:${archive}:latest`])) as {
      Digest: string;
    };
    expect(asOci.Digest).toBe(written.ociManifestDigest);

    const read = await openDockerArchive(archive);
    expect(read.manifestOriginal).toBe(true);
    expect(read.manifestDigest).toBe(written.ociManifestDigest);
    expect(read.config.digest).toBe(image.config.digest);
    await verifyAllBlobs(read);
    const synthesised = await openDockerArchive(archive, { useOciLayout: false });
    expect(synthesised.manifestOriginal).toBe(false);
    expect(synthesised.tags).toEqual(['fixtures/whiteouts:latest']);
    expect(synthesised.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.diffId));
    await verifyAllBlobs(synthesised);

    // round trip: archive → layout → archive keeps the image ID
    const second = join(work, 'second.tar');
    expect((await writeDockerArchive(second, read, { repoTags: ['again:1'] })).configDigest).toBe(
      image.config.digest,
    );
  });

  it('a tampered layout blob fails INTEGRITY; writing from it leaves nothing behind', async () => {
    const copy = join(work, 'tampered');
    await cp(layout, copy, { recursive: true });
    const image = await openOciLayout(copy, { ref: 'app2' });
    const top = image.layers[1]!;
    const path = join(copy, 'blobs/sha256', top.digest.slice(7));
    const bytes = await readFile(path);
    bytes[bytes.length - 5]! ^= 0x55;
    await writeFile(path, bytes);
    expect((await caught(collect(image.openBlob(top)))).code).toBe('INTEGRITY');

    const target = join(work, 'not-written');
    const error = await caught(writeOciLayout(target, image, { ref: 'x' }));
    expect(error.code).toBe('INTEGRITY');
    const left = await readdir(join(target, 'blobs/sha256'));
    expect(left).not.toContain(top.digest.slice(7));
    expect(left.filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(await readdir(target)).not.toContain('index.json');

    const archive = join(work, 'not-written.tar');
    expect((await caught(writeDockerArchive(archive, image))).code).toBe('INTEGRITY');
    expect(
      (await readdir(work)).filter(
        (n) => n === 'not-written.tar' || n.startsWith('.tmp-') || n.startsWith('.strata-save-'),
      ),
    ).toEqual([]);
  });

  it('never uses an unvalidated digest as a path, nor follows a symlinked blob (CVE-2024-3727)', async () => {
    const evil = join(work, 'evil-layout');
    await mkdir(join(evil, 'blobs/sha256'), { recursive: true });
    await writeFile(join(evil, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(work, 'secret'), 'secret');
    const index = (digest: string) =>
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: mediaTypes.ociManifest,
            digest,
            size: 6,
            annotations: { 'org.opencontainers.image.ref.name': 'x' },
          },
        ],
      });
    for (const digest of [
      'sha256:../../secret',
      `sha256:${'a'.repeat(63)}/../../../secret`,
      'sha512:../secret',
      `SHA256:${'a'.repeat(64)}`,
    ]) {
      await writeFile(join(evil, 'index.json'), index(digest));
      const error = await caught(openOciLayout(evil, { ref: 'x' }));
      expect(error.code).toBe('VALIDATION');
    }
    const secretDigest = sha256(Buffer.from('secret'));
    await symlink(join(work, 'secret'), join(evil, 'blobs/sha256', secretDigest.slice(7)));
    await writeFile(join(evil, 'index.json'), index(secretDigest));
    const linked = await caught(openOciLayout(evil, { ref: 'x' }));
    expect(linked.code).toBe('VALIDATION');
    expect(linked.message).toContain('symbolic link');

    await writeFile(join(evil, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    expect((await caught(openOciLayout(evil))).code).toBe('VALIDATION');
  });

  it('rejects docker archives that point outside themselves or lie about their config', async () => {
    const config = new TextEncoder().encode(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    );
    const outside = join(work, 'outside.tar');
    await writeFile(
      outside,
      buildTar([
        file('config.json', config),
        file(
          'manifest.json',
          JSON.stringify([{ Config: '../../../etc/passwd', RepoTags: ['a:1'], Layers: [] }]),
        ),
      ]),
    );
    expect((await caught(openDockerArchive(outside))).code).toBe('VALIDATION');
    const lying = join(work, 'lying.tar');
    const wrongName = `${'b'.repeat(64)}.json`;
    await writeFile(
      lying,
      buildTar([
        file(wrongName, config),
        file('manifest.json', JSON.stringify([{ Config: wrongName, RepoTags: null, Layers: [] }])),
      ]),
    );
    expect((await caught(openDockerArchive(lying))).code).toBe('INTEGRITY');
    const fine = join(work, 'empty-image.tar');
    const configName = `${sha256(config).slice(7)}.json`;
    await writeFile(
      fine,
      buildTar([
        file(configName, config),
        file('manifest.json', JSON.stringify([{ Config: configName, RepoTags: null, Layers: [] }])),
      ]),
    );
    const empty = await openDockerArchive(fine);
    expect(empty.layers).toEqual([]);
    expect(empty.config.digest).toBe(sha256(config));
  });
});
