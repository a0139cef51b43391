import { describe, expect, it } from 'vitest';
import { StrataError } from '../../../src/domain/errors.ts';
import type { FsNode } from '../../../src/domain/fs/node.ts';
import { resolvePath } from '../../../src/domain/fs/resolvePath.ts';
import { dir, file, hardlink, symlink } from '../../support/tarBuilder.ts';
import { mergeTars } from './layerFixtures.ts';

const base = [dir('etc'), file('etc/passwd', 'inside'), dir('dummy'), dir('home'), dir('home/derek')];

async function treeWith(...links: Parameters<typeof symlink>[]) {
  return mergeTars([base, links.map((args) => symlink(...args))]);
}

function errno(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).code).toBe('VALIDATION');
    return (error as StrataError).details.errno as string;
  }
  return undefined;
}

describe('resolvePath', () => {
  it.each([
    ['an absolute symlink', ['localetc', '/etc']],
    ['a symlink up and out', ['localetc', '/dummy/../etc']],
    ['a relative symlink climbing far above the root', ['localetc', '../../../../../../../etc']],
    ['a relative symlink up and out', ['localetc', 'upandout/../../../etc']],
    ['a trailing-slash target', ['localetc', '/etc/']],
  ] as const)('given %s, then /localetc/passwd resolves to /etc/passwd inside the root', async (_, link) => {
    const tree = await treeWith([...link]);
    const resolved = resolvePath(tree, '/localetc/passwd');
    expect(resolved.path).toBe('/etc/passwd');
    expect(resolved.node?.type).toBe('file');
  });

  it('given chained symlinks (SymlinkMultipleAbsolute/Relative), then they resolve step by step', async () => {
    const tree = await treeWith(['dummy/etc', '/etc'], ['localetc', './dummy/etc'], ['abs', '/dummy/etc']);
    expect(resolvePath(tree, 'localetc/passwd').path).toBe('/etc/passwd');
    expect(resolvePath(tree, '/abs/passwd').path).toBe('/etc/passwd');
  });

  it('given a symlink to "/" or "/../", then it resolves to the root, never above it', async () => {
    const tree = await treeWith(['root1', '/'], ['root2', '/../../'], ['root3', '..']);
    for (const link of ['/root1', '/root2', '/root3'])
      expect(resolvePath(tree, `${link}/etc/passwd`).path).toBe('/etc/passwd');
  });

  it('given `..` after a symlink, then it climbs from the link target’s real parent', async () => {
    const tree = await treeWith(['home/derek/etc', '../../etc']);
    expect(resolvePath(tree, '/home/derek/etc/..').path).toBe('/');
    expect(resolvePath(tree, '/home/derek/etc/../etc/passwd').path).toBe('/etc/passwd');
  });

  it('given followFinal false, then the last symlink itself is returned', async () => {
    const tree = await treeWith(['localetc', '/etc']);
    const resolved = resolvePath(tree, '/localetc', { followFinal: false });
    expect(resolved.path).toBe('/localetc');
    expect(resolved.node?.type).toBe('symlink');
    expect(resolvePath(tree, '/localetc').path).toBe('/etc');
  });

  it('given a dangling symlink, then the missing rest resolves lexically', async () => {
    const tree = await treeWith(['localetc', '/dne']);
    const resolved = resolvePath(tree, '/localetc/x/../y');
    expect(resolved).toEqual({ path: '/dne/y', node: undefined });
  });

  it('given a symlink loop, then ELOOP', async () => {
    const tree = await treeWith(['a', 'b'], ['b', '/a'], ['self', 'self']);
    expect(errno(() => resolvePath(tree, '/a'))).toBe('ELOOP');
    expect(errno(() => resolvePath(tree, '/self/x'))).toBe('ELOOP');
    expect(resolvePath(tree, '/a', { followFinal: false }).path).toBe('/a');
  });

  it('given a chain longer than maxSymlinks, then ELOOP; within it, then resolved', async () => {
    const tree = await treeWith(['l1', 'l2'], ['l2', 'l3'], ['l3', 'etc']);
    expect(resolvePath(tree, '/l1/passwd', { maxSymlinks: 3 }).path).toBe('/etc/passwd');
    expect(errno(() => resolvePath(tree, '/l1/passwd', { maxSymlinks: 2 }))).toBe('ELOOP');
  });

  it('given a file in the middle of a path, then ENOTDIR', async () => {
    const tree = await treeWith();
    expect(errno(() => resolvePath(tree, '/etc/passwd/x'))).toBe('ENOTDIR');
  });

  it('given a hardlink, then it is a leaf and not followed', async () => {
    const tree = await mergeTars([[file('a', 'x'), hardlink('b', 'a')]]);
    expect(resolvePath(tree, '/b')).toMatchObject({ path: '/b', node: { type: 'hardlink' } });
  });

  it('given a lookup function instead of a map, then it is used the same way', () => {
    const nodes: Record<string, FsNode> = {
      '/l': { path: '/l', type: 'symlink', linkTarget: 'd', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0 },
      '/d': { path: '/d', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 },
    };
    expect(resolvePath((p) => nodes[p], '/l').node?.path).toBe('/d');
  });
});
