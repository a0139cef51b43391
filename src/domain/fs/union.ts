import { assertNever } from '../decider.ts';
import { validationError } from '../errors.ts';
import type { FsNode, LayerEntry } from './node.ts';
import { ancestorsOf, isNormalizedPath, parentOf } from './paths.ts';
import { type FsTree, implicitDirectory, MutableTree } from './tree.ts';
import { isReservedName } from './whiteout.ts';

/**
 * How a plain whiteout treats entries of its own layer:
 * - `spec` (image-spec layer.md, umoci): a whiteout only deletes what LOWER layers hold; an entry
 *   of the same layer at or below the whited-out path survives whatever the order in the tar.
 * - `moby` (Docker, containerd): the whiteout is a RemoveAll at its position in the tar, so
 *   same-layer entries that came before it are deleted too; entries after it survive.
 * Opaque markers behave the same in both modes: they hide the lower layers' content below the
 * directory and keep the same layer's, wherever the marker stands in the tar.
 */
export type WhiteoutMode = 'spec' | 'moby';

export interface ApplyLayerOptions {
  whiteoutMode?: WhiteoutMode;
}

/**
 * Applies one layer changeset to `tree` and returns the new merged view (the input is not
 * changed). The rules, in the order they act:
 * 1. Deletions that concern lower layers only, before any entry of this layer lands: every opaque
 *    marker removes what lies below its directory; in `spec` mode every whiteout removes its path
 *    and subtree. (A whiteout or opaque marker for a path the lower layers lack is a no-op.)
 * 2. The entries, in tar order. Every entry's parent directories are made to exist first: a
 *    missing one is created as an implicit directory (0755, uid/gid 0, mtime 0); an existing
 *    non-directory in the way (a file, a symlink, a device ...) is replaced by one (umoci's
 *    `nondir` then `nondir/foo/bar`). Parents are resolved lexically and symlinks are never
 *    followed, as when each layer is unpacked into a directory of its own and the layers are then
 *    overlaid (overlay2), so no entry can land outside the root or somewhere a symlink points.
 *    - node: a directory over a directory replaces the attributes only (children stay); any
 *      other existing path is unlinked with its whole subtree and the node put in its place.
 *      Duplicate paths thereby resolve to the last entry.
 *    - hardlink node: its target must exist in the view at that moment (lower layers or earlier
 *      in this tar) and must not be a directory; the link takes the target's inode data (type
 *      stays `hardlink`; mode, uid, gid, mtime, size and digest are the target's, as a link
 *      shares the inode and umoci ignores a link header's own uid/gid). It is a snapshot: later
 *      changes to the target path do not touch the link. (In `spec` mode a layer that whites out a
 *      lower file cannot also hardlink to it: the whiteout acted before the layer's entries.)
 *    - whiteout: its parent directories are made to exist (the marker is a file in them), except
 *      that a non-directory put in place by an earlier entry of the SAME layer is left alone and
 *      the whiteout does nothing more (a whiteout never acts on its own layer; umoci's repack
 *      writes `d` as a file followed by `d/.wh.<child>` for each old child when a directory
 *      became a file, and umoci keeps the file); in `moby` mode its path and subtree are removed now.
 *    - opaque: its directory is made to exist.
 * A whiteout deletes exactly the named path: it does not follow symlinks, so a whiteout of a
 * symlink removes the link and never its target.
 */
export function applyLayer(
  tree: ReadonlyMap<string, FsNode>,
  entries: Iterable<LayerEntry>,
  options: ApplyLayerOptions = {},
): FsTree {
  const mutable = MutableTree.from(tree);
  applyEntries(mutable, [...entries], options);
  return mutable.toMap();
}

/** The merged view of a stack of layers, base layer first, starting from an empty root. */
export function mergeLayers(layers: Iterable<Iterable<LayerEntry>>, options: ApplyLayerOptions = {}): FsTree {
  const tree = new MutableTree();
  for (const layer of layers) applyEntries(tree, [...layer], options);
  return tree.toMap();
}

/** applyLayer on a MutableTree, in place. */
export function applyEntries(
  tree: MutableTree,
  entries: readonly LayerEntry[],
  options: ApplyLayerOptions = {},
): void {
  const mode = options.whiteoutMode ?? 'spec';
  for (const entry of entries) validateEntry(entry);

  for (const entry of entries) {
    if (entry.kind === 'opaque') tree.removeChildren(entry.path);
    else if (entry.kind === 'whiteout' && mode === 'spec') tree.removeSubtree(entry.path);
  }

  const placed = new Set<string>();
  for (const entry of entries) {
    switch (entry.kind) {
      case 'whiteout':
        if (ensureWhiteoutParent(tree, entry.path, placed) && mode === 'moby') tree.removeSubtree(entry.path);
        break;
      case 'opaque':
        ensureDirectory(tree, entry.path);
        break;
      case 'node':
        putNode(tree, entry.node.type === 'hardlink' ? resolveHardlink(tree, entry.node) : entry.node);
        placed.add(entry.node.path);
        break;
      default:
        assertNever(entry);
    }
  }
}

/** Makes `path` and all its ancestors directories: missing ones implicit, non-directories replaced. */
export function ensureDirectory(tree: MutableTree, path: string): void {
  for (const p of [...ancestorsOf(path), path]) {
    if (p === '/') continue;
    const existing = tree.get(p);
    if (existing?.type === 'dir') continue;
    if (existing !== undefined) tree.removeSubtree(p);
    tree.set(implicitDirectory(p));
  }
}

/**
 * A whiteout's parents, as ensureDirectory makes them, except that a non-directory the same layer
 * put in place (`sameLayer`; every path when omitted) is kept and nothing is done below it.
 * Returns whether the parent is a directory now.
 */
export function ensureWhiteoutParent(
  tree: MutableTree,
  path: string,
  sameLayer?: ReadonlySet<string>,
): boolean {
  const parent = parentOf(path);
  const ancestors = [...ancestorsOf(parent), parent].filter((p) => p !== '/');
  const blocked = ancestors.some((p) => {
    const existing = tree.get(p);
    return existing !== undefined && existing.type !== 'dir' && (sameLayer === undefined || sameLayer.has(p));
  });
  if (blocked) return false;
  ensureDirectory(tree, parent);
  return true;
}

/** Puts one (already resolved) node, with the replacement rules of layer.md. */
export function putNode(tree: MutableTree, node: FsNode): void {
  if (node.path === '/') {
    if (node.type !== 'dir') throw validationError('the root can only be a directory', { type: node.type });
    tree.set(node);
    return;
  }
  ensureDirectory(tree, parentOf(node.path));
  const existing = tree.get(node.path);
  if (existing !== undefined && !(existing.type === 'dir' && node.type === 'dir'))
    tree.removeSubtree(node.path);
  tree.set(node);
}

/** A hardlink node completed with its target's inode data; the target must exist and not be a directory. */
export function resolveHardlink(tree: MutableTree | ReadonlyMap<string, FsNode>, node: FsNode): FsNode {
  const targetPath = node.linkTarget;
  if (targetPath === undefined || !isNormalizedPath(targetPath)) {
    throw validationError(`hardlink ${node.path} has an invalid target ${JSON.stringify(targetPath)}`, {
      path: node.path,
    });
  }
  if (targetPath === node.path)
    throw validationError(`hardlink ${node.path} points to itself`, { path: node.path });
  const target = tree.get(targetPath);
  if (target === undefined) {
    throw validationError(`hardlink ${node.path} points to ${targetPath}, which does not exist`, {
      path: node.path,
      target: targetPath,
    });
  }
  if (target.type === 'dir') {
    throw validationError(`hardlink ${node.path} points to the directory ${targetPath}`, {
      path: node.path,
      target: targetPath,
    });
  }
  const resolved: FsNode = {
    path: node.path,
    type: 'hardlink',
    linkTarget: targetPath,
    mode: target.mode,
    uid: target.uid,
    gid: target.gid,
    size: target.size,
    mtime: target.mtime,
  };
  if (target.digest !== undefined) resolved.digest = target.digest;
  if (target.devMajor !== undefined) resolved.devMajor = target.devMajor;
  if (target.devMinor !== undefined) resolved.devMinor = target.devMinor;
  return resolved;
}

function validateEntry(entry: LayerEntry): void {
  const path = entry.kind === 'node' ? entry.node.path : entry.path;
  if (!isNormalizedPath(path))
    throw validationError(`layer entry path is not normalised: ${JSON.stringify(path)}`, { path });
  if (path.split('/').some(isReservedName)) {
    throw validationError(`layer entry path uses the reserved whiteout prefix: ${path}`, { path });
  }
  if (entry.kind === 'whiteout' && path === '/') throw validationError('the root cannot be whited out');
  if (entry.kind === 'node' && path === '/' && entry.node.type !== 'dir') {
    throw validationError('the root can only be a directory', { type: entry.node.type });
  }
}
