import type { FsNode } from '../fs/node.ts';
import { ancestorsOf, comparePaths, isWithin, parentOf } from '../fs/paths.ts';
import type { ContainerFsEvent, FsOperation } from './events.ts';

/**
 * A container's writable (upper) layer, as overlayfs keeps it: nodes written or copied up,
 * whiteouts for lower paths deleted, and opaque markers on directories that hide the lower
 * layers' content below them. Invariant kept by decide: every proper ancestor of an upper entry
 * (the root aside) is an upper directory node.
 */
export type UpperEntry = { kind: 'node'; node: FsNode } | { kind: 'whiteout' };

export interface WritableLayer {
  readonly entries: ReadonlyMap<string, UpperEntry>;
  readonly opaque: ReadonlySet<string>;
}

interface MutableLayer {
  entries: Map<string, UpperEntry>;
  opaque: Set<string>;
}

/**
 * The image's merged view under the container, fetched by the app layer: `lower(path)` is the
 * node at `path` (undefined when the image has none), `lowerChildren(dir)` the nodes directly in
 * `dir`. Both take normalised paths.
 */
export type LowerLookup = (path: string) => FsNode | undefined;
export type LowerChildren = (dir: string) => readonly FsNode[];

export const emptyWritableLayer = (): WritableLayer => ({ entries: new Map(), opaque: new Set() });

export const cloneWritableLayer = (layer: WritableLayer): MutableLayer => ({
  entries: new Map(layer.entries),
  opaque: new Set(layer.opaque),
});

/** Applies one filesystem event to a layer in place (evolve clones first; folds reuse one copy). */
export function applyFsEvent(layer: MutableLayer, event: ContainerFsEvent): void {
  switch (event.type) {
    case 'ContainerPathWritten':
      layer.entries.set(event.data.path, { kind: 'node', node: event.data.node });
      return;
    case 'ContainerPathRemoved':
      dropSubtree(layer, event.data.path);
      if (event.data.whiteout) layer.entries.set(event.data.path, { kind: 'whiteout' });
      return;
    case 'ContainerDirectoryOpaqued':
      layer.opaque.add(event.data.path);
      return;
  }
}

function dropSubtree(layer: MutableLayer, path: string): void {
  for (const key of [...layer.entries.keys()]) if (isWithin(key, path)) layer.entries.delete(key);
  for (const key of [...layer.opaque]) if (isWithin(key, path)) layer.opaque.delete(key);
}

/** The root directory as it is when no layer says otherwise. */
export const defaultRoot: FsNode = { path: '/', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 };

/**
 * The lower node at `path` if nothing in the upper layer above it hides it (a whiteout, a
 * non-directory or an opaque directory at a proper ancestor). The upper entry at `path` itself is
 * not considered: this is what a whiteout there would hide.
 */
export function visibleLower(layer: WritableLayer, lower: LowerLookup, path: string): FsNode | undefined {
  for (const ancestor of ancestorsOf(path)) {
    const entry = layer.entries.get(ancestor);
    if (entry?.kind === 'whiteout') return undefined;
    if (entry?.kind === 'node' && entry.node.type !== 'dir') return undefined;
    if (layer.opaque.has(ancestor)) return undefined;
  }
  return path === '/' ? (lower('/') ?? defaultRoot) : lower(path);
}

/** The node at `path` in the container's merged view (upper over lower). */
export function lookupPath(layer: WritableLayer, lower: LowerLookup, path: string): FsNode | undefined {
  for (const ancestor of ancestorsOf(path)) {
    const entry = layer.entries.get(ancestor);
    if (entry?.kind === 'whiteout' || (entry?.kind === 'node' && entry.node.type !== 'dir')) return undefined;
  }
  const entry = layer.entries.get(path);
  if (entry) return entry.kind === 'node' ? entry.node : undefined;
  return visibleLower(layer, lower, path);
}

/**
 * The nodes directly inside directory `dir` of the merged view, in path order. `lowerChildren`
 * is only called when the lower layers' content of `dir` shows through.
 */
export function listDirectory(
  layer: WritableLayer,
  lower: LowerLookup,
  lowerChildren: LowerChildren | undefined,
  dir: string,
): FsNode[] {
  const children = new Map<string, FsNode>();
  const below = visibleLower(layer, lower, dir);
  if (below?.type === 'dir' && !layer.opaque.has(dir) && upperKeepsLowerDir(layer, dir)) {
    if (!lowerChildren) throw new Error(`listing ${dir} needs the lower layers' children (lowerChildren)`);
    for (const child of lowerChildren(dir))
      if (!layer.entries.has(child.path)) children.set(child.path, child);
  }
  for (const [path, entry] of layer.entries) {
    if (path !== '/' && entry.kind === 'node' && parentOf(path) === dir) children.set(path, entry.node);
  }
  return [...children.values()].sort((a, b) => comparePaths(a.path, b.path));
}

/** False when the upper layer holds a non-directory or a whiteout at `dir` itself. */
function upperKeepsLowerDir(layer: WritableLayer, dir: string): boolean {
  const entry = layer.entries.get(dir);
  return entry === undefined || (entry.kind === 'node' && entry.node.type === 'dir');
}

/**
 * A working copy of the upper layer for one decision: every change is recorded as an event and
 * applied at once, so later steps of the same command see it.
 */
export class LayerDraft {
  readonly events: ContainerFsEvent[] = [];
  private readonly layer: MutableLayer;

  constructor(
    layer: WritableLayer,
    readonly lower: LowerLookup,
    readonly lowerChildren?: LowerChildren,
  ) {
    this.layer = cloneWritableLayer(layer);
  }

  lookup(path: string): FsNode | undefined {
    return lookupPath(this.layer, this.lower, path);
  }

  visibleLower(path: string): FsNode | undefined {
    return visibleLower(this.layer, this.lower, path);
  }

  children(dir: string): FsNode[] {
    return listDirectory(this.layer, this.lower, this.lowerChildren, dir);
  }

  /** The merged subtree at `path` (itself first), in path order. */
  subtree(path: string): FsNode[] {
    const node = this.lookup(path);
    if (!node) return [];
    const nodes = [node];
    if (node.type === 'dir') for (const child of this.children(path)) nodes.push(...this.subtree(child.path));
    return nodes;
  }

  hasUpper(path: string): boolean {
    return this.layer.entries.get(path)?.kind === 'node';
  }

  /** The upper node at `path`, if the writable layer holds one. */
  upperNode(path: string): FsNode | undefined {
    const entry = this.layer.entries.get(path);
    return entry?.kind === 'node' ? entry.node : undefined;
  }

  /** Upper hard links whose target lies at or below `path`, in path order. */
  upperLinksInto(path: string): FsNode[] {
    const links: FsNode[] = [];
    for (const entry of this.layer.entries.values()) {
      if (
        entry.kind === 'node' &&
        entry.node.type === 'hardlink' &&
        entry.node.linkTarget !== undefined &&
        isWithin(entry.node.linkTarget, path)
      ) {
        links.push(entry.node);
      }
    }
    return links.sort((a, b) => comparePaths(a.path, b.path));
  }

  write(path: string, node: FsNode, operation: FsOperation): void {
    this.emit({ type: 'ContainerPathWritten', data: { path, node: { ...node, path }, operation } });
  }

  /** Drops `path` from the upper layer, leaving a whiteout when the lower layers have it. */
  remove(path: string, operation: FsOperation): void {
    this.emit({
      type: 'ContainerPathRemoved',
      data: { path, whiteout: this.visibleLower(path) !== undefined, operation },
    });
  }

  markOpaque(path: string): void {
    this.emit({ type: 'ContainerDirectoryOpaqued', data: { path } });
  }

  /** Copies up every ancestor directory of `path` the upper layer lacks, as overlayfs does. */
  copyUpAncestors(path: string): void {
    for (const ancestor of ancestorsOf(path)) {
      if (ancestor === '/' || this.layer.entries.has(ancestor)) continue;
      const node = this.lookup(ancestor);
      if (node?.type !== 'dir')
        throw new Error(`cannot copy up ${ancestor}: not a directory in the merged view`);
      this.write(ancestor, node, 'copy-up');
    }
  }

  private emit(event: ContainerFsEvent): void {
    applyFsEvent(this.layer, event);
    this.events.push(event);
  }
}
