import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../src/domain/digest.ts';
import { StrataError } from '../../src/domain/errors.ts';
import type { FsNode, LayerEntry } from '../../src/domain/fs/node.ts';
import { mergeLayers } from '../../src/domain/fs/union.ts';
import { type FileSink, readLayer } from '../../src/layers/readLayer.ts';
import { type WriteLayerOptions, writeLayer } from '../../src/layers/writeLayer.ts';
import {
  blockDevice,
  buildLayer,
  charDevice,
  chunked,
  collect,
  dir,
  fifo,
  file,
  hardlink,
  opaque,
  sha256,
  symlink,
  whiteout,
} from '../support/tarBuilder.ts';

/** A content store in memory: the reader's sink fills it, the writer's getContent reads it in small chunks. */
function contentStore() {
  const blobs = new Map<string, Uint8Array>();
  const sink: FileSink = async (node, content) => {
    const parts: Buffer[] = [];
    for await (const chunk of content) parts.push(chunk as Buffer);
    blobs.set(node.digest!, new Uint8Array(Buffer.concat(parts)));
  };
  const getContent = (digest: Digest) => {
    const blob = blobs.get(digest);
    if (!blob) throw new Error(`no content ${digest}`);
    return chunked(blob, 1000);
  };
  return { blobs, sink, getContent };
}

async function write(entries: LayerEntry[], options: WriteLayerOptions) {
  const writer = writeLayer(entries, options);
  const bytes = await collect(writer.stream);
  return { bytes, ...(await writer.result) };
}

const richSpecs = [
  dir('./', { mode: 0o755 }),
  dir('etc', { mode: 0o755, mtime: 1_600_000_000 }),
  file('etc/passwd', 'root:x:0:0\n'),
  hardlink('etc/passwd-', 'etc/passwd'),
  file('usr/bin/sudo', 'ELF'.repeat(1000), { mode: 0o4755 }),
  dir('tmp', { mode: 0o1777 }),
  dir('var/mail', { mode: 0o2775, gid: 8 }),
  symlink('etc/localtime', '../usr/share/zoneinfo/UTC'),
  charDevice('dev/null', 1, 3),
  blockDevice('dev/sda', 8, 0),
  fifo('run/initctl'),
  file(`deep/${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(120)}`, 'long name'),
  symlink('longlink', `/${'t'.repeat(300)}`),
  file('caf\u00e9/\u65e5\u672c\u8a9e.txt', 'utf-8 name'),
  file('big-ids', 'ids', { uid: 4_000_000_000, gid: 3_000_000 }),
  file('future', 'mtime', { mtime: 99_999_999_999 }),
  whiteout('etc/shadow'),
  whiteout('-dash'),
  opaque('var/cache'),
  file('var/cache/new', 'new'),
  file('empty', ''),
];

describe('writeLayer', () => {
  it('given entries read from a tar, then write → read gives the same entries and the same DiffID every time', async () => {
    const store = contentStore();
    const original = await readLayer(chunked(buildLayer(richSpecs, { compression: 'gzip' }).blob), {
      onFile: store.sink,
    });
    const first = await write(original.entries, { getContent: store.getContent });
    const reread = await readLayer(chunked(first.bytes, 999), {
      expected: { diffId: first.diffId },
      onFile: store.sink,
    });
    const second = await write(reread.entries, { getContent: store.getContent });
    const third = await write([...reread.entries].reverse(), { getContent: store.getContent });

    expect(second.diffId).toBe(first.diffId);
    expect(third.bytes).toEqual(first.bytes);
    expect(reread.warnings).toEqual([]);
    const sortedPaths = (entries: LayerEntry[]) =>
      entries.map((e) => (e.kind === 'node' ? JSON.stringify(e.node) : `${e.kind}:${e.path}`)).sort();
    expect(sortedPaths(reread.entries)).toEqual(sortedPaths(original.entries));
    expect(mergeLayers([reread.entries])).toEqual(mergeLayers([original.entries]));
  });

  it('given entries in any order, then the tar lists a dir, its opaque marker, its whiteouts, then its children by name', async () => {
    const entries = await (async () => (await readLayer(chunked(buildLayer(richSpecs).blob))).entries)();
    const store = contentStore();
    await readLayer(chunked(buildLayer(richSpecs).blob), { onFile: store.sink });
    const { bytes } = await write(entries, { getContent: store.getContent });
    const written = await readLayer(chunked(bytes));
    const names = written.entries.map((e) => (e.kind === 'node' ? e.node.path : `${e.kind}:${e.path}`));
    // No implicit parents are written: /café and /deep only exist as parents.
    expect(names.slice(0, 8)).toEqual([
      '/',
      'whiteout:/-dash',
      '/big-ids',
      '/caf\u00e9/\u65e5\u672c\u8a9e.txt',
      expect.stringMatching(/^\/deep\/d+\/e+\/f+$/),
      '/dev/null',
      '/dev/sda',
      '/empty',
    ]);
    const i = (n: string) => names.indexOf(n);
    expect(i('/etc')).toBeLessThan(i('whiteout:/etc/shadow'));
    expect(i('whiteout:/etc/shadow')).toBeLessThan(i('/etc/localtime'));
    expect(i('/etc/localtime')).toBeLessThan(i('/etc/passwd'));
    expect(i('/etc/passwd')).toBeLessThan(i('/etc/passwd-'));
    expect(i('opaque:/var/cache')).toBeLessThan(i('/var/cache/new'));
    expect(i('/var/cache/new')).toBeLessThan(i('/var/mail'));
  });

  it('given the empty changeset, then the tar is 1024 NUL bytes with the well-known DiffID', async () => {
    const written = await write([], { getContent: () => [] });
    expect(written.bytes).toEqual(new Uint8Array(1024));
    expect(written.diffId).toBe('sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
    expect(written.digest).toBe(written.diffId);
  });

  it('given gzip, then the blob is deterministic, has no name and mtime 0 in its header, and reads back with both digests', async () => {
    const store = contentStore();
    const { entries } = await readLayer(chunked(buildLayer(richSpecs).blob), { onFile: store.sink });
    const a = await write(entries, { getContent: store.getContent, compression: 'gzip' });
    const b = await write(entries, { getContent: store.getContent, compression: 'gzip' });
    expect(a.bytes).toEqual(b.bytes);
    expect([...a.bytes.subarray(0, 8)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    expect(a.digest).toBe(sha256(a.bytes));
    expect(a.compressedSize).toBe(a.bytes.length);
    const plain = await write(entries, { getContent: store.getContent });
    expect(a.diffId).toBe(plain.diffId);
    const reread = await readLayer(chunked(a.bytes), {
      expected: { digest: a.digest, diffId: a.diffId, size: a.compressedSize },
    });
    expect(reread.compression).toBe('gzip');
  });

  it('given hardlinks that sort before their target, then the first path carries the content and the others link to it', async () => {
    const store = contentStore();
    const { entries } = await readLayer(
      chunked(buildLayer([file('z', 'x', { mode: 0o4755 }), hardlink('a', 'z'), hardlink('m', 'z')]).blob),
      { onFile: store.sink },
    );
    const { bytes } = await write(entries, { getContent: store.getContent });
    const reread = await readLayer(chunked(bytes), { onFile: store.sink });
    expect(
      reread.entries.map((e) =>
        e.kind === 'node' ? [e.node.path, e.node.type, e.node.linkTarget, e.node.mode] : [],
      ),
    ).toEqual([
      ['/a', 'file', undefined, 0o4755],
      ['/m', 'hardlink', '/a', 0o644],
      ['/z', 'hardlink', '/a', 0o4755],
    ]);
    expect((await write(reread.entries, { getContent: store.getContent })).bytes).toEqual(bytes);
  });

  it('given hardlinks, whiteouts and opaque markers, then they are type 1 links and empty .wh. files', async () => {
    const store = contentStore();
    const { entries } = await readLayer(
      chunked(buildLayer([file('a', 'x'), hardlink('b', 'a'), whiteout('c/d'), opaque('e')]).blob),
      { onFile: store.sink },
    );
    const { bytes } = await write(entries, { getContent: store.getContent });
    const headers = [];
    for (let offset = 0; offset < bytes.length - 1024; offset += 512) {
      const name = Buffer.from(bytes.subarray(offset, offset + 100))
        .toString()
        .replace(/\0.*$/s, '');
      if (name === '') continue;
      const size = Number.parseInt(Buffer.from(bytes.subarray(offset + 124, offset + 135)).toString(), 8);
      headers.push({
        name,
        type: String.fromCharCode(bytes[offset + 156]!),
        size,
        link: Buffer.from(bytes.subarray(offset + 157, offset + 257))
          .toString()
          .replace(/\0.*$/s, ''),
      });
      offset += Math.ceil(size / 512) * 512;
    }
    expect(headers).toEqual([
      { name: 'a', type: '0', size: 1, link: '' },
      { name: 'b', type: '1', size: 0, link: 'a' },
      { name: 'c/.wh.d', type: '0', size: 0, link: '' },
      { name: 'e/.wh..wh..opq', type: '0', size: 0, link: '' },
    ]);
  });

  it('given an mtime policy, then clamp and fixed rewrite node mtimes', async () => {
    const store = contentStore();
    const { entries } = await readLayer(
      chunked(buildLayer([file('old', 'o', { mtime: 100 }), file('new', 'n', { mtime: 5000 })]).blob),
      { onFile: store.sink },
    );
    const mtimes = async (mtime: WriteLayerOptions['mtime']) => {
      const { bytes } = await write(entries, { getContent: store.getContent, mtime });
      return (await readLayer(chunked(bytes))).entries.map((e) =>
        e.kind === 'node' ? `${e.node.path}@${e.node.mtime}` : '',
      );
    };
    expect(await mtimes('preserve')).toEqual(['/new@5000', '/old@100']);
    expect(await mtimes({ clamp: 1000 })).toEqual(['/new@1000', '/old@100']);
    expect(await mtimes({ fixed: 7 })).toEqual(['/new@7', '/old@7']);
  });

  it('given content that does not match the node, then INTEGRITY and the result rejects', async () => {
    const node: FsNode = {
      path: '/f',
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 5,
      mtime: 0,
      digest: sha256('hello'),
    };
    for (const content of ['jello', 'hell', 'hello!']) {
      const writer = writeLayer([{ kind: 'node', node }], {
        getContent: () => [new TextEncoder().encode(content)],
      });
      await expect(collect(writer.stream)).rejects.toSatisfy(
        (e: unknown) => e instanceof StrataError && e.code === 'INTEGRITY',
      );
      await expect(writer.result).rejects.toBeInstanceOf(StrataError);
    }
  });

  it('given invalid changesets, then VALIDATION up front', () => {
    const node = (path: string, type: FsNode['type'] = 'file'): LayerEntry => ({
      kind: 'node',
      node: { path, type, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 },
    });
    const getContent = () => [];
    expect(() => writeLayer([node('/a'), node('/a')], { getContent })).toThrow(StrataError);
    expect(() => writeLayer([node('a')], { getContent })).toThrow(StrataError);
    expect(() => writeLayer([node('/x/.wh.y')], { getContent })).toThrow(StrataError);
    expect(() => writeLayer([{ kind: 'whiteout', path: '/' }], { getContent })).toThrow(StrataError);
    expect(() => writeLayer([node('/', 'file')], { getContent })).toThrow(StrataError);
  });

  it('given a socket, then it is skipped (tar has no socket type)', async () => {
    const socket: LayerEntry = {
      kind: 'node',
      node: { path: '/run/docker.sock', type: 'socket', mode: 0o660, uid: 0, gid: 0, size: 0, mtime: 0 },
    };
    const written = await write([socket], { getContent: () => [] });
    expect((await readLayer(chunked(written.bytes))).entries).toEqual([]);
  });

  it('given a multi-megabyte file, then it streams from getContent and round-trips', async () => {
    const big = new Uint8Array(2 * 1024 * 1024 + 3).map((_, i) => i % 253);
    const node: FsNode = {
      path: '/big',
      type: 'file',
      mode: 0o600,
      uid: 1,
      gid: 1,
      size: big.length,
      mtime: 1,
      digest: sha256(big),
    };
    const written = await write([{ kind: 'node', node }], {
      getContent: () => chunked(big, 65536),
      compression: 'gzip',
    });
    const reread = await readLayer(chunked(written.bytes, 65536), {
      expected: { digest: written.digest, diffId: written.diffId },
    });
    expect(reread.entries).toEqual([{ kind: 'node', node }]);
  });

  it.skipIf(!existsSync('/usr/bin/tar') && !existsSync('/bin/tar'))(
    'given the written tar, then GNU tar lists the same names',
    async () => {
      const store = contentStore();
      const { entries } = await readLayer(chunked(buildLayer(richSpecs).blob), { onFile: store.sink });
      const { bytes } = await write(entries, { getContent: store.getContent });
      const listed = execFileSync('tar', ['-tf', '-'], { input: bytes }).toString().trim().split('\n');
      expect(listed).toContain('etc/passwd');
      expect(listed).toContain(`deep/${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(120)}`);
      expect(listed).toContain('caf\u00e9/\u65e5\u672c\u8a9e.txt');
      expect(listed).toContain('var/cache/.wh..wh..opq');
      expect(listed).toHaveLength(entries.length);
    },
  );
});
