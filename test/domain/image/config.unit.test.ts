import { describe, expect, it } from 'vitest';
import { chainIds, type Digest, sha256Digest } from '../../../src/domain/digest.ts';
import {
  canonicalJson,
  commitImageConfig,
  emptyLayerDiffId,
  type ImageConfig,
  parseImageConfig,
  serializeImageConfig,
} from '../../../src/domain/image/config.ts';

const d1 = 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4' as Digest;
const d2 = 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa' as Digest;
const d3 = 'sha256:2d2b3bd5c3e8e4d4f0fc1d4a0b5b4e1de1d5fb4e4fa3a4b9a1f0c6f1d2b3a4c5' as Digest;

const base: ImageConfig = {
  created: '2024-01-01T00:00:00Z',
  author: 'base author',
  architecture: 'amd64',
  os: 'linux',
  config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/bin'] },
  rootfs: { type: 'layers', diff_ids: [d1, d2] },
  history: [
    { created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs' },
    { created: '2024-01-01T00:00:00Z', created_by: 'ENV PATH', empty_layer: true },
    { created: '2024-01-01T00:00:00Z', created_by: 'RUN apt-get' },
  ],
  'os.version': '1',
  container_config: { Cmd: ['legacy'] },
};

describe('ChainID', () => {
  it('matches the image-spec config.md test vector', () => {
    const l0 = 'sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1' as Digest;
    const ids = chainIds([l0, emptyLayerDiffId]);
    expect(ids[0]).toBe(l0);
    expect(ids[1]).toBe('sha256:c3191d32a37d7159b2e30830937d2e30268ad6c375a773a8994911a3aba9b93f');
  });
});

describe('parseImageConfig', () => {
  it('accepts a valid config (bytes or text)', () => {
    const text = JSON.stringify(base);
    expect(parseImageConfig(text).rootfs.diff_ids).toEqual([d1, d2]);
    expect(parseImageConfig(new TextEncoder().encode(text)).os).toBe('linux');
  });

  it.each([
    ['not json', 'not valid UTF-8 JSON'],
    ['[]', 'not a JSON object'],
    [JSON.stringify({ ...base, rootfs: undefined }), 'has no rootfs'],
    [JSON.stringify({ ...base, rootfs: { type: 'other', diff_ids: [] } }), 'rootfs.type must be "layers"'],
    [
      JSON.stringify({ ...base, rootfs: { type: 'layers', diff_ids: ['sha256:ABC'] } }),
      'must be sha256 digests',
    ],
    [JSON.stringify({ ...base, os: undefined }), 'needs architecture and os'],
    [JSON.stringify({ ...base, history: [{}] }), 'has 1 non-empty history entries for 2 diff_ids'],
  ])('refuses %s', (text, message) => {
    expect(() => parseImageConfig(text)).toThrow(message);
  });
});

describe('canonicalJson', () => {
  it('sorts keys, drops undefined members, adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, { d: 'x', c: undefined }], é: 'é' })).toBe(
      '{"a":[true,null,{"d":"x"}],"b":1,"é":"é"}',
    );
  });

  it('gives equal digests for equal configs whatever their key order', () => {
    const reverse = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverse)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reverse(v)]),
            )
          : value;
    const reordered = reverse(base) as ImageConfig;
    expect(Object.keys(reordered)[0]).toBe('container_config');
    expect(serializeImageConfig(reordered).imageId).toBe(serializeImageConfig(base).imageId);
    const { json, imageId } = serializeImageConfig(base);
    expect(imageId).toBe(sha256Digest(json));
  });
});

describe('commitImageConfig', () => {
  const created = '2025-06-01T12:00:00.000Z';

  it('appends the new diff_id and a history entry (docker commit)', () => {
    const config = commitImageConfig(base, {
      diffId: d3,
      createdBy: '/bin/sh -c echo hi',
      comment: 'msg',
      author: 'me',
      created,
    });
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [d1, d2, d3] });
    expect(config.history?.at(-1)).toEqual({
      created,
      author: 'me',
      created_by: '/bin/sh -c echo hi',
      comment: 'msg',
    });
    expect(config.history).toHaveLength(4);
    expect(config.created).toBe(created);
    expect(config.author).toBe('me');
    expect(config.architecture).toBe('amd64');
    expect(config['os.version']).toBe('1');
    expect(config.container_config).toBeUndefined();
    expect(config.config).toEqual(base.config);
    expect(parseImageConfig(canonicalJson(config)).rootfs.diff_ids).toHaveLength(3);
  });

  it('records an empty diff as an empty_layer history entry and no new diff_id', () => {
    for (const diffId of [null, emptyLayerDiffId]) {
      const config = commitImageConfig(base, { diffId, createdBy: 'sh', created });
      expect(config.rootfs.diff_ids).toEqual([d1, d2]);
      expect(config.history?.at(-1)).toEqual({
        created,
        author: 'base author',
        created_by: 'sh',
        empty_layer: true,
      });
      expect(() => parseImageConfig(canonicalJson(config))).not.toThrow();
    }
  });

  it('keeps the base author unless one is given, and takes a new container config', () => {
    const config = commitImageConfig(base, {
      diffId: d3,
      createdBy: 'x',
      created,
      containerConfig: { Cmd: ['run'] },
    });
    expect(config.author).toBe('base author');
    expect(config.config).toEqual({ Cmd: ['run'] });
  });

  it('gives a base without history one entry per layer so the result stays consistent', () => {
    const { history: _history, ...bare } = base;
    const config = commitImageConfig(bare as ImageConfig, { diffId: d3, createdBy: 'x', created });
    expect(config.history).toEqual([{}, {}, { created, author: 'base author', created_by: 'x' }]);
    expect(() => parseImageConfig(canonicalJson(config))).not.toThrow();
  });

  it('does not change the base config', () => {
    const before = JSON.stringify(base);
    commitImageConfig(base, { diffId: d3, createdBy: 'x', created });
    expect(JSON.stringify(base)).toBe(before);
  });
});
