import { describe, expect, it } from 'vitest';
import { StrataError } from '../../../src/domain/errors.ts';
import type { FsNode, LayerEntry } from '../../../src/domain/fs/node.ts';
import { emptyTree } from '../../../src/domain/fs/tree.ts';
import { applyLayer, mergeLayers } from '../../../src/domain/fs/union.ts';
import {
  blockDevice,
  charDevice,
  dir,
  fifo,
  file,
  hardlink,
  opaque,
  raw,
  symlink,
  whiteout,
} from '../../support/tarBuilder.ts';
import { entriesOf, mergeTars, readSpecs, view } from './layerFixtures.ts';

const ROOT = { '/': 'dir 0755' };

async function expectValidation(promise: Promise<unknown>, message?: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StrataError);
  expect((error as StrataError).code).toBe('VALIDATION');
  if (message) expect((error as StrataError).message).toMatch(message);
}

describe('merged view: parents and replacement', () => {
  it('given an entry whose parents are missing, then they appear as implicit 0755 root-owned dirs with mtime 0', async () => {
    const tree = await mergeTars([[file('a/b/c/file', 'x', { mode: 0o600, uid: 7, gid: 8 })]]);
    expect(view(tree)).toEqual({
      ...ROOT,
      '/a': 'dir 0755',
      '/a/b': 'dir 0755',
      '/a/b/c': 'dir 0755',
      '/a/b/c/file': 'file 0600 7:8 "x"',
    });
    expect(tree.get('/a/b')).toEqual({
      path: '/a/b',
      type: 'dir',
      mode: 0o755,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0,
    });
  });

  it('given a directory over a directory, then only its attributes change and the children stay', async () => {
    const tree = await mergeTars([
      [dir('etc', { mode: 0o755 }), file('etc/passwd', 'root')],
      [dir('etc', { mode: 0o700, uid: 5, gid: 5, mtime: 42 })],
    ]);
    expect(view(tree)).toEqual({ ...ROOT, '/etc': 'dir 0700 5:5', '/etc/passwd': 'file 0644 "root"' });
    expect(tree.get('/etc')?.mtime).toBe(42);
  });

  it('given an upper entry below a lower directory without re-listing it, then the lower directory keeps its attributes', async () => {
    const tree = await mergeTars([[dir('etc', { mode: 0o750, uid: 3, gid: 3 })], [file('etc/new', 'n')]]);
    expect(view(tree)['/etc']).toBe('dir 0750 3:3');
  });

  it('given a file then a directory at the same path, then the directory replaces the file', async () => {
    const tree = await mergeTars([[file('x', 'old')], [dir('x'), file('x/y', 'y')]]);
    expect(view(tree)).toEqual({ ...ROOT, '/x': 'dir 0755', '/x/y': 'file 0644 "y"' });
  });

  it('given a directory then a file at the same path, then the whole subtree is gone', async () => {
    const tree = await mergeTars([
      [dir('x'), file('x/y', 'y'), dir('x/z'), file('x/z/w', 'w')],
      [file('x', 'now a file')],
    ]);
    expect(view(tree)).toEqual({ ...ROOT, '/x': 'file 0644 "now a file"' });
  });

  it('given a directory replaced by a symlink, then its children are gone and the link is raw', async () => {
    const tree = await mergeTars([
      [dir('etc'), file('etc/passwd', 'inside'), dir('localetc'), file('localetc/keep', 'k')],
      [symlink('localetc', '/etc')],
    ]);
    expect(view(tree)).toEqual({
      ...ROOT,
      '/etc': 'dir 0755',
      '/etc/passwd': 'file 0644 "inside"',
      '/localetc': 'symlink -> /etc',
    });
  });

  it('given a symlink replaced by a directory, then the directory is real and the old target is untouched', async () => {
    const tree = await mergeTars([
      [dir('etc'), file('etc/passwd', 'inside'), symlink('localetc', '/etc')],
      [dir('localetc'), file('localetc/localpasswd', 'different')],
    ]);
    expect(view(tree)).toEqual({
      ...ROOT,
      '/etc': 'dir 0755',
      '/etc/passwd': 'file 0644 "inside"',
      '/localetc': 'dir 0755',
      '/localetc/localpasswd': 'file 0644 "different"',
    });
  });

  it('given file → symlink → fifo → device replacements across layers, then the last one stands', async () => {
    const tree = await mergeTars([
      [file('n', 'f')],
      [symlink('n', 'target')],
      [fifo('n')],
      [charDevice('n', 1, 3)],
    ]);
    expect(view(tree)['/n']).toBe('char 0666 1,3');
    const block = await mergeTars([[charDevice('n', 1, 3)], [blockDevice('n', 8, 0)]]);
    expect(view(block)['/n']).toBe('block 0660 8,0');
  });

  it('given a file `nondir` then `nondir/foo/bar` in one tar, then nondir becomes a directory (umoci #546)', async () => {
    const tree = await mergeTars([[file('nondir', 'file'), file('nondir/foo/bar', 'bar')]]);
    expect(view(tree)).toEqual({
      ...ROOT,
      '/nondir': 'dir 0755',
      '/nondir/foo': 'dir 0755',
      '/nondir/foo/bar': 'file 0644 "bar"',
    });
  });

  it('given a lower file and an upper entry below it, then the file becomes an implicit directory', async () => {
    const tree = await mergeTars([[file('nondir', 'file')], [file('nondir/foo/bar', 'bar')]]);
    expect(view(tree)['/nondir']).toBe('dir 0755');
  });

  it('given a lower symlink where an upper entry needs a parent directory, then the symlink is replaced, never followed', async () => {
    const tree = await mergeTars([
      [dir('usr'), dir('usr/lib'), file('usr/lib/libc.so', 'libc'), symlink('lib', 'usr/lib')],
      [file('lib/libfoo.so', 'foo')],
    ]);
    expect(view(tree)).toEqual({
      ...ROOT,
      '/lib': 'dir 0755',
      '/lib/libfoo.so': 'file 0644 "foo"',
      '/usr': 'dir 0755',
      '/usr/lib': 'dir 0755',
      '/usr/lib/libc.so': 'file 0644 "libc"',
    });
  });

  it('given a root entry `./`, then it sets the attributes of the root', async () => {
    const tree = await mergeTars([[dir('./', { mode: 0o700 }), file('a', 'a')]]);
    expect(view(tree)).toEqual({ '/': 'dir 0700', '/a': 'file 0644 "a"' });
  });

  it('given setuid, setgid and sticky bits, then the modes keep them', async () => {
    const tree = await mergeTars([
      [file('bin/su', 'su', { mode: 0o4755 }), dir('shared', { mode: 0o2775 }), dir('tmp', { mode: 0o1777 })],
    ]);
    expect(view(tree)['/bin/su']).toBe('file 4755 "su"');
    expect(view(tree)['/shared']).toBe('dir 2775');
    expect(view(tree)['/tmp']).toBe('dir 1777');
  });

  it('given a chown in a higher layer, then the file takes the new owner', async () => {
    const tree = await mergeTars([
      [file('f', 'same', { uid: 0 })],
      [file('f', 'same', { uid: 1000, gid: 1000 })],
    ]);
    expect(view(tree)['/f']).toBe('file 0644 1000:1000 "same"');
  });
});

describe('merged view: duplicates', () => {
  it('given the same path twice in one tar, then the last entry wins (and the reader warns)', async () => {
    const read = await readSpecs([file('f', 'first'), file('f', 'second')]);
    expect(read.warnings.map((w) => w.code)).toEqual(['DUPLICATE_ENTRY']);
    expect(view(mergeLayers([read.entries]))['/f']).toBe('file 0644 "second"');
  });

  it('given a file then a directory at the same path in one tar, then the directory wins', async () => {
    const tree = await mergeTars([[file('x', 'f'), dir('x'), file('x/y', 'y')]]);
    expect(view(tree)).toEqual({ ...ROOT, '/x': 'dir 0755', '/x/y': 'file 0644 "y"' });
  });

  it('given a directory with children then a file at the same path in one tar, then the file wins and the children are gone', async () => {
    const tree = await mergeTars([[dir('x'), file('x/y', 'y'), file('x', 'f')]]);
    expect(view(tree)).toEqual({ ...ROOT, '/x': 'file 0644 "f"' });
  });

  it('given a directory listed twice, then the second listing sets the attributes and the children stay', async () => {
    const tree = await mergeTars([[dir('d', { mode: 0o700 }), file('d/f', 'f'), dir('d', { mode: 0o711 })]]);
    expect(view(tree)).toEqual({ ...ROOT, '/d': 'dir 0711', '/d/f': 'file 0644 "f"' });
  });
});

describe('merged view: whiteouts', () => {
  const lower = [
    dir('etc'),
    file('etc/passwd', 'root'),
    file('etc/shadow', 'secret'),
    dir('var'),
    dir('var/lib'),
    file('var/lib/db', 'db'),
  ];

  it('given a whiteout of a file, then only that file is gone and the marker is never visible', async () => {
    const tree = await mergeTars([lower, [whiteout('etc/shadow')]]);
    expect(view(tree)).toEqual({
      ...ROOT,
      '/etc': 'dir 0755',
      '/etc/passwd': 'file 0644 "root"',
      '/var': 'dir 0755',
      '/var/lib': 'dir 0755',
      '/var/lib/db': 'file 0644 "db"',
    });
  });

  it('given a whiteout of a directory, then the directory and its subtree are gone', async () => {
    const tree = await mergeTars([lower, [whiteout('var')]]);
    expect(Object.keys(view(tree))).toEqual(['/', '/etc', '/etc/passwd', '/etc/shadow']);
  });

  it('given a whiteout of a path the lower layers lack, then nothing changes but its parent', async () => {
    const tree = await mergeTars([lower, [whiteout('etc/nothing'), whiteout('nowhere')]]);
    expect(view(tree)).toEqual(view(await mergeTars([lower])));
  });

  it('given a directory turned into a file followed by whiteouts of its old children (umoci repack), then the file stays', async () => {
    const tree = await mergeTars([
      [dir('d'), file('d/a', 'a'), file('d/b', 'b'), file('x', 'x')],
      [file('d', 'now a file'), whiteout('d/a'), whiteout('d/b')],
    ]);
    expect(view(tree)).toEqual({ ...ROOT, '/d': 'file 0644 "now a file"', '/x': 'file 0644 "x"' });
  });

  it('given a whiteout of a symlink, then the link is removed and not its target (WhiteoutSymlink)', async () => {
    const tree = await mergeTars([
      [dir('etc'), file('etc/passwd', 'all users'), symlink('localetc', '/etc')],
      [whiteout('localetc')],
    ]);
    expect(view(tree)).toEqual({ ...ROOT, '/etc': 'dir 0755', '/etc/passwd': 'file 0644 "all users"' });
  });

  it('given a whiteout below a lower symlink, then the symlink is not followed (WhiteoutSymlinkPath is not a deletion of the target)', async () => {
    const tree = await mergeTars([
      [
        dir('etc'),
        file('etc/passwd', 'all users'),
        file('etc/whitedout', 'ahhh'),
        symlink('localetc', '/etc'),
      ],
      [whiteout('localetc/whitedout')],
    ]);
    expect(view(tree)['/etc/whitedout']).toBe('file 0644 "ahhh"');
    expect(view(tree)['/localetc']).toBe('dir 0755');
  });

  it('given `dne/../.wh.etc`, then it resolves inside the root and deletes etc (WhiteoutRelativePath)', async () => {
    const tree = await mergeTars([
      [dir('etc'), file('etc/passwd', 'all users'), symlink('localetc', '/dne')],
      [raw({ typeflag: '0', name: 'dne/../.wh.etc' })],
    ]);
    expect(view(tree)).toEqual({ ...ROOT, '/localetc': 'symlink -> /dne' });
  });

  it('given a directory whited out and re-created in a higher layer, then only the new content is there', async () => {
    const tree = await mergeTars([
      [dir('app', { mode: 0o700 }), file('app/old', 'old'), dir('app/cache'), file('app/cache/c', 'c')],
      [whiteout('app')],
      [dir('app', { mode: 0o755, uid: 1 }), file('app/new', 'new')],
    ]);
    expect(view(tree)).toEqual({ ...ROOT, '/app': 'dir 0755 1:0', '/app/new': 'file 0644 "new"' });
  });

  it('given a directory removed in a lower layer, then re-created as a file above, then a whiteout of the file, then nothing is left', async () => {
    const tree = await mergeTars([
      [dir('d'), file('d/x', 'x')],
      [whiteout('d')],
      [file('d', 'file')],
      [whiteout('d')],
    ]);
    expect(view(tree)).toEqual(ROOT);
  });

  it('given files deleted in a child layer while siblings stay, then the siblings are intact', async () => {
    const tree = await mergeTars([
      [dir('d'), file('d/a', 'a'), file('d/b', 'b'), file('d/c', 'c')],
      [dir('d'), whiteout('d/a'), whiteout('d/c')],
    ]);
    expect(view(tree)).toEqual({ ...ROOT, '/d': 'dir 0755', '/d/b': 'file 0644 "b"' });
  });

  it('given a file moved from a lower layer (whiteout + new path), then it is only at the new path', async () => {
    const tree = await mergeTars([
      [dir('a'), file('a/file', 'moved')],
      [dir('a'), whiteout('a/file'), dir('b'), file('b/file', 'moved')],
    ]);
    expect(view(tree)).toEqual({
      ...ROOT,
      '/a': 'dir 0755',
      '/b': 'dir 0755',
      '/b/file': 'file 0644 "moved"',
    });
  });

  describe('a whiteout and an entry of the same layer', () => {
    const base = [dir('a'), file('a/lower', 'lower')];
    const wh = whiteout('a');
    const same = [dir('a'), file('a/same', 'same')];

    it('given spec mode and the whiteout first, then the same-layer entries survive and the lower ones do not', async () => {
      const tree = await mergeTars([base, [wh, ...same]]);
      expect(view(tree)).toEqual({ ...ROOT, '/a': 'dir 0755', '/a/same': 'file 0644 "same"' });
    });

    it('given spec mode and the whiteout last, then the result is the same (a whiteout only affects lower layers)', async () => {
      const tree = await mergeTars([base, [...same, wh]]);
      expect(view(tree)).toEqual({ ...ROOT, '/a': 'dir 0755', '/a/same': 'file 0644 "same"' });
    });

    it('given moby mode and the whiteout first, then the same-layer entries survive', async () => {
      const tree = await mergeTars([base, [wh, ...same]], { whiteoutMode: 'moby' });
      expect(view(tree)).toEqual({ ...ROOT, '/a': 'dir 0755', '/a/same': 'file 0644 "same"' });
    });

    it('given moby mode and the whiteout last, then it removes the same-layer entries too (RemoveAll)', async () => {
      const tree = await mergeTars([base, [...same, wh]], { whiteoutMode: 'moby' });
      expect(view(tree)).toEqual(ROOT);
    });

    it('given a file and its own whiteout in one layer, then spec keeps the file and moby drops it', async () => {
      const layers = [[file('f', 'lower')], [file('f', 'upper'), whiteout('f')]];
      expect(view(await mergeTars(layers))['/f']).toBe('file 0644 "upper"');
      expect(view(await mergeTars(layers, { whiteoutMode: 'moby' }))['/f']).toBeUndefined();
    });
  });
});

describe('merged view: opaque directories', () => {
  const lower = [
    dir('a', { mode: 0o750 }),
    file('a/x', 'x'),
    dir('a/sub'),
    file('a/sub/y', 'y'),
    file('outside', 'o'),
  ];

  it.each([
    ['before', [dir('a'), opaque('a'), file('a/new', 'new')]],
    ['after', [dir('a'), file('a/new', 'new'), opaque('a')]],
    ['between', [dir('a'), dir('a/sub'), opaque('a'), file('a/sub/new', 'new')]],
  ])(
    'given an opaque marker %s the new entries, then lower content below the dir is hidden and the layer’s own kept',
    async (_, upper) => {
      for (const whiteoutMode of ['spec', 'moby'] as const) {
        const tree = await mergeTars([lower, upper], { whiteoutMode });
        const shown = view(tree);
        expect(shown['/a/x']).toBeUndefined();
        expect(shown['/a/sub/y']).toBeUndefined();
        expect(shown['/outside']).toBe('file 0644 "o"');
        expect(shown['/a/new'] ?? shown['/a/sub/new']).toBe('file 0644 "new"');
      }
    },
  );

  it('given only an opaque marker, then the directory keeps its attributes and is empty', async () => {
    const tree = await mergeTars([lower, [opaque('a')]]);
    expect(view(tree)).toEqual({ ...ROOT, '/a': 'dir 0750', '/outside': 'file 0644 "o"' });
  });

  it('given an opaque marker over a lower file, then the file becomes an empty directory', async () => {
    const tree = await mergeTars([[file('a', 'file')], [opaque('a')]]);
    expect(view(tree)).toEqual({ ...ROOT, '/a': 'dir 0755' });
  });

  it('given an opaque directory in a middle layer, then higher layers add to it normally', async () => {
    const tree = await mergeTars([lower, [opaque('a'), file('a/mid', 'mid')], [file('a/top', 'top')]]);
    expect(Object.keys(view(tree))).toEqual(['/', '/a', '/a/mid', '/a/top', '/outside']);
  });
});

describe('merged view: hardlinks', () => {
  it('given a hardlink to a file in the same tar, then the link shares the target’s inode data', async () => {
    const tree = await mergeTars([
      [
        dir('etc'),
        file('etc/hosts', '127.0.0.1 localhost', { mode: 0o640, uid: 2 }),
        hardlink('etc/hosts.allow', 'etc/hosts', { uid: 1337 }),
      ],
    ]);
    expect(view(tree)['/etc/hosts.allow']).toBe('hardlink 0640 2:0 /etc/hosts "127.0.0.1 localhost"');
    expect(tree.get('/etc/hosts.allow')?.size).toBe('127.0.0.1 localhost'.length);
  });

  it('given a hardlink to a file of a lower layer, then it resolves across layers and survives the target’s deletion', async () => {
    const tree = await mergeTars([[file('a', 'shared')], [hardlink('b', 'a')], [whiteout('a')]]);
    expect(view(tree)).toEqual({ ...ROOT, '/b': 'hardlink 0644 /a "shared"' });
  });

  it('given a hardlink to a symlink, then the link is accepted (umoci TestUnpackHardlink)', async () => {
    const tree = await mergeTars([
      [
        file('regular', 'content'),
        symlink('link', '../../../regular'),
        hardlink('hard link to symlink', 'link'),
      ],
    ]);
    expect(tree.get('/hard link to symlink')).toMatchObject({ type: 'hardlink', linkTarget: '/link' });
  });

  it('given a hardlink whose target no layer holds, then applying it is a VALIDATION error', async () => {
    const entries = await entriesOf([hardlink('b', 'missing')]);
    expect(() => mergeLayers([entries])).toThrow(/does not exist/);
  });

  it('given a hardlink to a lower directory, then applying it is a VALIDATION error', async () => {
    const lower = await entriesOf([dir('d')]);
    const upper = await entriesOf([hardlink('b', 'd')]);
    expect(() => mergeLayers([lower, upper])).toThrow(StrataError);
  });

  it('given a layer that whites out a lower file and hardlinks to it, then spec mode always fails and moby mode only when the whiteout comes first', async () => {
    const lower = await entriesOf([file('a', 'x')]);
    const whiteoutFirst = await entriesOf([whiteout('a'), hardlink('b', 'a')]);
    const linkFirst = await entriesOf([hardlink('b', 'a'), whiteout('a')]);
    expect(() => mergeLayers([lower, whiteoutFirst])).toThrow(/does not exist/);
    expect(() => mergeLayers([lower, linkFirst])).toThrow(/does not exist/);
    expect(() => mergeLayers([lower, whiteoutFirst], { whiteoutMode: 'moby' })).toThrow(/does not exist/);
    expect(view(mergeLayers([lower, linkFirst], { whiteoutMode: 'moby' }))).toEqual({
      ...ROOT,
      '/b': 'hardlink 0644 /a "x"',
    });
  });
});

describe('merged view: stacks', () => {
  it('given 128 stacked layers that add, change and delete, then the top view is exactly what the last layers say', async () => {
    const layers = [];
    for (let i = 0; i < 128; i++) {
      const specs = [
        dir('layers'),
        file(`layers/${i}`, `layer ${i}`),
        file('counter', `${i}`, { mode: 0o600 + (i % 8) }),
      ];
      if (i >= 2) specs.push(whiteout(`layers/${i - 2}`));
      if (i % 10 === 0) specs.push(dir(`tens/${i}`), file(`tens/${i}/f`, `${i}`));
      if (i % 10 === 5) specs.push(whiteout(`tens/${i - 5}`));
      layers.push(specs);
    }
    const tree = await mergeTars(layers);
    expect(view(tree)).toEqual({
      ...ROOT,
      '/counter': 'file 0607 "127"',
      '/layers': 'dir 0755',
      '/layers/126': 'file 0644 "layer 126"',
      '/layers/127': 'file 0644 "layer 127"',
      '/tens': 'dir 0755',
    });
  });

  it('given applyLayer, then the input tree is left as it was', async () => {
    const before = mergeLayers([await entriesOf([dir('a'), file('a/x', 'x')])]);
    const snapshot = new Map(before);
    const after = applyLayer(before, await entriesOf([whiteout('a')]));
    expect(before).toEqual(snapshot);
    expect(after.has('/a')).toBe(false);
  });

  it('given an empty stack, then the view is the root alone', () => {
    expect(mergeLayers([])).toEqual(emptyTree());
  });
});

describe('merged view: entries that are not normalised or reserved', () => {
  const node = (path: string, type: FsNode['type'] = 'file'): LayerEntry => ({
    kind: 'node',
    node: { path, type, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 },
  });

  it.each([['a/b'], ['/a/../b'], ['/a/'], ['/a//b'], ['/./a'], ['']])(
    'given the unnormalised path %j, then VALIDATION',
    (path) => {
      expect(() => mergeLayers([[node(path)]])).toThrow(StrataError);
    },
  );

  it('given a node named with the whiteout prefix, then VALIDATION', () => {
    expect(() => mergeLayers([[node('/a/.wh.b')]])).toThrow(/reserved/);
  });

  it('given a whiteout of the root or a non-directory root, then VALIDATION', () => {
    expect(() => mergeLayers([[{ kind: 'whiteout', path: '/' }]])).toThrow(StrataError);
    expect(() => mergeLayers([[node('/', 'file')]])).toThrow(StrataError);
  });

  it('given a tar that puts a file at the root, then the reader refuses it', async () => {
    await expectValidation(readSpecs([raw({ typeflag: '0', name: './' })]), /root/);
  });
});
