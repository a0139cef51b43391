import type { FsNode, LayerEntry } from '../fs/node.ts';
import { comparePaths } from '../fs/paths.ts';
import type { ContainerState } from './state.ts';
import { isLive } from './state.ts';
import type { WritableLayer } from './writableLayer.ts';

/**
 * The writable layer as a changeset for `docker commit`: nodes, whiteouts and opaque markers in
 * path order (a directory's opaque marker right after it), with hard links last so each comes
 * after the file it links to. The root, when its attributes changed, is the node at "/".
 */
export function upperLayerEntries(state: ContainerState): LayerEntry[] {
  return isLive(state) ? writableLayerEntries(state.layer) : [];
}

export function writableLayerEntries(layer: WritableLayer): LayerEntry[] {
  const entries: LayerEntry[] = [];
  const links: LayerEntry[] = [];
  for (const path of [...layer.entries.keys()].sort(comparePaths)) {
    const entry = layer.entries.get(path)!;
    if (entry.kind === 'whiteout') {
      entries.push({ kind: 'whiteout', path });
    } else if (entry.node.type === 'hardlink') {
      links.push({ kind: 'node', node: linkedInLayer(layer, entry.node) });
    } else {
      entries.push({ kind: 'node', node: entry.node });
      if (layer.opaque.has(path)) entries.push({ kind: 'opaque', path });
    }
  }
  return [...entries, ...links];
}

/**
 * A hard link whose first name is not a file of this layer (it can only come from the image)
 * cannot be written as a link: the tar gets the file it stands for, as Docker's tar writer does
 * for an inode it has not seen.
 */
function linkedInLayer(layer: WritableLayer, node: FsNode): FsNode {
  const target = node.linkTarget === undefined ? undefined : layer.entries.get(node.linkTarget);
  if (target?.kind === 'node' && target.node.type !== 'dir' && target.node.type !== 'hardlink') return node;
  const { linkTarget: _gone, ...inode } = node;
  return { ...inode, type: 'file' };
}

/**
 * Bytes in the writable layer (`docker ps -s` SIZE, the contract's sizeRw): the sizes of its
 * non-directory nodes, a hard link counted once with the file it links to.
 */
export function writableLayerSize(layer: WritableLayer): number {
  let size = 0;
  for (const entry of layer.entries.values()) {
    if (entry.kind === 'node' && entry.node.type !== 'dir' && entry.node.type !== 'hardlink')
      size += entry.node.size;
  }
  return size;
}
