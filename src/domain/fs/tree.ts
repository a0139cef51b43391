import { validationError } from '../errors.ts';
import type { FsNode } from './node.ts';
import { comparePaths, parentOf } from './paths.ts';

/** A merged filesystem view: normalised path → node. Always holds the root `/` (a directory). */
export type FsTree = Map<string, FsNode>;

/** A directory created because an entry needs it as a parent: 0755, root-owned, mtime 0. */
export const implicitDirectory = (path: string): FsNode => ({
  path,
  type: 'dir',
  mode: 0o755,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 0,
});

/** The empty filesystem: just the root directory (with the implicit directory's attributes). */
export const emptyTree = (): FsTree => new Map([['/', implicitDirectory('/')]]);

/**
 * A tree with a children index, so removing a subtree costs the size of the subtree rather than
 * a scan of every path. Invariant: every node's parent is present and is a directory.
 */
export class MutableTree {
  private readonly nodes = new Map<string, FsNode>();
  private readonly children = new Map<string, Set<string>>();

  constructor(root: FsNode = implicitDirectory('/')) {
    if (root.path !== '/' || root.type !== 'dir') throw validationError('the root must be a directory');
    this.nodes.set('/', root);
    this.children.set('/', new Set());
  }

  /** Builds the index from a plain tree; parents must be present and be directories. */
  static from(tree: ReadonlyMap<string, FsNode>): MutableTree {
    const root = tree.get('/');
    const result = new MutableTree(root ?? implicitDirectory('/'));
    const paths = [...tree.keys()].filter((p) => p !== '/').sort(comparePaths);
    for (const path of paths) {
      const node = tree.get(path)!;
      const parent = result.nodes.get(parentOf(path));
      if (parent?.type !== 'dir') {
        throw validationError(`tree node ${path} has no parent directory`, { path });
      }
      result.set(node);
    }
    return result;
  }

  get size(): number {
    return this.nodes.size;
  }

  get(path: string): FsNode | undefined {
    return this.nodes.get(path);
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  /**
   * Puts `node` at its path. The parent must already be a directory. Replacing a directory by a
   * directory keeps its children; replacing it by anything else must be preceded by removeSubtree.
   */
  set(node: FsNode): void {
    const { path } = node;
    if (path === '/') {
      if (node.type !== 'dir') throw validationError('the root must stay a directory');
      this.nodes.set('/', node);
      return;
    }
    const parent = parentOf(path);
    const siblings = this.children.get(parent);
    if (siblings === undefined) throw new Error(`internal: parent of ${path} is not a directory`);
    const previous = this.nodes.get(path);
    if (
      previous !== undefined &&
      previous.type === 'dir' &&
      node.type !== 'dir' &&
      this.children.get(path)?.size
    ) {
      throw new Error(`internal: replacing non-empty directory ${path} without removing it`);
    }
    this.nodes.set(path, node);
    siblings.add(path);
    if (node.type === 'dir') {
      if (!this.children.has(path)) this.children.set(path, new Set());
    } else {
      this.children.delete(path);
    }
  }

  /** Removes `path` and everything below it. The root itself cannot be removed. */
  removeSubtree(path: string): void {
    if (path === '/') throw validationError('the root cannot be removed');
    if (!this.nodes.has(path)) return;
    this.removeChildren(path);
    this.nodes.delete(path);
    this.children.delete(path);
    this.children.get(parentOf(path))?.delete(path);
  }

  /** Removes everything below `path`, keeping `path` itself. */
  removeChildren(path: string): void {
    const kids = this.children.get(path);
    if (kids === undefined) return;
    const stack = [...kids];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const grandKids = this.children.get(p);
      if (grandKids !== undefined) stack.push(...grandKids);
      this.nodes.delete(p);
      this.children.delete(p);
    }
    kids.clear();
  }

  /** Paths directly below a directory (unordered). */
  childrenOf(path: string): string[] {
    return [...(this.children.get(path) ?? [])];
  }

  /** A plain tree in path order (parents before children), so equal trees print equally. */
  toMap(): FsTree {
    const paths = [...this.nodes.keys()].sort(comparePaths);
    return new Map(paths.map((p) => [p, this.nodes.get(p)!]));
  }
}
