import type { FsNode } from '../fs/node.ts';
import { ancestorsOf, comparePaths } from '../fs/paths.ts';
import type { ContainerState } from './state.ts';
import { isLive } from './state.ts';
import { type LowerChildren, type LowerLookup, visibleLower, type WritableLayer } from './writableLayer.ts';

export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  kind: ChangeKind;
  path: string;
}

/**
 * `docker diff`: the container's merged filesystem against its image, as moby's tree comparison
 * (pkg/archive/changes.go ChangesDirs, used by the containerd image service) reports it:
 * - A: the path is new;
 * - D: the path is gone; only the top of a deleted subtree is listed;
 * - C: the path changed: its type, or for a directory its mode/uid/gid, or for anything else its
 *   mode/uid/gid/size/mtime, content digest, link target or device numbers;
 * - every directory above a change that is not itself added or changed shows C, before its
 *   children (the root never shows).
 * Listed in path order (parents before children, siblings by name), where moby's order among
 * siblings is a Go map's. `lowerChildren` is read only for directories whose lower
 * content an opaque directory hides.
 */
export function containerChanges(
  state: ContainerState,
  lower: LowerLookup,
  lowerChildren?: LowerChildren,
): Change[] {
  if (!isLive(state)) return [];
  return layerChanges(state.layer, lower, lowerChildren);
}

export function layerChanges(
  layer: WritableLayer,
  lower: LowerLookup,
  lowerChildren?: LowerChildren,
): Change[] {
  const changes = new Map<string, ChangeKind>();
  for (const [path, entry] of layer.entries) {
    if (path === '/') continue;
    const before = lower(path);
    if (entry.kind === 'whiteout') {
      if (before) changes.set(path, 'D');
    } else if (!before) {
      changes.set(path, 'A');
    } else if (nodeChanged(before, entry.node)) {
      changes.set(path, 'C');
    }
  }
  // An upper directory whose lower content is hidden (it is opaque, or lies below an opaque
  // directory) has lost every lower child it does not hold itself.
  for (const [dir, entry] of layer.entries) {
    if (entry.kind !== 'node' || entry.node.type !== 'dir' || lower(dir)?.type !== 'dir') continue;
    if (!layer.opaque.has(dir) && visibleLower(layer, lower, dir) !== undefined) continue;
    if (!lowerChildren)
      throw new Error(`docker diff of ${dir} needs the lower layers' children (lowerChildren)`);
    for (const child of lowerChildren(dir)) {
      if (layer.entries.get(child.path)?.kind !== 'node') changes.set(child.path, 'D');
    }
  }
  for (const path of [...changes.keys()]) {
    for (const ancestor of ancestorsOf(path)) {
      if (ancestor !== '/' && !changes.has(ancestor)) changes.set(ancestor, 'C');
    }
  }
  return [...changes].map(([path, kind]) => ({ kind, path })).sort((a, b) => comparePaths(a.path, b.path));
}

/** moby's statDifferent (changes_unix.go) plus content: what makes a path show C. */
export function nodeChanged(before: FsNode, after: FsNode): boolean {
  if (
    before.type !== after.type ||
    before.mode !== after.mode ||
    before.uid !== after.uid ||
    before.gid !== after.gid
  )
    return true;
  if ((before.devMajor ?? 0) !== (after.devMajor ?? 0) || (before.devMinor ?? 0) !== (after.devMinor ?? 0))
    return true;
  if (after.type === 'dir') return false;
  return (
    before.size !== after.size ||
    before.mtime !== after.mtime ||
    before.digest !== after.digest ||
    (before.linkTarget ?? '') !== (after.linkTarget ?? '')
  );
}
