import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../../src/domain/digest.ts';
import { StrataError } from '../../../src/domain/errors.ts';
import type { FsNode, LayerEntry } from '../../../src/domain/fs/node.ts';
import { parentOf } from '../../../src/domain/fs/paths.ts';
import { implicitDirectory, MutableTree } from '../../../src/domain/fs/tree.ts';
import { applyLayer, mergeLayers, type WhiteoutMode } from '../../../src/domain/fs/union.ts';
import { sha256 } from '../../support/tarBuilder.ts';

/**
 * A second, deliberately naive transcription of the union rules (a plain Map, subtrees found by
 * scanning every key). mergeLayers (indexed tree) must agree with it on random layer stacks.
 */
function naiveMerge(layers: LayerEntry[][], mode: WhiteoutMode): Map<string, FsNode> {
  const t = new Map<string, FsNode>([['/', implicitDirectory('/')]]);
  const below = (p: string, d: string) => p !== d && (d === '/' || p.startsWith(`${d}/`));
  const removeAtOrBelow = (d: string) => {
    for (const p of [...t.keys()]) if (p === d || below(p, d)) t.delete(p);
  };
  const mkdirs = (p: string) => {
    const segments = p.split('/').filter(Boolean);
    for (let i = 1; i <= segments.length; i++) {
      const q = `/${segments.slice(0, i).join('/')}`;
      const existing = t.get(q);
      if (existing?.type === 'dir') continue;
      if (existing) removeAtOrBelow(q);
      t.set(q, implicitDirectory(q));
    }
  };
  for (const layer of layers) {
    for (const e of layer) {
      if (e.kind === 'opaque') for (const p of [...t.keys()]) if (below(p, e.path)) t.delete(p);
      if (e.kind === 'whiteout' && mode === 'spec') removeAtOrBelow(e.path);
    }
    const placed = new Set<string>();
    for (const e of layer) {
      if (e.kind === 'whiteout') {
        const ancestors = parentOf(e.path)
          .split('/')
          .filter(Boolean)
          .map((_, i, all) => `/${all.slice(0, i + 1).join('/')}`);
        if (ancestors.some((q) => placed.has(q) && t.has(q) && t.get(q)!.type !== 'dir')) continue;
        mkdirs(parentOf(e.path));
        if (mode === 'moby') removeAtOrBelow(e.path);
      } else if (e.kind === 'opaque') {
        mkdirs(e.path);
      } else {
        let n = e.node;
        if (n.type === 'hardlink') {
          const target = t.get(n.linkTarget!);
          if (!target || target.type === 'dir' || n.linkTarget === n.path)
            throw new StrataError('VALIDATION', 'bad link');
          n = {
            path: n.path,
            type: 'hardlink',
            linkTarget: n.linkTarget,
            mode: target.mode,
            uid: target.uid,
            gid: target.gid,
            size: target.size,
            mtime: target.mtime,
          };
          if (target.digest) n.digest = target.digest;
        }
        if (n.path === '/') {
          t.set('/', n);
          continue;
        }
        mkdirs(parentOf(n.path));
        const existing = t.get(n.path);
        if (existing && !(existing.type === 'dir' && n.type === 'dir')) removeAtOrBelow(n.path);
        t.set(n.path, n);
        placed.add(n.path);
      }
    }
  }
  return t;
}

const paths = ['/a', '/b', '/a/a', '/a/b', '/b/a', '/a/a/a', '/a/b/c', '/c'];
const path = fc.constantFrom(...paths);
const contents: Digest[] = ['one', 'two', 'three'].map((c) => sha256(c));

const nodeEntry: fc.Arbitrary<LayerEntry> = fc
  .record({
    path: fc.oneof(path, fc.constant('/')),
    type: fc.constantFrom('file', 'dir', 'dir', 'symlink', 'hardlink', 'fifo') as fc.Arbitrary<
      FsNode['type']
    >,
    mode: fc.constantFrom(0o644, 0o755, 0o4755, 0o1777),
    uid: fc.constantFrom(0, 1000),
    content: fc.integer({ min: 0, max: 2 }),
    target: path,
  })
  .map(({ path: p, type, mode, uid, content, target }): LayerEntry => {
    const effective = p === '/' ? 'dir' : type;
    const node: FsNode = { path: p, type: effective, mode, uid, gid: 0, size: 0, mtime: 1 };
    if (effective === 'file') {
      node.size = content + 3;
      node.digest = contents[content]!;
    }
    if (effective === 'symlink') node.linkTarget = target === p ? '../x' : target;
    if (effective === 'hardlink') node.linkTarget = target;
    return { kind: 'node', node };
  });

const entry: fc.Arbitrary<LayerEntry> = fc.oneof(
  { weight: 5, arbitrary: nodeEntry },
  { weight: 2, arbitrary: path.map((p): LayerEntry => ({ kind: 'whiteout', path: p })) },
  {
    weight: 1,
    arbitrary: fc.oneof(path, fc.constant('/')).map((p): LayerEntry => ({ kind: 'opaque', path: p })),
  },
);
const stack = fc.array(fc.array(entry, { maxLength: 8 }), { minLength: 1, maxLength: 6 });

function outcome(run: () => Map<string, FsNode>): Map<string, FsNode> | 'VALIDATION' {
  try {
    return run();
  } catch (error) {
    if (error instanceof StrataError && error.code === 'VALIDATION') return 'VALIDATION';
    throw error;
  }
}

describe('union rules against a naive transcription', () => {
  for (const mode of ['spec', 'moby'] as const) {
    it(`given random layer stacks (${mode} whiteouts), then mergeLayers equals the naive model, or both refuse`, () => {
      fc.assert(
        fc.property(stack, (layers) => {
          expect(outcome(() => mergeLayers(layers, { whiteoutMode: mode }))).toEqual(
            outcome(() => naiveMerge(layers, mode)),
          );
        }),
        { numRuns: 400 },
      );
    });
  }

  it('given random stacks, then every node but the root has a directory as parent', () => {
    fc.assert(
      fc.property(stack, (layers) => {
        const tree = outcome(() => mergeLayers(layers));
        if (tree === 'VALIDATION') return;
        expect(tree.get('/')?.type).toBe('dir');
        for (const p of tree.keys()) if (p !== '/') expect(tree.get(parentOf(p))?.type).toBe('dir');
      }),
      { numRuns: 300 },
    );
  });

  it('given random stacks, then applying layer by layer equals merging the whole stack', () => {
    fc.assert(
      fc.property(stack, (layers) => {
        const merged = outcome(() => mergeLayers(layers));
        const stepwise = outcome(() =>
          layers.reduce<Map<string, FsNode>>(
            (tree, layer) => applyLayer(tree, layer),
            new MutableTree().toMap(),
          ),
        );
        expect(stepwise).toEqual(merged);
      }),
      { numRuns: 200 },
    );
  });

  it('given layers without whiteouts, then spec and moby modes agree', () => {
    fc.assert(
      fc.property(stack, (layers) => {
        const noWhiteouts = layers.map((layer) => layer.filter((e) => e.kind !== 'whiteout'));
        expect(outcome(() => mergeLayers(noWhiteouts, { whiteoutMode: 'moby' }))).toEqual(
          outcome(() => mergeLayers(noWhiteouts)),
        );
      }),
      { numRuns: 200 },
    );
  });
});
