/**
 * Bad input, case by case. The cases mirror containerd pkg/archive/tar_test.go (TestBreakouts),
 * umoci oci/layer/tar_extract_test.go and the extraction CVEs of the semantics reference. Where
 * containerd follows a symlink that an earlier entry of the same tar created (and lands inside
 * the root), Strata refuses the tar instead: Strata never extracts, and no sane layer writer
 * produces entries under a symlink of its own.
 */
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../src/domain/errors.ts';
import type { LayerEntry } from '../../src/domain/fs/node.ts';
import { mergeLayers } from '../../src/domain/fs/union.ts';
import type { LayerLimits } from '../../src/layers/limits.ts';
import { readLayer } from '../../src/layers/readLayer.ts';
import {
  buildTar,
  chunked,
  concat,
  dir,
  file,
  gzip,
  hardlink,
  paxRecord,
  raw,
  symlink,
  type TarEntrySpec,
  zstdFrame,
  zstdZeroBomb,
} from '../support/tarBuilder.ts';

const text = new TextEncoder();

async function read(specsOrBlob: readonly TarEntrySpec[] | Uint8Array, limits?: Partial<LayerLimits>) {
  const blob = specsOrBlob instanceof Uint8Array ? specsOrBlob : buildTar(specsOrBlob);
  return readLayer(chunked(blob, 4096), limits ? { limits } : {});
}

async function rejected(
  specsOrBlob: readonly TarEntrySpec[] | Uint8Array,
  limits?: Partial<LayerLimits>,
): Promise<StrataError> {
  const error = await read(specsOrBlob, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the layer to be rejected').toBeInstanceOf(StrataError);
  expect((error as StrataError).code).toBe('VALIDATION');
  return error as StrataError;
}

const paths = (entries: LayerEntry[]) =>
  entries.map((e) => (e.kind === 'node' ? e.node.path : `${e.kind}:${e.path}`));

describe('names escaping the root', () => {
  it.each([
    ['../etc/passwd'],
    ['../../../../../../../etc/passwd'],
    ['a/../../etc/passwd'],
    ['/../file'],
    ['..'],
    ['./../file'],
  ])('given the entry name %j, then VALIDATION (tar breakout)', async (name) => {
    const error = await rejected([raw({ typeflag: '0', name })]);
    expect(error.message).toMatch(/escapes the root/);
  });

  it('given absolute names, then the leading slash is stripped (CVE-2014-9356 class)', async () => {
    const { entries } = await read([file('/etc/passwd', 'x'), dir('//var//lib/')]);
    expect(paths(entries)).toEqual(['/etc/passwd', '/var/lib']);
  });

  it('given `..` that stays inside the root, then the name is resolved lexically', async () => {
    const { entries } = await read([
      file('a/b/../../c', 'x'),
      raw({ typeflag: '0', name: 'dne/../.wh.etc' }),
    ]);
    expect(paths(entries)).toEqual(['/c', 'whiteout:/etc']);
  });

  it('given a symlink named `..` (SymlinkParentDirectory), then VALIDATION', async () => {
    await rejected([
      dir('etc'),
      file('etc/passwd', 'inside'),
      symlink('..', '/etc/'),
      hardlink('localpasswd', '/etc/passwd'),
    ]);
  });

  it('given a symlink with an empty name (SymlinkEmptyFilename), then VALIDATION: it would replace the root', async () => {
    const error = await rejected([
      dir('etc'),
      file('etc/passwd', 'inside'),
      raw({ typeflag: '2', name: '', linkname: '/etc/' }),
    ]);
    expect(error.message).toMatch(/root/);
  });
});

describe('symlinks', () => {
  it('given symlinks pointing anywhere (relative, absolute, far above the root), then they are stored raw', async () => {
    const targets = [
      '../other',
      '../../etc',
      'up/../../other',
      '../../../breakout',
      '/etc',
      'derek/../../../downandout',
      '/../../../../etc/shadow',
    ];
    const { entries } = await read(targets.map((t, i) => symlink(`home/derek/l${i}`, t)));
    expect(entries.map((e) => (e.kind === 'node' ? e.node.linkTarget : undefined))).toEqual(targets);
  });

  it('given a symlink with an empty target, then VALIDATION', async () => {
    await rejected([symlink('l', '')]);
  });

  it.each([
    ['SymlinkAbsolute', [dir('etc'), symlink('localetc', '/etc'), file('/localetc/unbroken', 'unbroken')]],
    [
      'SymlinkUpAndOut',
      [
        dir('etc'),
        dir('dummy'),
        symlink('localetc', '/dummy/../etc'),
        file('/localetc/unbroken', 'unbroken'),
      ],
    ],
    [
      'SymlinkMultipleAbsolute',
      [
        dir('etc'),
        dir('dummy'),
        symlink('/dummy/etc', '/etc'),
        symlink('localetc', '/dummy/etc'),
        file('/dummy/etc/unbroken', 'x'),
      ],
    ],
    [
      'SymlinkMultipleRelative',
      [
        dir('etc'),
        dir('dummy'),
        symlink('/dummy/etc', '/etc'),
        symlink('localetc', './dummy/etc'),
        file('/dummy/etc/unbroken', 'x'),
      ],
    ],
    [
      'SymlinkEmptyFile',
      [
        dir('etc'),
        file('etc/emptied', 'notempty'),
        symlink('localetc', '/etc'),
        file('/localetc/emptied', ''),
      ],
    ],
    [
      'SymlinkParentRelative',
      [
        dir('etc'),
        file('/etc/passwd', 'inside'),
        symlink('localetc/sub/..', '/etc/'),
        hardlink('/localetc/localpasswd', '/etc/passwd'),
      ],
    ],
    ['umoci RootPrefix', [symlink('link', '/'), file('link/file', 'container content')]],
    ['umoci GarbagePrefix', [symlink('link', '/../../../../../../../../'), file('link/file', 'x')]],
    ['umoci DotDotPrefix', [symlink('link', '..'), file('link/file', 'x')]],
    [
      'a whiteout under a symlink',
      [symlink('localetc', '/etc'), raw({ typeflag: '0', name: 'localetc/.wh.passwd' })],
    ],
  ])('given an entry placed under a symlink of the same tar (%s), then VALIDATION', async (_, specs) => {
    const error = await rejected(specs);
    expect(error.message).toMatch(/under the symlink|through the symlink/);
  });

  it('given a directory swapped for a symlink inside one tar, then later entries below it are refused', async () => {
    const error = await rejected([dir('x'), file('x/a', 'a'), symlink('x', '/etc'), file('x/b', 'b')]);
    expect(error.message).toMatch(/under the symlink \/x/);
  });

  it('given a symlink swapped back for a directory, then entries below the directory are fine', async () => {
    const { entries } = await read([symlink('x', '/etc'), dir('x'), file('x/a', 'a')]);
    expect(paths(entries)).toEqual(['/x', '/x', '/x/a']);
  });

  it('given a slash-ended directory (SymlinkSlashEnded), then entries below it are fine', async () => {
    const { entries } = await read([
      dir('etc'),
      file('/etc/passwd', 'inside'),
      dir('localetc/'),
      hardlink('/localetc/localpasswd', '/etc/passwd'),
    ]);
    expect(paths(entries)).toEqual(['/etc', '/etc/passwd', '/localetc', '/localetc/localpasswd']);
  });
});

describe('hardlinks', () => {
  it('given a hardlink to an absolute path earlier in the tar (HardlinkDirectAbsolute), then it resolves there', async () => {
    const { entries } = await read([
      dir('etc'),
      file('/etc/passwd', 'inside'),
      hardlink('localpasswd', '/etc/passwd'),
    ]);
    expect(entries.at(-1)).toMatchObject({
      kind: 'node',
      node: { type: 'hardlink', linkTarget: '/etc/passwd', size: 6 },
    });
  });

  it('given a hardlink climbing out of the root (HardlinkDirectRelative), then VALIDATION', async () => {
    const error = await rejected([
      dir('etc'),
      file('/etc/passwd', 'inside'),
      hardlink('localpasswd', '../../../../../etc/passwd'),
    ]);
    expect(error.message).toMatch(/outside the layer root/);
  });

  it.each([
    [
      'HardlinkRelative',
      [
        dir('breakouts'),
        symlink('breakouts/d1', '../../etc'),
        hardlink('breakouts/mypasswd', '/breakouts/d1/passwd'),
      ],
    ],
    [
      'HardlinkDownAndOut',
      [
        dir('breakouts'),
        dir('downandout'),
        symlink('breakouts/d1', '../downandout/../../etc'),
        hardlink('breakouts/mypasswd', '/breakouts/d1/passwd'),
      ],
    ],
    ['HardlinkAbsolute', [symlink('localetc', '/etc'), hardlink('localpasswd', '/localetc/passwd')]],
    [
      'HardlinkRelativeLong',
      [symlink('localetc', '../../../../../../../etc'), hardlink('localpasswd', '/localetc/passwd')],
    ],
    [
      'HardlinkRelativeUpAndOut',
      [symlink('localetc', 'upandout/../../../etc'), hardlink('localpasswd', '/localetc/passwd')],
    ],
  ])(
    'given a hardlink whose target is reached through a symlinked parent (%s), then VALIDATION',
    async (_, links) => {
      const error = await rejected([dir('etc', { mode: 0o770 }), file('/etc/passwd', 'inside'), ...links]);
      expect(error.message).toMatch(/through the symlink/);
    },
  );

  it.each([
    [
      'HardlinkSymlinkBeforeCreateTarget',
      [
        dir('etc'),
        symlink('localpasswd', '/etc/passwd'),
        hardlink('localpasswd-dup', 'localpasswd'),
        file('/etc/passwd', 'after'),
      ],
    ],
    [
      'HardlinkSymlinkRelative',
      [
        dir('etc'),
        file('/etc/passwd', 'inside'),
        symlink('passwdlink', '../../../../../etc/passwd'),
        hardlink('localpasswd', '/passwdlink'),
      ],
    ],
    [
      'HardlinkSymlinkAbsolute',
      [
        dir('etc'),
        file('/etc/passwd', 'inside'),
        symlink('passwdlink', '/etc/passwd'),
        hardlink('localpasswd', '/passwdlink'),
      ],
    ],
    [
      'HardlinkSymlinkChmod',
      [
        symlink('/tmp/td/also-exists-outside-root', '/tmp/td/perm400'),
        hardlink('sketchylink', '/tmp/td/also-exists-outside-root'),
      ],
    ],
  ])(
    'given a hardlink to a symlink itself (%s), then it links the symlink and stays inside the root',
    async (_, specs) => {
      const { entries } = await read(specs);
      const link = entries.find((e) => e.kind === 'node' && e.node.type === 'hardlink');
      expect(link).toMatchObject({ node: { type: 'hardlink' } });
      const merged = mergeLayers([entries]);
      for (const path of merged.keys()) expect(path.startsWith('/')).toBe(true);
      expect(
        merged.has('/tmp/td/also-exists-outside-root') ||
          merged.has('/localpasswd') ||
          merged.has('/localpasswd-dup'),
      ).toBe(true);
    },
  );

  it('given a hardlink to a directory, to itself, or with no target, then VALIDATION', async () => {
    await rejected([dir('d'), hardlink('l', 'd')]);
    await rejected([hardlink('l', 'l')]);
    await rejected([hardlink('l', '')]);
    await rejected([hardlink('l', '/')]);
  });

  it('given a hardlink whose target only appears later in the tar, then VALIDATION', async () => {
    const error = await rejected([hardlink('early', 'late'), file('late', 'x')]);
    expect(error.message).toMatch(/appears later/);
  });

  it('given a directory overriding a lower symlink (DirectoryOverrideSymlink), then the link lands in the new directory', async () => {
    const lower = (await read([dir('etc'), file('etc/passwd', 'inside'), symlink('localetc', '/etc')]))
      .entries;
    const upper = await read([dir('/localetc/'), hardlink('/localetc/localpasswd', '/etc/passwd')]);
    expect(upper.warnings.map((w) => w.code)).toEqual(['EXTERNAL_HARDLINK']);
    const merged = mergeLayers([lower, upper.entries]);
    expect(merged.get('/localetc')?.type).toBe('dir');
    expect(merged.get('/localetc/localpasswd')).toMatchObject({
      type: 'hardlink',
      linkTarget: '/etc/passwd',
      digest: merged.get('/etc/passwd')?.digest,
    });
  });

  it('given a lower symlink and an upper tar that links through it (SymlinkOverrideDirectory), then the tar is refused', async () => {
    await rejected([symlink('localetc', '/etc'), hardlink('/localetc/localpasswd', '/etc/passwd')]);
  });
});

describe('whiteouts', () => {
  it.each([
    ['WhiteoutRootParent', '.wh...'],
    ['WhiteoutParent', 'etc/.wh...'],
    ['WhiteoutRoot', '.wh..'],
    ['WhiteoutCurrentDirectory', 'etc/.wh..'],
    ['a bare prefix', '.wh.'],
    ['a bare prefix in a directory', 'etc/.wh.'],
  ])('given an invalid whiteout (%s: %j), then VALIDATION', async (_, name) => {
    const error = await rejected([dir('etc'), raw({ typeflag: '0', name })]);
    expect(error.message).toMatch(/invalid whiteout/);
  });

  it('given a directory named with the whiteout prefix (WhiteoutDirectoryName), then VALIDATION', async () => {
    const error = await rejected([file('.wh.etc/somefile', 'non-empty')]);
    expect(error.message).toMatch(/reserved whiteout prefix/);
  });

  it('given a whiteout below a dead lower symlink (WhiteoutDeadSymlinkParent), then nothing outside it is removed', async () => {
    const lower = (await read([dir('etc'), file('etc/passwd', 'all users'), symlink('localetc', '/dne')]))
      .entries;
    const upper = (await read([raw({ typeflag: '0', name: 'localetc/.wh.etc' })])).entries;
    expect(upper).toEqual([{ kind: 'whiteout', path: '/localetc/etc' }]);
    const merged = mergeLayers([lower, upper]);
    expect(merged.get('/etc/passwd')?.type).toBe('file');
    expect(merged.has('/dne')).toBe(false);
  });
});

describe('malformed archives', () => {
  const good = buildTar([dir('etc'), file('etc/passwd', 'x'.repeat(3000)), file('etc/group', 'g')]);

  it('given a header with a bad checksum, then VALIDATION', async () => {
    const error = await rejected([file('ok', 'ok'), { ...file('bad', 'bad'), badChecksum: true }]);
    expect(error.message).toMatch(/malformed tar/);
  });

  it('given bytes that are not a tar at all, then VALIDATION', async () => {
    await rejected(text.encode('this is not a tar archive'.repeat(40)));
    await rejected(new Uint8Array(513).fill(7));
  });

  it('given a tar truncated inside a file, then VALIDATION', async () => {
    await rejected(good.subarray(0, 1500));
  });

  it('given a tar truncated off a block boundary, then VALIDATION', async () => {
    await rejected(good.subarray(0, good.length - 1024 - 100));
  });

  it('given a v7 header without the ustar magic, then VALIDATION', async () => {
    await rejected([file('old', 'v7', { magic: 'v7' })]);
  });

  it('given a header whose size field lies about the content, then VALIDATION', async () => {
    await rejected([{ ...file('liar', 'short'), sizeField: 100_000 }]);
  });

  it('given a truncated gzip stream, then VALIDATION', async () => {
    const blob = gzip(good);
    const error = await rejected(blob.subarray(0, blob.length - 8));
    expect(error.message).toMatch(/gzip/);
    await rejected(blob.subarray(0, 20));
  });

  it('given a corrupted gzip stream, then VALIDATION', async () => {
    const blob = gzip(good);
    const corrupt = new Uint8Array(blob);
    corrupt[Math.floor(blob.length / 2)]! ^= 0xff;
    corrupt[blob.length - 6]! ^= 0xff;
    await rejected(corrupt);
  });

  it('given a truncated or corrupted zstd stream, then VALIDATION', async () => {
    const blob = zstdFrame(good);
    await rejected(blob.subarray(0, blob.length - 10));
    await rejected(blob.subarray(0, 5));
    const badBlock = new Uint8Array(blob);
    badBlock[6] = 0x07; // block type 3 (reserved)
    await rejected(badBlock);
  });

  it('given bzip2 or xz compression, then VALIDATION (unsupported)', async () => {
    await rejected(new Uint8Array([0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26]));
    await rejected(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04]));
  });

  it.each([
    ['GNU sparse (S)', 'S'],
    ['volume header (V)', 'V'],
    ['multi-volume continuation (M)', 'M'],
    ['GNU dump dir (D)', 'D'],
    ['unknown (Z)', 'Z'],
    ['Solaris ACL (A)', 'A'],
  ])('given a foreign entry type: %s, then VALIDATION', async (_, typeflag) => {
    const error = await rejected([raw({ typeflag, name: 'weird', content: text.encode('data') })]);
    expect(error.message).toMatch(/unsupported tar entry type/);
  });

  it('given PAX GNU sparse records, then VALIDATION', async () => {
    await rejected([file('sparse', 'abc', { pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0' } })]);
  });

  it('given a PAX record that is not a number where a number belongs, then VALIDATION', async () => {
    await rejected([file('f', 'x', { pax: { uid: 'root' } })]);
  });
});

describe('limits (bombs and floods)', () => {
  const zeros = (n: number) => new Uint8Array(n);

  it('given a gzip decompression bomb, then the expansion ratio stops it', async () => {
    const blob = gzip(buildTar([file('zeros', zeros(8 * 1024 * 1024))]), 9);
    const error = await rejected(blob, { ratioCheckAfter: 1024 * 1024, maxExpansionRatio: 100 });
    expect(error.message).toMatch(/expands more than 100 times/);
  });

  it('given a zstd RLE bomb with the default limits, then it is stopped long before it is inflated', async () => {
    const blob = zstdZeroBomb(16 * 1024); // 2 GiB of zeros in ~64 KiB
    expect(blob.length).toBeLessThan(70_000);
    const error = await rejected(blob);
    expect(error.message).toMatch(/expands more than 1000 times/);
  });

  it('given a layer over the uncompressed size limit, then VALIDATION', async () => {
    const tar = buildTar([file('big', zeros(3 * 1024 * 1024))]);
    await rejected(tar, { maxUncompressedSize: 1024 * 1024 });
    await rejected(gzip(tar), { maxUncompressedSize: 1024 * 1024 });
  });

  it('given gzip padding after the archive (CVE-2017-14992), then the size bound still applies', async () => {
    const tar = buildTar([file('a', 'a')], { trailing: zeros(4 * 1024 * 1024) });
    await rejected(gzip(tar), { maxUncompressedSize: 1024 * 1024 });
  });

  it('given more entries than allowed, then VALIDATION', async () => {
    const specs = Array.from({ length: 20 }, (_, i) => file(`f${i}`, ''));
    await expect(read(specs, { maxEntries: 20 })).resolves.toBeDefined();
    const error = await rejected(specs, { maxEntries: 19 });
    expect(error.message).toMatch(/more than 19 entries/);
  });

  it('given a huge PAX header, then VALIDATION (our limit, and tar-stream’s own 4 MiB cap beyond it)', async () => {
    const big = 'v'.repeat(2 * 1024 * 1024);
    const error = await rejected([file('f', 'x', { pax: { comment: big } })]);
    expect(error.message).toMatch(/PAX header/);
    await rejected([file('f', 'x', { pax: { comment: 'v'.repeat(5 * 1024 * 1024) } })], {
      maxPaxHeaderSize: 64 * 1024 * 1024,
    });
  });

  it('given a raw PAX header block claiming gigabytes, then VALIDATION without buffering it', async () => {
    const record = text.encode(paxRecord('path', 'x'));
    const tar = concat([
      buildTar([raw({ typeflag: 'x', name: 'PaxHeader', content: record, sizeField: 3 * 1024 ** 3 })], {
        endMarker: false,
      }),
    ]);
    await rejected(tar.subarray(0, 512 + 512));
  });

  it('given a name or link target over the path length limit, then VALIDATION', async () => {
    await rejected([file(`${'d/'.repeat(2100)}f`, 'x')]);
    await rejected([symlink('l', `/${'t'.repeat(5000)}`)]);
    await expect(read([file(`${'d/'.repeat(100)}f`, 'x')], { maxPathLength: 300 })).resolves.toBeDefined();
    await rejected([file(`${'d/'.repeat(100)}f`, 'x')], { maxPathLength: 100 });
  });

  it('given a zstd frame asking for a huge window or a dictionary, then VALIDATION before any allocation', async () => {
    const tar = buildTar([file('a', 'a')]);
    const hugeWindow = zstdFrame(tar, { windowDescriptor: 0xf8 }); // 2^41 bytes
    expect((await rejected(hugeWindow)).message).toMatch(/window/);
    const lyingSingleSegment = zstdFrame(tar, { singleSegment: true, declaredSize: 2 ** 40 });
    expect((await rejected(lyingSingleSegment)).message).toMatch(/window/);
    const withDictionary = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x38, 0x07, 0x01, 0x00, 0x00]);
    expect((await rejected(withDictionary)).message).toMatch(/dictionary/);
  });
});
