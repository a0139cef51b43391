import type { Digest } from '../domain/digest.ts';
import type { FileType, FsNode } from '../domain/fs/node.ts';
import { baseName, parentOf } from '../domain/fs/paths.ts';

/**
 * Tree order as a plain string order: "/" becomes U+0001 (below every other character), so with
 * bytewise ("C") collation `/a` < `/a/b` < `/a.txt`. The root's key is the empty string.
 */
export const sortKey = (path: string): string => (path === '/' ? '' : path.replaceAll('/', '\u0001'));

/** Keys of `path` and everything below it are in [from, to) — `to` undefined for the root. */
export function subtreeRange(path: string): { from: string; to: string | undefined } {
  const key = sortKey(path);
  return { from: key, to: path === '/' ? undefined : `${key}\u0002` };
}

export interface FileRowColumns {
  path: string;
  parent: string;
  name: string;
  sort_key: string;
  type: string | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  size: number | null;
  digest: string | null;
  link_target: string | null;
  mtime: number | null;
  dev_major: number | null;
  dev_minor: number | null;
}

const emptyColumns = {
  type: null,
  mode: null,
  uid: null,
  gid: null,
  size: null,
  digest: null,
  link_target: null,
  mtime: null,
  dev_major: null,
  dev_minor: null,
};

export function pathColumns(path: string) {
  return { path, parent: parentOf(path), name: baseName(path), sort_key: sortKey(path) };
}

export function markerColumns(path: string): FileRowColumns {
  return { ...pathColumns(path), ...emptyColumns };
}

export function nodeColumns(node: FsNode): FileRowColumns {
  return {
    ...pathColumns(node.path),
    type: node.type,
    mode: node.mode,
    uid: node.uid,
    gid: node.gid,
    size: node.size,
    digest: node.digest ?? null,
    link_target: node.linkTarget ?? null,
    mtime: node.mtime,
    dev_major: node.devMajor ?? null,
    dev_minor: node.devMinor ?? null,
  };
}

type RowLike = {
  path: string;
  type: string | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  size: string | number | null;
  digest: string | null;
  link_target: string | null;
  mtime: string | number | null;
  dev_major: number | null;
  dev_minor: number | null;
};

export function rowToNode(row: RowLike): FsNode {
  const node: FsNode = {
    path: row.path,
    type: row.type as FileType,
    mode: row.mode ?? 0,
    uid: row.uid ?? 0,
    gid: row.gid ?? 0,
    size: Number(row.size ?? 0),
    mtime: Number(row.mtime ?? 0),
  };
  if (row.digest !== null) node.digest = row.digest as Digest;
  if (row.link_target !== null) node.linkTarget = row.link_target;
  if (row.dev_major !== null) node.devMajor = row.dev_major;
  if (row.dev_minor !== null) node.devMinor = row.dev_minor;
  return node;
}
