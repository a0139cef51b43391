import type { Kysely } from 'kysely';
import type { Digest } from '../domain/digest.ts';
import { notFoundError, validationError } from '../domain/errors.ts';
import type { FsNode } from '../domain/fs/node.ts';
import { ancestorsOf, normalizePath } from '../domain/fs/paths.ts';
import type { AsOfCache } from './asOfCache.ts';
import { rowToNode, sortKey, subtreeRange } from './fileRows.ts';
import { LruCache } from './lruCache.ts';
import type { ProjectionTables } from './tables.ts';
import { validAt } from './validAt.ts';

/** Where a version of a path came from: an image layer, or a write to a container's layer. */
export type Origin =
  | { kind: 'layer'; diffId: Digest }
  | {
      kind: 'container';
      position: number;
      sessionId: string | null;
      command: string | null;
      operation: string | null;
    };

export interface ViewEntry {
  node: FsNode;
  origin: Origin;
}

export interface FilePage {
  entries: ViewEntry[];
  hasNextPage: boolean;
}

type Db = Kysely<ProjectionTables>;

/** Chain views never change once materialised: point lookups are cached across requests. */
const chainEntries = new LruCache<string, ViewEntry | null>(100_000);

/** Empties the cross-request cache (benchmarks measure the database path). */
export const clearChainCache = (): void => chainEntries.clear();

interface UpperRecord {
  path: string;
  kind: 'node' | 'whiteout' | 'opaque';
  node: FsNode | undefined;
  origin: Origin;
}

/**
 * The merged filesystem of an image (its materialised chain view) or of a container (its
 * writable layer as of a position, over its image's chain view). The upper layer follows
 * overlayfs: a whiteout hides the path below, an opaque directory hides everything lower layers
 * hold beneath it, and a non-directory hides whatever lay below its path.
 */
export class FileView {
  constructor(
    private readonly db: Db,
    private readonly chainId: string | null,
    /**
     * The container's writable layer as of `asOf` (undefined: now). With `cache`, `asOf` must be
     * a stable position (see ./asOfCache.ts): point lookups of paths are then cached across requests.
     */
    private readonly upper?: { containerId: string; asOf: number | undefined; cache?: AsOfCache },
  ) {}

  async lookup(rawPath: string): Promise<ViewEntry | null> {
    const path = normalizePath(rawPath);
    const records = await this.upperRecords([...ancestorsOf(path), path]);
    if (hidesBelow(records, ancestorsOf(path))) return null;
    const own = records.filter((r) => r.path === path);
    const node = own.find((r) => r.kind === 'node');
    if (node) return { node: node.node!, origin: node.origin };
    if (own.some((r) => r.kind === 'whiteout')) return null;
    if (records.some((r) => r.kind === 'opaque' && r.path !== path)) return null;
    return this.baseLookup(path);
  }

  /** The entries directly inside a directory, by name. */
  async list(rawPath: string): Promise<ViewEntry[]> {
    const path = normalizePath(rawPath);
    const dir = await this.lookup(path);
    if (!dir) throw notFoundError(`no such file or directory: ${path}`, { path });
    if (dir.node.type !== 'dir') throw validationError(`not a directory: ${path}`, { path });
    const chain = [...ancestorsOf(path), path];
    const markers = await this.upperRecords(chain);
    const baseVisible = !markers.some(
      (r) => r.kind === 'opaque' || r.kind === 'whiteout' || (r.kind === 'node' && r.node!.type !== 'dir'),
    );
    const children = await this.upperChildren(path);
    const shadowed = new Set(children.filter((r) => r.kind !== 'opaque').map((r) => r.path));
    const result = children
      .filter((r) => r.kind === 'node')
      .map((r) => ({ node: r.node!, origin: r.origin }));
    if (baseVisible && this.chainId) {
      const rows = await this.db
        .selectFrom('chain_files')
        .selectAll()
        .where('chain_id', '=', this.chainId)
        .where('parent', '=', path)
        .where('path', '!=', '/')
        .execute();
      for (const row of rows) {
        if (!shadowed.has(row.path)) result.push({ node: rowToNode(row), origin: layerOrigin(row.diff_id) });
      }
    }
    return result.sort((a, b) => compareKeys(a.node.path, b.node.path));
  }

  /** Every entry under `prefix` (itself included), recursively, in tree order, a page at a time. */
  async files(rawPrefix: string, first: number, after?: string): Promise<FilePage> {
    const prefix = normalizePath(rawPrefix);
    const upper = await this.allUpperRecords(prefix);
    const hidden = (path: string) => hidesBelow(upper.markers, ancestorsOf(path), true);
    const entries: ViewEntry[] = [];
    let cursor = after === undefined ? undefined : sortKey(normalizePath(after));
    const range = subtreeRange(prefix);
    const upperNodes = upper.nodes.filter((r) => cursor === undefined || sortKey(r.path) > cursor);
    let u = 0;
    const batch = Math.max(first * 2, 64);
    for (;;) {
      const rows = this.chainId ? await this.chainRange(range, cursor, batch) : [];
      const base = rows.map(
        (row) => ({ node: rowToNode(row), origin: layerOrigin(row.diff_id) }) as ViewEntry,
      );
      const baseEnd = base.length < batch;
      const limitKey = baseEnd ? undefined : sortKey(base.at(-1)!.node.path);
      for (const entry of base) {
        const key = sortKey(entry.node.path);
        while (u < upperNodes.length && sortKey(upperNodes[u]!.path) < key) pushUpper(upperNodes[u++]!);
        if (u < upperNodes.length && upperNodes[u]!.path === entry.node.path) pushUpper(upperNodes[u++]!);
        else if (!upper.shadowed.has(entry.node.path) && !hidden(entry.node.path)) entries.push(entry);
        if (entries.length > first) break;
      }
      if (entries.length > first) break;
      if (baseEnd) {
        while (u < upperNodes.length && entries.length <= first) pushUpper(upperNodes[u++]!);
        break;
      }
      cursor = limitKey;
    }
    function pushUpper(record: UpperRecord) {
      if (record.kind === 'node') entries.push({ node: record.node!, origin: record.origin });
    }
    return { entries: entries.slice(0, first), hasNextPage: entries.length > first };
  }

  private async baseLookup(path: string): Promise<ViewEntry | null> {
    if (!this.chainId) return null;
    const key = `${this.chainId}\u0000${path}`;
    const cached = chainEntries.get(key);
    if (cached !== undefined) return cached;
    const row = await this.db
      .selectFrom('chain_files')
      .selectAll()
      .where('chain_id', '=', this.chainId)
      .where('sort_key', '=', sortKey(path))
      .executeTakeFirst();
    const entry = row ? { node: rowToNode(row), origin: layerOrigin(row.diff_id) } : null;
    chainEntries.set(key, entry);
    return entry;
  }

  private async chainRange(
    range: { from: string; to: string | undefined },
    after: string | undefined,
    limit: number,
  ) {
    let query = this.db.selectFrom('chain_files').selectAll().where('chain_id', '=', this.chainId!);
    query =
      after !== undefined && after >= range.from
        ? query.where('sort_key', '>', after)
        : query.where('sort_key', '>=', range.from);
    if (range.to !== undefined) query = query.where('sort_key', '<', range.to);
    return query.orderBy('sort_key').limit(limit).execute();
  }

  private upperQuery() {
    const upper = this.upper!;
    return this.db
      .selectFrom('container_upper')
      .selectAll()
      .where('container_id', '=', upper.containerId)
      .where(validAt('container_upper', upper.asOf));
  }

  private upperRecords(paths: string[]): Promise<UpperRecord[]> {
    if (!this.upper) return Promise.resolve([]);
    const keys = paths.map(sortKey);
    const read = async () =>
      (await this.upperQuery().where('sort_key', 'in', keys).execute()).map(toUpperRecord);
    const { cache, asOf, containerId } = this.upper;
    if (!cache || asOf === undefined) return read();
    return cache.read(`upper\u0000${containerId}\u0000${keys.join('\u0000')}`, asOf, keys.length, read);
  }

  private async upperChildren(path: string): Promise<UpperRecord[]> {
    if (!this.upper) return [];
    const rows = await this.upperQuery().where('parent', '=', path).where('path', '!=', '/').execute();
    return rows.map(toUpperRecord);
  }

  /** The writable layer under a prefix plus its markers anywhere: it is small next to the image. */
  private async allUpperRecords(prefix: string) {
    if (!this.upper)
      return { nodes: [] as UpperRecord[], markers: [] as UpperRecord[], shadowed: new Set<string>() };
    const rows = (await this.upperQuery().orderBy('sort_key').execute()).map(toUpperRecord);
    const range = subtreeRange(prefix);
    const inRange = (path: string) => {
      const key = sortKey(path);
      return key >= range.from && (range.to === undefined || key < range.to);
    };
    // An upper node hidden by a whiteout or non-directory above it cannot exist: decide removes
    // the subtree first. Only lower (base) entries need the marker check.
    const nodes = rows.filter((r) => r.kind === 'node' && inRange(r.path) && !hiddenByUpper(rows, r.path));
    return {
      nodes,
      markers: rows,
      shadowed: new Set(rows.filter((r) => r.kind !== 'opaque').map((r) => r.path)),
    };
  }
}

function hiddenByUpper(rows: UpperRecord[], path: string): boolean {
  return hidesBelow(rows, ancestorsOf(path));
}

/**
 * True when an upper record at one of `ancestors` hides what lies below it: a whiteout or a
 * non-directory; with `includeOpaque`, an opaque directory too (it hides lower layers only).
 */
function hidesBelow(records: UpperRecord[], ancestors: string[], includeOpaque = false): boolean {
  const set = new Set(ancestors);
  return records.some(
    (r) =>
      set.has(r.path) &&
      (r.kind === 'whiteout' ||
        (r.kind === 'node' && r.node!.type !== 'dir') ||
        (includeOpaque && r.kind === 'opaque')),
  );
}

function toUpperRecord(
  row: Parameters<typeof rowToNode>[0] & {
    kind: 'node' | 'whiteout' | 'opaque';
    valid_from: string | number;
    session_id: string | null;
    command: string | null;
    operation: string | null;
  },
): UpperRecord {
  return {
    path: row.path,
    kind: row.kind,
    node: row.kind === 'node' ? rowToNode(row) : undefined,
    origin: {
      kind: 'container',
      position: Number(row.valid_from),
      sessionId: row.session_id,
      command: row.command,
      operation: row.operation,
    },
  };
}

const layerOrigin = (diffId: string): Origin => ({ kind: 'layer', diffId: diffId as Digest });
const compareKeys = (a: string, b: string) =>
  sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0;
