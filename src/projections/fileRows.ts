import { type Kysely, sql } from 'kysely';
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

export function pathColumns(path: string) {
  return { path, parent: parentOf(path), name: baseName(path), sort_key: sortKey(path) };
}

// Object literals, not spreads: these run once per file of every layer and chain view, and one
// literal of a fixed shape is several times faster to build than spreads of two objects.
export function markerColumns(path: string): FileRowColumns {
  return {
    path,
    parent: parentOf(path),
    name: baseName(path),
    sort_key: sortKey(path),
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
}

export function nodeColumns(node: FsNode): FileRowColumns {
  const path = node.path;
  return {
    path,
    parent: parentOf(path),
    name: baseName(path),
    sort_key: sortKey(path),
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

/** Rows per statement in `insertFileRows` (each statement carries them as ONE json parameter). */
const rowsPerStatement = 2500;

/**
 * Inserts many file rows (a layer's entries, a chain view) as one JSON document per statement,
 * expanded by `json_populate_recordset` on the server: one parameter instead of one per column
 * per row, which is several times faster to build, send and parse (on PGlite above all). Every
 * row must have the same keys, named after the table's columns.
 */
export async function insertFileRows(
  // biome-ignore lint/suspicious/noExplicitAny: any database whose schema has the table
  db: Kysely<any>,
  table: 'layer_entries' | 'chain_files',
  rows: readonly object[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = sql.join(Object.keys(rows[0]!).map((c) => sql.ref(c)));
  for (let i = 0; i < rows.length; i += rowsPerStatement) {
    const json = JSON.stringify(rows.slice(i, i + rowsPerStatement));
    await sql`insert into ${sql.table(table)} (${columns})
      select ${columns} from json_populate_recordset(null::${sql.table(table)}, ${json}::json)`.execute(db);
  }
}
