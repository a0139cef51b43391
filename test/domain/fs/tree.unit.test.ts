import { describe, expect, it } from 'vitest';
import { StrataError } from '../../../src/domain/errors.ts';
import type { FsNode } from '../../../src/domain/fs/node.ts';
import { emptyTree, implicitDirectory, MutableTree } from '../../../src/domain/fs/tree.ts';

const fileAt = (path: string): FsNode => ({
  path,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 0,
});

describe('indexed tree', () => {
  it('given nodes set in any order, then toMap lists them in path order', () => {
    const tree = new MutableTree();
    tree.set(implicitDirectory('/b'));
    tree.set(implicitDirectory('/a'));
    tree.set(fileAt('/a/z'));
    tree.set(fileAt('/a.txt'));
    expect([...tree.toMap().keys()]).toEqual(['/', '/a', '/a/z', '/a.txt', '/b']);
  });

  it('given a subtree removal, then exactly that subtree goes and the children index follows', () => {
    const tree = MutableTree.from(
      new Map([
        ['/', implicitDirectory('/')],
        ['/a', implicitDirectory('/a')],
        ['/a/b', implicitDirectory('/a/b')],
        ['/a/b/c', fileAt('/a/b/c')],
        ['/ab', fileAt('/ab')],
      ]),
    );
    tree.removeSubtree('/a');
    expect([...tree.toMap().keys()]).toEqual(['/', '/ab']);
    expect(tree.childrenOf('/')).toEqual(['/ab']);
    tree.set(implicitDirectory('/a'));
    expect(tree.childrenOf('/a')).toEqual([]);
  });

  it('given a plain tree with an orphan or a file as parent, then from() refuses it', () => {
    expect(() => MutableTree.from(new Map([['/a/b', fileAt('/a/b')]]))).toThrow(StrataError);
    expect(() =>
      MutableTree.from(
        new Map([
          ['/a', fileAt('/a')],
          ['/a/b', fileAt('/a/b')],
        ]),
      ),
    ).toThrow(StrataError);
  });

  it('given the root, then it cannot be removed or become a file', () => {
    const tree = new MutableTree();
    expect(() => tree.removeSubtree('/')).toThrow(StrataError);
    expect(() => tree.set(fileAt('/'))).toThrow(StrataError);
    expect(emptyTree()).toEqual(new Map([['/', implicitDirectory('/')]]));
  });
});
