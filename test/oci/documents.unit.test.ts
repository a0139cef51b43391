import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isStrataError, type StrataError } from '../../src/domain/errors.ts';
import { parseImageConfig } from '../../src/oci/config.ts';
import { imageParts } from '../../src/oci/imageParts.ts';
import { blobPath } from '../../src/oci/layout/blobPath.ts';
import { encodeDocument, maxManifestBytes, parseManifestDocument } from '../../src/oci/manifest.ts';
import { manifestFor } from '../../src/oci/manifestFor.ts';
import { mediaTypes } from '../../src/oci/mediaTypes.ts';
import { parsePlatform, selectPlatform } from '../../src/oci/platform.ts';
import type { ImageIndex, ImageManifest } from '../../src/oci/types.ts';
import { verifyStream } from '../../src/oci/verifyStream.ts';

const sha = (data: string | Uint8Array) =>
  `sha256:${createHash('sha256').update(data).digest('hex')}` as const;
const bytes = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

function thrown(fn: () => unknown): StrataError {
  try {
    fn();
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  throw new Error('expected a StrataError');
}

const configBytes = bytes({
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [sha('a'), sha('b')] },
});
const manifest: ImageManifest = {
  schemaVersion: 2,
  mediaType: mediaTypes.ociManifest,
  config: { mediaType: mediaTypes.ociConfig, digest: sha(configBytes), size: configBytes.length },
  layers: [
    { mediaType: mediaTypes.ociLayerGzip, digest: sha('A'), size: 1 },
    { mediaType: mediaTypes.dockerLayerGzip, digest: sha('B'), size: 1 },
  ],
};

describe('parseManifestDocument', () => {
  it('takes the media type from Content-Type when the body has none (OCI allows that)', () => {
    const { mediaType: _m, ...bare } = manifest;
    const doc = parseManifestDocument(bytes(bare), {
      declaredMediaType: `${mediaTypes.ociManifest}; charset=utf-8`,
    });
    expect(doc.kind).toBe('manifest');
    expect(doc.mediaType).toBe(mediaTypes.ociManifest);
    expect(doc.digest).toBe(sha(bytes(bare)));
  });

  it('infers an OCI manifest or index from a generic Content-Type, but not a Docker manifest without mediaType', () => {
    const { mediaType: _m, ...bare } = manifest;
    expect(parseManifestDocument(bytes(bare), { declaredMediaType: 'application/json' }).mediaType).toBe(
      mediaTypes.ociManifest,
    );
    expect(parseManifestDocument(bytes({ schemaVersion: 2, manifests: [] })).mediaType).toBe(
      mediaTypes.ociIndex,
    );
    expect(
      thrown(() => parseManifestDocument(bytes(bare), { declaredMediaType: mediaTypes.dockerManifest }))
        .message,
    ).toMatch(/must carry its mediaType/);
  });

  it('rejects schema1, mismatches, ambiguity, unknown types, bad descriptors, oversize and wrong digests', () => {
    const cases: [unknown, string | undefined, RegExp][] = [
      [{ schemaVersion: 1 }, undefined, /schema1/],
      [{ schemaVersion: 2 }, 'application/vnd.docker.distribution.manifest.v1+json', /schema1/],
      [manifest, mediaTypes.dockerManifest, /disagrees/],
      [{ ...manifest, manifests: [] }, undefined, /ambiguous/],
      [
        { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [], config: manifest.config },
        undefined,
        /must not have/,
      ],
      [{ ...manifest, mediaType: mediaTypes.ociIndex }, undefined, /ambiguous|must not have/],
      [manifest, 'application/vnd.oci.artifact.manifest.v1+json', /unsupported manifest media type/],
      [
        { ...manifest, layers: [{ ...manifest.layers[0], digest: 'sha256:../../etc' }] },
        undefined,
        /invalid or unsupported digest/,
      ],
      [{ ...manifest, layers: [{ ...manifest.layers[0], size: -1 }] }, undefined, /invalid size/],
      [{ ...manifest, schemaVersion: 3 }, undefined, /schemaVersion/],
      ['not json', undefined, /not valid JSON/],
    ];
    for (const [doc, declared, message] of cases) {
      const error = thrown(() => parseManifestDocument(bytes(doc), { declaredMediaType: declared ?? null }));
      expect(error.code, String(message)).toBe('VALIDATION');
      expect(error.message).toMatch(message);
    }
    expect(thrown(() => parseManifestDocument(new Uint8Array(maxManifestBytes + 1))).message).toMatch(
      /over the/,
    );
    const wrong = thrown(() => parseManifestDocument(bytes(manifest), { expectedDigest: sha('other') }));
    expect(wrong.code).toBe('INTEGRITY');
  });
});

describe('image config and layers', () => {
  it('pairs layers with diff_ids and knows their compression', () => {
    const { layers, platform } = imageParts(manifest, configBytes);
    expect(layers.map((l) => [l.diffId, l.compression, l.foreign])).toEqual([
      [sha('a'), 'gzip', false],
      [sha('b'), 'gzip', false],
    ]);
    expect(platform).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('rejects configs that break the spec', () => {
    const config = (rootfs: unknown, extra: object = {}) =>
      bytes({ architecture: 'amd64', os: 'linux', rootfs, ...extra });
    expect(thrown(() => parseImageConfig(config({ type: 'tar', diff_ids: [] }))).message).toMatch(
      /must be "layers"/,
    );
    expect(thrown(() => parseImageConfig(config({ type: 'layers', diff_ids: ['nope'] }))).message).toMatch(
      /sha256/,
    );
    expect(
      thrown(() => parseImageConfig(config({ type: 'layers', diff_ids: [sha('a')] }), { layerCount: 2 }))
        .message,
    ).toMatch(/1 diff_ids but the manifest has 2/);
    const history = [{ created_by: 'a' }, { created_by: 'env', empty_layer: true }, { created_by: 'b' }];
    expect(
      parseImageConfig(config({ type: 'layers', diff_ids: [sha('a'), sha('b')] }, { history })).history,
    ).toHaveLength(3);
    expect(
      thrown(() => parseImageConfig(config({ type: 'layers', diff_ids: [sha('a')] }, { history }))).message,
    ).toMatch(/2 non-empty history entries for 1 diff_ids/);
  });

  it('rejects foreign layers unless allowed, and non-image configs', () => {
    const foreign: ImageManifest = {
      ...manifest,
      layers: [
        manifest.layers[0]!,
        {
          mediaType: mediaTypes.dockerForeignLayerGzip,
          digest: sha('B'),
          size: 1,
          urls: ['https://x.invalid/l'],
        },
      ],
    };
    expect(thrown(() => imageParts(foreign, configBytes)).message).toMatch(/foreign .* allowForeignLayers/);
    expect(imageParts(foreign, configBytes, { allowForeignLayers: true }).layers[1]).toMatchObject({
      foreign: true,
      urls: ['https://x.invalid/l'],
    });
    const withUrls: ImageManifest = {
      ...manifest,
      layers: [manifest.layers[0]!, { ...manifest.layers[1]!, urls: ['https://x.invalid/l'] }],
    };
    expect(thrown(() => imageParts(withUrls, configBytes)).code).toBe('VALIDATION');
    const helm: ImageManifest = {
      ...manifest,
      config: { ...manifest.config, mediaType: 'application/vnd.cncf.helm.config.v1+json' },
    };
    expect(thrown(() => imageParts(helm, configBytes)).message).toMatch(/not a container image/);
    const odd: ImageManifest = {
      ...manifest,
      layers: [manifest.layers[0]!, { ...manifest.layers[1]!, mediaType: 'application/x-tar+bzip2' }],
    };
    expect(thrown(() => imageParts(odd, configBytes)).message).toMatch(/unsupported media type/);
  });

  it('exports the original manifest bytes, or converts/synthesises an OCI manifest', () => {
    const original = encodeDocument({
      ...manifest,
      mediaType: mediaTypes.dockerManifest,
      config: { ...manifest.config, mediaType: mediaTypes.dockerConfig },
    });
    const layers = imageParts(manifest, configBytes).layers;
    const image = {
      manifestBytes: original,
      config: { bytes: configBytes },
      layers,
      openBlob: () => [] as never,
    };
    expect(manifestFor(image).digest).toBe(sha(original));
    const converted = manifestFor(image, { format: 'oci' });
    expect(converted.mediaType).toBe(mediaTypes.ociManifest);
    expect(converted.manifest.layers.map((l) => l.mediaType)).toEqual([
      mediaTypes.ociLayerGzip,
      mediaTypes.ociLayerGzip,
    ]);
    expect(converted.manifest.config.digest).toBe(sha(configBytes));
    const { manifestBytes: _b, ...bare } = image;
    expect(manifestFor(bare).digest).toBe(converted.digest);
    expect(thrown(() => manifestFor({ ...image, config: { bytes: bytes('{}') } })).message).toMatch(
      /config bytes hash/,
    );
  });
});

describe('platform selection', () => {
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: mediaTypes.ociManifest,
        digest: sha('amd64'),
        size: 1,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: mediaTypes.ociManifest,
        digest: sha('armv6'),
        size: 1,
        platform: { os: 'linux', architecture: 'arm', variant: 'v6' },
      },
      {
        mediaType: mediaTypes.ociManifest,
        digest: sha('armv7'),
        size: 1,
        platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
      },
      {
        mediaType: mediaTypes.ociManifest,
        digest: sha('arm64'),
        size: 1,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      {
        mediaType: mediaTypes.ociManifest,
        digest: sha('att'),
        size: 1,
        platform: { os: 'unknown', architecture: 'unknown' },
      },
    ],
  };
  it('parses os/arch[/variant] with aliases', () => {
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('Linux/aarch64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(thrown(() => parsePlatform('linux')).code).toBe('VALIDATION');
  });
  it('picks by os, architecture and (default) variant', () => {
    expect(selectPlatform(index, parsePlatform('linux/amd64')).digest).toBe(sha('amd64'));
    expect(selectPlatform(index, parsePlatform('linux/arm')).digest).toBe(sha('armv7'));
    expect(selectPlatform(index, parsePlatform('linux/arm/v6')).digest).toBe(sha('armv6'));
    expect(selectPlatform(index, parsePlatform('linux/arm64')).digest).toBe(sha('arm64'));
    const missing = thrown(() => selectPlatform(index, parsePlatform('windows/amd64')));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.details.available).toEqual([
      'linux/amd64',
      'linux/arm/v6',
      'linux/arm/v7',
      'linux/arm64/v8',
    ]);
  });
});

describe('verifyStream and blob paths', () => {
  const data = bytes('hello world, in three chunks');
  const chunks = [data.subarray(0, 5), data.subarray(5, 12), data.subarray(12)];
  async function run(expected: { digest: `sha256:${string}`; size: number }) {
    const seen: Uint8Array[] = [];
    try {
      for await (const chunk of verifyStream(chunks, expected)) seen.push(chunk);
      return { seen, error: null };
    } catch (error) {
      return { seen, error: error as StrataError };
    }
  }
  it('passes matching data through and withholds the last chunk of bad data', async () => {
    expect((await run({ digest: sha(data), size: data.length })).seen).toHaveLength(3);
    const bad = await run({ digest: sha('other'), size: data.length });
    expect(bad.error?.code).toBe('INTEGRITY');
    expect(bad.seen).toHaveLength(2);
    const long = await run({ digest: sha(data), size: 6 });
    expect(long.error?.message).toMatch(/more than the expected 6 bytes/);
    const short = await run({ digest: sha(data), size: 100 });
    expect(short.error?.message).toMatch(/got 28 bytes, expected 100/);
  });
  it('turns only well-formed sha256 digests into paths', () => {
    expect(blobPath(sha('x'))).toBe(`blobs/sha256/${sha('x').slice(7)}`);
    for (const evil of [
      'sha256:../../etc/passwd',
      `sha256:${'A'.repeat(64)}`,
      `sha512:${'a'.repeat(128)}`,
      `sha256:${'a'.repeat(64)}/..`,
    ]) {
      expect(thrown(() => blobPath(evil)).code).toBe('VALIDATION');
    }
  });
});
