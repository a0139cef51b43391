import type { Digest } from '../digest.ts';

/** File types as a tar changeset and the merged view know them (OCI image-spec layer.md). */
export type FileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'socket';

/**
 * One filesystem object as a layer or a container's writable layer holds it. `path` is always
 * normalised: absolute, no trailing slash, no `.` or `..` segments ("/" is the root).
 * - `mode` holds the permission bits including setuid/setgid/sticky (07777), not the type bits.
 * - `size` and `digest` are set for regular files (digest = sha256 of the content); a hardlink
 *   carries its target's size and digest once resolved.
 * - `linkTarget` is the raw symlink target, or the normalised path a hardlink points to.
 * - `mtime` is seconds since the epoch (tar precision).
 */
export interface FsNode {
  path: string;
  type: FileType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  digest?: Digest;
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
  mtime: number;
}

/**
 * An entry of a layer changeset: a node, a whiteout (`.wh.<name>`: deletes `path` and its subtree
 * in lower layers) or an opaque marker (`<dir>/.wh..wh..opq`: hides everything below `path` that
 * lower layers hold). Markers are kept as entries of their own, under the path they affect.
 */
export type LayerEntry =
  | { kind: 'node'; node: FsNode }
  | { kind: 'whiteout'; path: string }
  | { kind: 'opaque'; path: string };
