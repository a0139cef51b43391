import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/domain/errors.ts';
import type { FsNode, LayerEntry } from '../../src/domain/fs/node.ts';
import { type FileSink, readLayer } from '../../src/layers/readLayer.ts';
import {
  blockDevice,
  buildLayer,
  buildTar,
  charDevice,
  chunked,
  concat,
  dir,
  fifo,
  file,
  gzip,
  hardlink,
  hasZstdCli,
  layerFromTar,
  opaque,
  raw,
  sha256,
  symlink,
  whiteout,
  zstdCli,
  zstdFrame,
} from '../support/tarBuilder.ts';

const EMPTY_TAR_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

const sampleSpecs = [
  dir('etc', { mode: 0o755, mtime: 1_600_000_000 }),
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n', { mode: 0o644 }),
  file('usr/bin/sudo', 'ELF', { mode: 0o4755, uid: 0, gid: 0 }),
  dir('tmp', { mode: 0o1777 }),
  dir('var/mail', { mode: 0o2775, gid: 8 }),
  symlink('etc/localtime', '/usr/share/zoneinfo/UTC'),
  hardlink('etc/passwd-', 'etc/passwd'),
  charDevice('dev/null', 1, 3),
  blockDevice('dev/sda', 8, 0),
  fifo('run/initctl', { mode: 0o600 }),
  whiteout('etc/shadow'),
  opaque('var/cache'),
];

/** A sink that stores contents by digest, as the content store will. */
function memorySink(): { sink: FileSink; store: Map<string, string>; seen: FsNode[] } {
  const store = new Map<string, string>();
  const seen: FsNode[] = [];
  const sink: FileSink = async (node, content) => {
    const parts: Buffer[] = [];
    for await (const chunk of content) parts.push(chunk as Buffer);
    expect(node.digest).toBeDefined();
    store.set(node.digest!, Buffer.concat(parts).toString());
    seen.push(node);
  };
  return { sink, store, seen };
}

const nodeAt = (entries: LayerEntry[], path: string): FsNode | undefined =>
  entries.flatMap((e) => (e.kind === 'node' && e.node.path === path ? [e.node] : [])).at(-1);

async function failure(promise: Promise<unknown>): Promise<StrataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StrataError);
  return error as StrataError;
}

describe('readLayer: formats and digests', () => {
  it.each(['none', 'gzip', 'zstd'] as const)(
    'given a %s layer, then the DiffID is the sha256 of the tar and the digest that of the blob',
    async (compression) => {
      const layer = buildLayer(sampleSpecs, { compression });
      const result = await readLayer(chunked(layer.blob, 1000));
      expect(result).toMatchObject({
        compression,
        diffId: layer.diffId,
        digest: layer.digest,
        size: layer.tar.length,
        compressedSize: layer.blob.length,
      });
      expect(result.entries).toHaveLength(sampleSpecs.length);
      expect(result.warnings).toEqual([]);
    },
  );

  it.skipIf(!hasZstdCli())(
    'given a layer really compressed by the zstd tool (with checksum), then it reads like the tar',
    async () => {
      const layer = buildLayer([...sampleSpecs, file('big', 'x'.repeat(300_000) + 'y'.repeat(300_000))]);
      const blob = zstdCli(layer.tar, 19);
      const result = await readLayer(chunked(blob, 8191), {
        expected: { digest: sha256(blob), diffId: layer.diffId, size: blob.length },
      });
      expect(result.compression).toBe('zstd');
      expect(nodeAt(result.entries, '/big')?.digest).toBe(sha256('x'.repeat(300_000) + 'y'.repeat(300_000)));
    },
  );

  it('given a source that verifies itself, then the blob is not hashed again: its digest is the one the source was checked against', async () => {
    const layer = buildLayer(sampleSpecs, { compression: 'gzip' });
    const checked = await readLayer(chunked(layer.blob), {
      expected: { digest: layer.digest, size: layer.compressedSize, diffId: layer.diffId },
      verifiedSource: true,
    });
    expect(checked.digest).toBe(layer.digest);
    // The reader takes the source's word for it (the source fails before its end on a mismatch);
    // the size and the DiffID are still checked here.
    const claimed = sha256('what the source was verified against');
    expect(
      (await readLayer(chunked(layer.blob), { expected: { digest: claimed }, verifiedSource: true })).digest,
    ).toBe(claimed);
    expect(
      (
        await failure(
          readLayer(chunked(layer.blob), {
            expected: { digest: layer.digest, size: layer.compressedSize + 1 },
            verifiedSource: true,
          }),
        )
      ).code,
    ).toBe('INTEGRITY');
  });

  it('given a zstd stream of several frames with a skippable frame in front, then they decode as one tar', async () => {
    const tar = buildTar(sampleSpecs);
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const blob = concat([
      skippable,
      zstdFrame(tar.subarray(0, 1500)),
      zstdFrame(tar.subarray(1500), { singleSegment: true }),
    ]);
    const result = await readLayer(chunked(blob, 100));
    expect(result.diffId).toBe(sha256(tar));
    expect(result.compression).toBe('zstd');
  });

  it('given a gzip stream of several members, then they decode as one tar', async () => {
    const tar = buildTar(sampleSpecs);
    const blob = concat([gzip(tar.subarray(0, 2048)), gzip(tar.subarray(2048))]);
    const result = await readLayer(chunked(blob));
    expect(result.diffId).toBe(sha256(tar));
  });

  it('given one-byte chunks, then every chunk boundary is handled', async () => {
    const layer = buildLayer(sampleSpecs.slice(0, 4), { compression: 'gzip' });
    const result = await readLayer(chunked(layer.blob, 1));
    expect(result.diffId).toBe(layer.diffId);
  });

  it('given a Node Readable as source, then it is read like an async iterable', async () => {
    const layer = buildLayer(sampleSpecs, { compression: 'gzip' });
    const result = await readLayer(Readable.from([Buffer.from(layer.blob)]));
    expect(result.digest).toBe(layer.digest);
  });

  it('given an empty tar (1024 NUL bytes), then no entries and the empty-layer DiffID', async () => {
    const result = await readLayer(chunked(buildTar([])));
    expect(result).toMatchObject({ entries: [], diffId: EMPTY_TAR_DIFF_ID, size: 1024, warnings: [] });
  });

  it('given an empty blob, then VALIDATION', async () => {
    expect((await failure(readLayer(chunked(new Uint8Array(0))))).code).toBe('VALIDATION');
  });

  it('given the expected digest, size and DiffID, then a matching blob passes and each mismatch is INTEGRITY', async () => {
    const layer = buildLayer(sampleSpecs, { compression: 'gzip' });
    const ok = { digest: layer.digest, size: layer.compressedSize, diffId: layer.diffId };
    await expect(readLayer(chunked(layer.blob), { expected: ok })).resolves.toBeDefined();
    const other = sha256('other');
    for (const expected of [
      { ...ok, digest: other },
      { ...ok, diffId: other },
      { ...ok, size: ok.size + 1 },
      { ...ok, size: ok.size - 1 },
    ]) {
      expect((await failure(readLayer(chunked(layer.blob), { expected }))).code).toBe('INTEGRITY');
    }
  });

  it('given a truncated download with the expected digest, then INTEGRITY rather than a gzip error', async () => {
    const layer = buildLayer([file('f', 'z'.repeat(100_000))], { compression: 'gzip' });
    const truncated = layer.blob.subarray(0, layer.blob.length - 100);
    expect((await failure(readLayer(chunked(truncated), { expected: { digest: layer.digest } }))).code).toBe(
      'INTEGRITY',
    );
    expect(
      (await failure(readLayer(chunked(truncated), { expected: { size: layer.compressedSize } }))).code,
    ).toBe('INTEGRITY');
  });

  it('given a blob growing past the expected size, then reading stops there', async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield new Uint8Array(512);
      }
    }
    expect((await failure(readLayer(endless(), { expected: { size: 4096 } }))).code).toBe('INTEGRITY');
    expect(pulled).toBeLessThan(20);
  });

  it('given a malformed expected digest, then VALIDATION before reading', async () => {
    const error = await failure(readLayer(chunked(buildTar([])), { expected: { digest: 'sha256:ABC' } }));
    expect(error.code).toBe('VALIDATION');
  });

  it('given a source that fails, then its own error comes through unchanged', async () => {
    const boom = new Error('network reset');
    async function* failing() {
      yield buildTar([file('a', 'a')]).subarray(0, 700);
      throw boom;
    }
    await expect(readLayer(failing())).rejects.toBe(boom);
  });
});

describe('readLayer: entries', () => {
  it('given every entry kind, then each is normalised with its metadata', async () => {
    const layer = buildLayer(sampleSpecs, { compression: 'gzip' });
    const { entries } = await readLayer(chunked(layer.blob));
    expect(entries).toEqual([
      {
        kind: 'node',
        node: { path: '/etc', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1_600_000_000 },
      },
      {
        kind: 'node',
        node: {
          path: '/etc/passwd',
          type: 'file',
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: 30,
          mtime: 1_700_000_000,
          digest: sha256('root:x:0:0:root:/root:/bin/sh\n'),
        },
      },
      {
        kind: 'node',
        node: {
          path: '/usr/bin/sudo',
          type: 'file',
          mode: 0o4755,
          uid: 0,
          gid: 0,
          size: 3,
          mtime: 1_700_000_000,
          digest: sha256('ELF'),
        },
      },
      {
        kind: 'node',
        node: { path: '/tmp', type: 'dir', mode: 0o1777, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000 },
      },
      {
        kind: 'node',
        node: { path: '/var/mail', type: 'dir', mode: 0o2775, uid: 0, gid: 8, size: 0, mtime: 1_700_000_000 },
      },
      {
        kind: 'node',
        node: {
          path: '/etc/localtime',
          type: 'symlink',
          mode: 0o777,
          uid: 0,
          gid: 0,
          size: 0,
          mtime: 1_700_000_000,
          linkTarget: '/usr/share/zoneinfo/UTC',
        },
      },
      {
        kind: 'node',
        node: {
          path: '/etc/passwd-',
          type: 'hardlink',
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: 30,
          mtime: 1_700_000_000,
          linkTarget: '/etc/passwd',
          digest: sha256('root:x:0:0:root:/root:/bin/sh\n'),
        },
      },
      {
        kind: 'node',
        node: {
          path: '/dev/null',
          type: 'char',
          mode: 0o666,
          uid: 0,
          gid: 0,
          size: 0,
          mtime: 1_700_000_000,
          devMajor: 1,
          devMinor: 3,
        },
      },
      {
        kind: 'node',
        node: {
          path: '/dev/sda',
          type: 'block',
          mode: 0o660,
          uid: 0,
          gid: 0,
          size: 0,
          mtime: 1_700_000_000,
          devMajor: 8,
          devMinor: 0,
        },
      },
      {
        kind: 'node',
        node: {
          path: '/run/initctl',
          type: 'fifo',
          mode: 0o600,
          uid: 0,
          gid: 0,
          size: 0,
          mtime: 1_700_000_000,
        },
      },
      { kind: 'whiteout', path: '/etc/shadow' },
      { kind: 'opaque', path: '/var/cache' },
    ]);
  });

  it('given names longer than 100 bytes via ustar prefix, PAX and GNU long names, then the full names come back', async () => {
    const deep = `${'d'.repeat(90)}/${'e'.repeat(90)}/file`;
    const huge = `${'x/'.repeat(300)}leaf`;
    const target = `/${'t'.repeat(200)}`;
    const { entries } = await readLayer(
      chunked(
        buildTar([
          file(deep, 'prefix'),
          file(huge, 'pax'),
          file(`gnu/${'g'.repeat(150)}`, 'gnu', { longNames: 'gnu', magic: 'gnu' }),
          symlink('paxlink', target),
          symlink('gnulink', target, { longNames: 'gnu', magic: 'gnu' }),
          file('caf\u00e9/\u65e5\u672c', 'utf8', { pax: { path: 'caf\u00e9/\u65e5\u672c' } }),
        ]),
      ),
    );
    expect(entries.map((e) => (e.kind === 'node' ? e.node.path : ''))).toEqual([
      `/${deep}`,
      `/${huge}`,
      `/gnu/${'g'.repeat(150)}`,
      '/paxlink',
      '/gnulink',
      '/caf\u00e9/\u65e5\u672c',
    ]);
    expect(nodeAt(entries, '/paxlink')?.linkTarget).toBe(target);
    expect(nodeAt(entries, '/gnulink')?.linkTarget).toBe(target);
  });

  it('given PAX uid, gid and mtime records and base-256 ids, then they override the header fields', async () => {
    const { entries } = await readLayer(
      chunked(
        buildTar([
          file('pax', 'p', {
            uid: 1,
            gid: 1,
            pax: { uid: '4294967294', gid: '100000', mtime: '1234567890.987654' },
          }),
          file('b256', 'b', { uid: 3_000_000, gid: 70_000_000 }),
        ]),
      ),
    );
    expect(nodeAt(entries, '/pax')).toMatchObject({ uid: 4294967294, gid: 100000, mtime: 1234567890 });
    expect(nodeAt(entries, '/b256')).toMatchObject({ uid: 3_000_000, gid: 70_000_000 });
  });

  it('given a mode with file-type bits, then only the permission bits (07777) are kept', async () => {
    const { entries } = await readLayer(chunked(buildTar([file('f', 'x', { mode: 0o104755 })])));
    expect(nodeAt(entries, '/f')?.mode).toBe(0o4755);
  });

  it('given absolute names and `..` that stays inside the root, then they are normalised', async () => {
    const { entries } = await readLayer(
      chunked(buildTar([file('/abs/file', 'a'), file('./a/b/../c', 'c'), dir('/x/y/')])),
    );
    expect(entries.map((e) => (e.kind === 'node' ? e.node.path : e.path))).toEqual([
      '/abs/file',
      '/a/c',
      '/x/y',
    ]);
  });

  it('given the contiguous-file type (7), then it is a regular file', async () => {
    const { entries } = await readLayer(
      chunked(buildTar([raw({ typeflag: '7', name: 'c', content: new TextEncoder().encode('cont') })])),
    );
    expect(nodeAt(entries, '/c')).toMatchObject({ type: 'file', size: 4, digest: sha256('cont') });
  });

  it('given implicit parents, then no entries are invented for them', async () => {
    const { entries } = await readLayer(chunked(buildTar([file('a/b/c', 'c')])));
    expect(entries).toHaveLength(1);
  });
});

describe('readLayer: the file sink', () => {
  it('given a sink, then it gets each regular file once, with its content and digest, in tar order', async () => {
    const { sink, store, seen } = memorySink();
    const layer = buildLayer(sampleSpecs, { compression: 'zstd' });
    await readLayer(chunked(layer.blob, 333), { onFile: sink });
    expect(seen.map((n) => n.path)).toEqual(['/etc/passwd', '/usr/bin/sudo']);
    expect(store.get(sha256('ELF'))).toBe('ELF');
  });

  it('given a large file, then it streams through in many chunks and its digest and size are right', async () => {
    const big = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    let chunks = 0;
    let largest = 0;
    const layer = buildLayer([file('big.bin', big)], { compression: 'gzip' });
    const { entries } = await readLayer(chunked(layer.blob, 65536), {
      onFile: async (node, content) => {
        for await (const chunk of content) {
          chunks++;
          largest = Math.max(largest, (chunk as Buffer).length);
        }
        expect(node.digest).toBe(sha256(big));
      },
    });
    expect(chunks).toBeGreaterThan(10);
    expect(largest).toBeLessThan(1024 * 1024);
    expect(nodeAt(entries, '/big.bin')).toMatchObject({ size: big.length, digest: sha256(big) });
  });

  it('given a sink that reads nothing or stops early, then the reader drains the rest and still computes the digest', async () => {
    const content = 'q'.repeat(200_000);
    const layer = buildLayer([file('a', content), file('b', content), file('c', 'after')]);
    let calls = 0;
    const { entries } = await readLayer(chunked(layer.blob), {
      onFile: async (node, stream) => {
        calls++;
        if (node.path === '/b') {
          for await (const _ of stream) break;
        }
      },
    });
    expect(calls).toBe(3);
    expect(nodeAt(entries, '/a')?.digest).toBe(sha256(content));
    expect(nodeAt(entries, '/b')?.digest).toBe(sha256(content));
    expect(nodeAt(entries, '/c')?.digest).toBe(sha256('after'));
  });

  it('given a sink that fails, then its error comes through unchanged', async () => {
    const boom = new Error('disk full');
    const layer = buildLayer(sampleSpecs, { compression: 'gzip' });
    await expect(
      readLayer(chunked(layer.blob), {
        onFile: async () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
  });
});

describe('readLayer: warnings', () => {
  it('given a duplicate path, then both entries stay in tar order and a DUPLICATE_ENTRY warning names it', async () => {
    const { entries, warnings } = await readLayer(
      chunked(buildTar([file('f', '1'), file('g', 'g'), file('f', '2')])),
    );
    expect(entries.map((e) => (e.kind === 'node' ? e.node.path : ''))).toEqual(['/f', '/g', '/f']);
    expect(warnings).toEqual([expect.objectContaining({ code: 'DUPLICATE_ENTRY', path: '/f' })]);
  });

  it('given a hardlink to a path not in the layer, then EXTERNAL_HARDLINK and an unresolved link', async () => {
    const { entries, warnings } = await readLayer(chunked(buildTar([hardlink('b', 'lower/file')])));
    expect(warnings.map((w) => w.code)).toEqual(['EXTERNAL_HARDLINK']);
    expect(nodeAt(entries, '/b')).toEqual({
      path: '/b',
      type: 'hardlink',
      linkTarget: '/lower/file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 1_700_000_000,
    });
  });

  it('given the same-layer hardlink policy, then a hardlink outside the layer is VALIDATION', async () => {
    const error = await failure(
      readLayer(chunked(buildTar([hardlink('b', 'lower/file')])), { hardlinks: 'same-layer' }),
    );
    expect(error.code).toBe('VALIDATION');
  });

  it('given AUFS metadata, xattrs, a whiteout with content and no end-of-archive blocks, then each is a warning', async () => {
    const tar = buildTar(
      [
        raw({ typeflag: '0', name: '.wh..wh.plnk/123.456' }),
        dir('.wh..wh.aufs'),
        file('cap', 'c', { pax: { 'SCHILY.xattr.security.capability': 'xyz' } }),
        file('.wh.gone', 'not empty'),
      ],
      { endMarker: false },
    );
    const { entries, warnings } = await readLayer(chunked(tar));
    expect(warnings.map((w) => w.code)).toEqual([
      'IGNORED_ENTRY',
      'IGNORED_ENTRY',
      'IGNORED_METADATA',
      'WHITEOUT_WITH_CONTENT',
      'NO_END_OF_ARCHIVE',
    ]);
    expect(entries).toEqual([expect.objectContaining({ kind: 'node' }), { kind: 'whiteout', path: '/gone' }]);
  });

  it('given trailing zero padding after the archive, then it is read (and counted in the DiffID)', async () => {
    const tar = buildTar([file('a', 'a')], { trailing: new Uint8Array(10 * 512) });
    const result = await readLayer(chunked(gzip(tar)));
    expect(result.diffId).toBe(layerFromTar(tar).diffId);
    expect(result.warnings).toEqual([]);
  });
});
