import { type Digest, sha256Digest } from '../domain/digest.ts';
import { validationError } from '../domain/errors.ts';
import type { FsNode } from '../domain/fs/node.ts';
import { isWithin, normalizePath, parentOf } from '../domain/fs/paths.ts';
import type { BaseFs, FsOperation } from './types.ts';

/** How a tree is written down: a file's content, or a node description. */
export type TreeSpec = Record<
  string,
  | string
  | Uint8Array
  | { content: string | Uint8Array; mode?: number; uid?: number; gid?: number }
  | { dir: true; mode?: number }
  | { symlink: string }
  | { hardlink: string }
>;

const encoder = new TextEncoder();

/**
 * A BaseFs held in memory: a reference implementation of the interface (used by the tests, and a
 * way to run exec without a database) plus `apply`, the executable definition of what a list of
 * FsOperations means.
 */
export class MemoryBaseFs implements BaseFs {
  private constructor(
    private readonly nodes: Map<string, FsNode>,
    private readonly blobs: Map<Digest, Uint8Array>,
  ) {}

  /** A tree from a spec; parent directories are created (mode 0755, mtime 0). */
  static from(spec: TreeSpec): MemoryBaseFs {
    const tree = new MemoryBaseFs(new Map([['/', dirNode('/', 0o755)]]), new Map());
    const hardlinks: [string, string][] = [];
    for (const [rawPath, value] of Object.entries(spec)) {
      const path = normalizePath(rawPath);
      tree.ensureParents(path);
      if (typeof value === 'string' || value instanceof Uint8Array)
        tree.putFile(path, toBytes(value), 0o644, 0, 0);
      else if ('content' in value)
        tree.putFile(path, toBytes(value.content), value.mode ?? 0o644, value.uid ?? 0, value.gid ?? 0);
      else if ('dir' in value) tree.nodes.set(path, dirNode(path, value.mode ?? 0o755));
      else if ('symlink' in value) tree.nodes.set(path, symlinkNode(path, value.symlink));
      else hardlinks.push([path, normalizePath(value.hardlink)]);
    }
    for (const [path, target] of hardlinks) tree.putHardlink(path, target);
    return tree;
  }

  async lookup(path: string): Promise<FsNode | null> {
    return this.nodes.get(path) ?? null;
  }

  async list(dir: string): Promise<FsNode[]> {
    return [...this.nodes.values()].filter((node) => node.path !== '/' && parentOf(node.path) === dir);
  }

  async read(node: FsNode): Promise<Uint8Array> {
    const bytes = node.digest && this.blobs.get(node.digest);
    if (!bytes) throw new Error(`no content for ${node.path}`);
    return bytes;
  }

  /** Every node, in path order. */
  allNodes(): FsNode[] {
    return [...this.nodes.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * A new tree: this one with `operations` applied in order. Each operation's precondition is
   * checked (see FsOperation); a violation is a VALIDATION error naming the operation.
   */
  apply(operations: readonly FsOperation[]): MemoryBaseFs {
    const next = new MemoryBaseFs(new Map(this.nodes), new Map(this.blobs));
    operations.forEach((op, index) => {
      next.applyOne(op, index);
    });
    return next;
  }

  private applyOne(op: FsOperation, index: number): void {
    const fail = (why: string): never => {
      throw validationError(`operation ${index} (${op.op}) ${why}`, { index, op: op.op });
    };
    const needParent = (path: string) => {
      if (this.nodes.get(parentOf(path))?.type !== 'dir') fail(`needs the directory ${parentOf(path)}`);
    };
    const needAbsent = (path: string) => {
      if (this.nodes.has(path)) fail(`needs ${path} absent`);
    };
    const existing = (path: string): FsNode => this.nodes.get(path) ?? fail(`needs ${path} to exist`);
    switch (op.op) {
      case 'writeFile': {
        needParent(op.path);
        const before = this.nodes.get(op.path);
        if (before && before.type !== 'file' && before.type !== 'hardlink')
          fail(`cannot write the ${before.type} ${op.path}`);
        const mode = op.mode ?? before?.mode ?? fail(`needs a mode to create ${op.path}`);
        this.putFile(op.path, op.content, mode, before?.uid ?? 0, before?.gid ?? 0);
        return;
      }
      case 'mkdir':
        needParent(op.path);
        needAbsent(op.path);
        this.nodes.set(op.path, dirNode(op.path, op.mode));
        return;
      case 'symlink':
        needParent(op.path);
        needAbsent(op.path);
        this.nodes.set(op.path, symlinkNode(op.path, op.target));
        return;
      case 'hardlink': {
        needParent(op.path);
        needAbsent(op.path);
        const target = existing(op.target);
        if (target.type !== 'file' && target.type !== 'hardlink')
          fail(`cannot hardlink the ${target.type} ${op.target}`);
        this.putHardlink(op.path, op.target);
        return;
      }
      case 'chmod':
        this.nodes.set(op.path, { ...existing(op.path), mode: op.mode });
        return;
      case 'chown':
        this.nodes.set(op.path, { ...existing(op.path), uid: op.uid, gid: op.gid });
        return;
      case 'utimes':
        this.nodes.set(op.path, { ...existing(op.path), mtime: op.mtime });
        return;
      case 'remove': {
        const node = existing(op.path);
        const below = this.below(op.path);
        if (node.type === 'dir' && below.length > 0 && !op.recursive)
          fail(`cannot remove the non-empty ${op.path}`);
        for (const path of [op.path, ...below]) this.nodes.delete(path);
        return;
      }
      case 'rename': {
        const from = existing(op.from);
        needParent(op.to);
        if (isWithin(op.to, op.from)) fail(`cannot move ${op.from} into itself`);
        const to = this.nodes.get(op.to);
        if (to) {
          if ((to.type === 'dir') !== (from.type === 'dir'))
            fail(`cannot replace ${op.to} by a ${from.type}`);
          if (to.type === 'dir' && this.below(op.to).length > 0)
            fail(`cannot replace the non-empty ${op.to}`);
          this.nodes.delete(op.to);
        }
        for (const path of [op.from, ...this.below(op.from)]) {
          const node = this.nodes.get(path)!;
          this.nodes.delete(path);
          const moved = op.to + path.slice(op.from.length);
          this.nodes.set(moved, { ...node, path: moved });
        }
        return;
      }
    }
  }

  private below(path: string): string[] {
    return [...this.nodes.keys()].filter((p) => p !== path && isWithin(p, path));
  }

  private ensureParents(path: string): void {
    const parent = parentOf(path);
    if (parent === path || this.nodes.has(parent)) return;
    this.ensureParents(parent);
    this.nodes.set(parent, dirNode(parent, 0o755));
  }

  private putFile(path: string, content: Uint8Array, mode: number, uid: number, gid: number): void {
    const digest = sha256Digest(content);
    this.blobs.set(digest, new Uint8Array(content));
    this.nodes.set(path, { path, type: 'file', mode, uid, gid, size: content.length, digest, mtime: 0 });
  }

  private putHardlink(path: string, target: string): void {
    const node = this.nodes.get(target);
    if (!node || (node.type !== 'file' && node.type !== 'hardlink')) {
      throw validationError(`hardlink ${path} needs the regular file ${target}`);
    }
    this.nodes.set(path, { ...node, path, type: 'hardlink', linkTarget: node.linkTarget ?? target });
  }
}

const toBytes = (value: string | Uint8Array) => (typeof value === 'string' ? encoder.encode(value) : value);

const dirNode = (path: string, mode: number): FsNode => ({
  path,
  type: 'dir',
  mode,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 0,
});

const symlinkNode = (path: string, target: string): FsNode => ({
  path,
  type: 'symlink',
  mode: 0o777,
  uid: 0,
  gid: 0,
  size: 0,
  linkTarget: target,
  mtime: 0,
});
