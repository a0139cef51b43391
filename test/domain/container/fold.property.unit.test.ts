import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Change, containerChanges } from '../../../src/domain/container/changes.ts';
import type { ContainerCommand } from '../../../src/domain/container/commands.ts';
import { containerDecider } from '../../../src/domain/container/decide.ts';
import type { ContainerEvent } from '../../../src/domain/container/events.ts';
import { upperLayerEntries } from '../../../src/domain/container/layerEntries.ts';
import { type ContainerState, foldContainer, isLive } from '../../../src/domain/container/state.ts';
import { lookupPath } from '../../../src/domain/container/writableLayer.ts';
import { StrataError } from '../../../src/domain/errors.ts';
import type { FsNode } from '../../../src/domain/fs/node.ts';
import { ancestorsOf, comparePaths, isWithin, parentOf } from '../../../src/domain/fs/paths.ts';
import { applyLayer } from '../../../src/domain/fs/union.ts';
import { containerId, content, createdEvent, dir, file, lowerView, started, symlink } from './fixtures.ts';

/**
 * The fold property: for any sequence of filesystem commands, deciding each one and folding the
 * events gives a writable layer whose merged view equals a naive model of the whole filesystem
 * (a plain path → node map changed the obvious way), whose `docker diff` equals moby's tree
 * comparison of the image and that model, and whose commit changeset, applied over the image
 * with the union rules, gives that model back. decide refuses exactly what the model refuses.
 */

const image = lowerView([
  dir('/etc'),
  file('/etc/a'),
  file('/etc/b', { mode: 0o600 }),
  dir('/etc/sub', { mode: 0o700 }),
  file('/etc/sub/c'),
  dir('/usr'),
  file('/usr/d', { uid: 7 }),
  dir('/usr/e'),
  symlink('/usr/e/f', '../d'),
  file('/x'),
]);

const paths = [
  '/',
  '/etc',
  '/etc/a',
  '/etc/b',
  '/etc/n',
  '/etc/sub',
  '/etc/sub/c',
  '/etc/sub/n',
  '/etc/a/n',
  '/usr',
  '/usr/d',
  '/usr/e',
  '/usr/e/f',
  '/usr/e/n',
  '/x',
  '/n',
  '/n/m',
  '/n/m/k',
];

type Op =
  | { op: 'write'; path: string; text: string; createParents: boolean; mode?: number }
  | { op: 'mkdir'; path: string; parents: boolean }
  | { op: 'rm'; path: string; recursive: boolean }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'chown'; path: string; uid: number }
  | { op: 'mv'; from: string; to: string }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'link'; target: string; path: string };

const path = fc.constantFrom(...paths);
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('rm' as const), path, recursive: fc.constant(true) }), weight: 2 },
  {
    arbitrary: fc.record({ op: fc.constant('mkdir' as const), path, parents: fc.constant(true) }),
    weight: 2,
  },
  fc.record({
    op: fc.constant('write' as const),
    path,
    text: fc.constantFrom('one', 'two', 'three!'),
    createParents: fc.boolean(),
    mode: fc.option(fc.constantFrom(0o600, 0o755), { nil: undefined }),
  }),
  fc.record({ op: fc.constant('mkdir' as const), path, parents: fc.boolean() }),
  fc.record({ op: fc.constant('rm' as const), path, recursive: fc.boolean() }),
  fc.record({ op: fc.constant('chmod' as const), path, mode: fc.constantFrom(0o600, 0o644, 0o700, 0o755) }),
  fc.record({ op: fc.constant('chown' as const), path, uid: fc.constantFrom(0, 1) }),
  fc.record({ op: fc.constant('mv' as const), from: path, to: path }),
  fc.record({ op: fc.constant('symlink' as const), path, target: fc.constantFrom('/etc', 'a', '../x') }),
  fc.record({ op: fc.constant('link' as const), target: path, path }),
);

const clock = (step: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, step)).toISOString();

function toCommand(op: Op, step: number): ContainerCommand {
  const base = { containerId, now: clock(step), lower: image.lower };
  switch (op.op) {
    case 'write':
      return {
        type: 'WriteFile',
        data: {
          ...base,
          path: op.path,
          digest: content(op.text),
          size: op.text.length,
          append: false,
          createParents: op.createParents,
          ...(op.mode !== undefined && { mode: op.mode }),
        },
      };
    case 'mkdir':
      return { type: 'MakeDirectory', data: { ...base, path: op.path, parents: op.parents } };
    case 'rm':
      return {
        type: 'RemovePath',
        data: { ...base, path: op.path, recursive: op.recursive, lowerChildren: image.lowerChildren },
      };
    case 'chmod':
      return { type: 'ChangeMode', data: { ...base, path: op.path, mode: op.mode } };
    case 'chown':
      return { type: 'ChangeOwner', data: { ...base, path: op.path, uid: op.uid, gid: 0 } };
    case 'mv':
      return {
        type: 'RenamePath',
        data: { ...base, from: op.from, to: op.to, lowerChildren: image.lowerChildren },
      };
    case 'symlink':
      return { type: 'CreateSymlink', data: { ...base, path: op.path, target: op.target } };
    case 'link':
      return { type: 'CreateHardlink', data: { ...base, path: op.path, target: op.target } };
  }
}

/** The naive model: the whole merged filesystem as a map, changed the obvious way. */
class Model {
  constructor(readonly tree: Map<string, FsNode>) {}

  static of(nodes: ReadonlyMap<string, FsNode>) {
    return new Model(new Map(nodes));
  }

  /** Applies `op`; false (and no change) when it is refused. */
  apply(op: Op, step: number): boolean {
    const draft = new Model(new Map(this.tree));
    const ok = draft.run(op, Date.parse(clock(step)) / 1000);
    if (ok) {
      this.tree.clear();
      for (const [k, v] of draft.tree) this.tree.set(k, v);
    }
    return ok;
  }

  private get = (p: string) => this.tree.get(p);
  private children = (p: string) => [...this.tree.keys()].filter((k) => k !== '/' && parentOf(k) === p);
  private subtree = (p: string) => [...this.tree.keys()].filter((k) => isWithin(k, p)).sort(comparePaths);

  private parents(p: string, create: boolean, mtime: number): boolean {
    for (const a of ancestorsOf(p)) {
      if (a === '/') continue;
      const n = this.get(a);
      if (n?.type === 'dir') continue;
      if (n || !create) return false;
      this.tree.set(a, dir(a, { mtime }));
    }
    return true;
  }

  private canonical(p: string): string {
    const n = this.get(p)!;
    return n.type === 'hardlink' ? n.linkTarget! : p;
  }

  private setInode(canonical: string, inode: FsNode) {
    this.tree.set(canonical, { ...inode, path: canonical });
    for (const [k, n] of this.tree)
      if (n.type === 'hardlink' && n.linkTarget === canonical) this.tree.set(k, link(inode, k, canonical));
  }

  private detach(p: string) {
    const groups = new Map<string, string[]>();
    for (const [k, n] of [...this.tree].sort(([a], [b]) => comparePaths(a, b))) {
      if (n.type === 'hardlink' && isWithin(n.linkTarget!, p) && !isWithin(k, p))
        groups.set(n.linkTarget!, [...(groups.get(n.linkTarget!) ?? []), k]);
    }
    for (const [target, [first, ...others]] of groups) {
      const inode = this.get(target)!;
      this.tree.set(first!, { ...inode, path: first! });
      for (const o of others) this.tree.set(o, link(inode, o, first!));
    }
  }

  private drop(p: string) {
    for (const k of this.subtree(p)) this.tree.delete(k);
  }

  private run(op: Op, mtime: number): boolean {
    switch (op.op) {
      case 'write': {
        if (op.path === '/' || !this.parents(op.path, op.createParents, mtime)) return false;
        const existing = this.get(op.path);
        if (existing && existing.type !== 'file' && existing.type !== 'hardlink') return false;
        const data = { size: op.text.length, digest: content(op.text), mtime };
        if (!existing) {
          this.tree.set(op.path, file(op.path, { ...data, mode: op.mode ?? 0o644 }));
          return true;
        }
        const canonical = this.canonical(op.path);
        const inode = this.get(canonical)!;
        this.setInode(canonical, {
          path: canonical,
          type: 'file',
          mode: op.mode ?? inode.mode,
          uid: inode.uid,
          gid: inode.gid,
          ...data,
        });
        return true;
      }
      case 'mkdir': {
        if (op.path === '/') return op.parents;
        if (!this.parents(op.path, op.parents, mtime)) return false;
        const existing = this.get(op.path);
        if (existing) return existing.type === 'dir' && op.parents;
        this.tree.set(op.path, dir(op.path, { mtime }));
        return true;
      }
      case 'rm': {
        const existing = this.get(op.path);
        if (op.path === '/' || !existing) return false;
        if (existing.type === 'dir' && !op.recursive && this.children(op.path).length > 0) return false;
        this.detach(op.path);
        this.drop(op.path);
        return true;
      }
      case 'chmod':
      case 'chown': {
        if (!this.get(op.path)) return false;
        const canonical = this.canonical(op.path);
        const inode = this.get(canonical)!;
        const next = op.op === 'chmod' ? { ...inode, mode: op.mode } : { ...inode, uid: op.uid, gid: 0 };
        if (next.mode !== inode.mode || next.uid !== inode.uid || next.gid !== inode.gid)
          this.setInode(canonical, next);
        return true;
      }
      case 'mv': {
        const { from, to } = op;
        const source = this.get(from);
        if (from === '/' || to === '/' || !source) return false;
        if (from === to) return true;
        if (isWithin(to, from)) return false;
        if (this.get(parentOf(to))?.type !== 'dir') return false;
        const target = this.get(to);
        if (target) {
          if ((source.type === 'dir') !== (target.type === 'dir')) return false;
          if (target.type === 'dir' && this.children(to).length > 0) return false;
          if (target.type !== 'dir' && this.canonical(from) === this.canonical(to)) return true;
          if (target.type !== 'dir') this.detach(to);
          this.drop(to);
        }
        const moved = this.subtree(from).map((k) => this.get(k)!);
        for (const n of moved) {
          const np = to + n.path.slice(from.length);
          const linkTarget =
            n.type === 'hardlink' && isWithin(n.linkTarget!, from)
              ? to + n.linkTarget!.slice(from.length)
              : n.linkTarget;
          this.tree.set(np, { ...n, path: np, ...(linkTarget !== undefined && { linkTarget }) });
        }
        for (const [k, n] of this.tree) {
          if (
            n.type === 'hardlink' &&
            isWithin(n.linkTarget!, from) &&
            !isWithin(k, from) &&
            !isWithin(k, to)
          ) {
            this.tree.set(k, { ...n, linkTarget: to + n.linkTarget!.slice(from.length) });
          }
        }
        this.drop(from);
        return true;
      }
      case 'symlink': {
        if (op.path === '/' || !this.parents(op.path, false, mtime) || this.get(op.path)) return false;
        this.tree.set(op.path, { ...symlink(op.path, op.target), mtime });
        return true;
      }
      case 'link': {
        const target = this.get(op.target);
        if (!target || target.type === 'dir' || op.path === '/') return false;
        if (!this.parents(op.path, false, mtime) || this.get(op.path)) return false;
        const canonical = this.canonical(op.target);
        this.tree.set(op.path, link(this.get(canonical)!, op.path, canonical));
        return true;
      }
    }
  }
}

function link(inode: FsNode, path: string, target: string): FsNode {
  const { linkTarget: _t, ...data } = inode;
  return { ...data, path, type: 'hardlink', linkTarget: target };
}

/** moby's FileInfo.addChanges over two whole trees, written out independently of containerChanges. */
function treeChanges(before: ReadonlyMap<string, FsNode>, after: ReadonlyMap<string, FsNode>): Change[] {
  const changes: Change[] = [];
  const childrenOf = (tree: ReadonlyMap<string, FsNode>, p: string) =>
    [...tree.keys()].filter((k) => k !== '/' && parentOf(k) === p).sort(comparePaths);
  const differ = (a: FsNode, b: FsNode) =>
    a.type !== b.type ||
    a.mode !== b.mode ||
    a.uid !== b.uid ||
    a.gid !== b.gid ||
    (a.type !== 'dir' &&
      (a.size !== b.size || a.mtime !== b.mtime || a.digest !== b.digest || a.linkTarget !== b.linkTarget));
  function add(path: string, old: FsNode | undefined, alreadyListed: boolean) {
    const sizeAtEntry = changes.length;
    const node = after.get(path)!;
    let listed = alreadyListed;
    if (!old) {
      changes.push({ kind: 'A', path });
      listed = true;
    }
    const oldChildren = new Set(
      old && node.type === 'dir' && old.type === 'dir' ? childrenOf(before, path) : [],
    );
    for (const child of childrenOf(after, path)) {
      const oldChild = oldChildren.has(child) ? before.get(child) : undefined;
      let childListed = false;
      if (oldChild) {
        if (differ(oldChild, after.get(child)!)) {
          changes.push({ kind: 'C', path: child });
          childListed = true;
        }
        oldChildren.delete(child);
      }
      add(child, oldChild, childListed);
    }
    for (const gone of oldChildren) changes.push({ kind: 'D', path: gone });
    if (changes.length > sizeAtEntry && node.type === 'dir' && !listed && path !== '/')
      changes.splice(sizeAtEntry, 0, { kind: 'C', path });
  }
  add('/', before.get('/'), true);
  return changes;
}

function checkInvariant(state: ContainerState) {
  if (!isLive(state)) return;
  for (const path of state.layer.entries.keys()) {
    for (const ancestor of ancestorsOf(path)) {
      if (ancestor === '/') continue;
      const entry = state.layer.entries.get(ancestor);
      expect(
        entry?.kind === 'node' && entry.node.type,
        `${ancestor} above ${path} is an upper directory`,
      ).toBe('dir');
    }
  }
  for (const path of state.layer.opaque) {
    const entry = state.layer.entries.get(path);
    expect(entry?.kind === 'node' && entry.node.type, `opaque ${path} is an upper directory`).toBe('dir');
  }
}

describe('fold property: decide + evolve against a naive filesystem model', () => {
  it('merged view, docker diff and commit changeset all agree with the model', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { minLength: 6, maxLength: 40 }), (ops) => {
        const model = Model.of(image.map);
        const history: ContainerEvent[] = [createdEvent, started];
        let state: ContainerState = foldContainer(history);
        ops.forEach((op, step) => {
          let events: ContainerEvent[] | undefined;
          try {
            events = containerDecider.decide(toCommand(op, step + 1), state);
          } catch (error) {
            if (!(error instanceof StrataError)) throw error;
          }
          const accepted = model.apply(op, step + 1);
          expect(
            events !== undefined,
            `decide ${events ? 'accepted' : 'refused'} ${JSON.stringify(op)}`,
          ).toBe(accepted);
          if (!events) return;
          state = events.reduce(containerDecider.evolve, state);
          history.push(...events);
        });

        checkInvariant(state);
        if (!isLive(state)) throw new Error('container should be live');
        const seen = new Set([
          ...paths,
          ...model.tree.keys(),
          ...image.map.keys(),
          ...state.layer.entries.keys(),
        ]);
        for (const p of seen) expect(lookupPath(state.layer, image.lower, p), p).toEqual(model.tree.get(p));

        expect(containerChanges(state, image.lower, image.lowerChildren)).toEqual(
          treeChanges(image.map, model.tree).sort((a, b) => comparePaths(a.path, b.path)),
        );

        const committed = applyLayer(image.map, upperLayerEntries(state));
        expect(new Map([...committed].sort(([a], [b]) => comparePaths(a, b)))).toEqual(
          new Map([...model.tree].sort(([a], [b]) => comparePaths(a, b))),
        );

        expect(foldContainer(history)).toEqual(state);
      }),
      { numRuns: 400 },
    );
  });

  it("docker diff lists every parent before its children in moby's own order", () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 16 }), (ops) => {
        const model = Model.of(image.map);
        for (const [step, op] of ops.entries()) model.apply(op, step + 1);
        const changes = treeChanges(image.map, model.tree);
        const index = new Map(changes.map((c, i) => [c.path, i]));
        for (const [i, change] of changes.entries()) {
          for (const ancestor of ancestorsOf(change.path)) {
            if (ancestor !== '/')
              expect(index.get(ancestor), `${ancestor} before ${change.path}`).toBeLessThan(i);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
