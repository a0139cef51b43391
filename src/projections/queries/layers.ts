import type { Kysely, Selectable } from 'kysely';
import { rowToNode, sortKey } from '../fileRows.ts';
import type { LayersTable, ProjectionTables } from '../tables.ts';
import { validAt } from '../validAt.ts';

type Db = Kysely<ProjectionTables>;
export type LayerRow = Selectable<LayersTable>;

export async function layersByDiffIds(
  db: Db,
  diffIds: readonly string[],
  asOf?: number,
): Promise<Map<string, LayerRow>> {
  if (diffIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('layers')
    .selectAll()
    .where('diff_id', 'in', [...new Set(diffIds)])
    .where(validAt('layers', asOf))
    .execute();
  return new Map(rows.map((row) => [row.diff_id, row]));
}

/** How many images (as of a position) list each layer. */
export async function imageCounts(
  db: Db,
  diffIds: readonly string[],
  asOf?: number,
): Promise<Map<string, number>> {
  const result = new Map<string, number>(diffIds.map((id) => [id, 0]));
  const rows = await db.selectFrom('images').select('diff_ids').where(validAt('images', asOf)).execute();
  for (const row of rows) {
    for (const diffId of new Set(row.diff_ids))
      if (result.has(diffId)) result.set(diffId, result.get(diffId)! + 1);
  }
  return result;
}

/** One layer's own changeset (nodes, whiteouts, opaque markers), in tree order, a page at a time. */
export async function layerEntries(db: Db, diffId: string, first: number, afterPath?: string) {
  let query = db
    .selectFrom('layer_entries')
    .selectAll()
    .where('diff_id', '=', diffId)
    .where('implicit', '=', false)
    .orderBy('sort_key')
    .orderBy('kind')
    .limit(first + 1);
  if (afterPath !== undefined) query = query.where('sort_key', '>', sortKey(afterPath));
  const rows = await query.execute();
  return {
    entries: rows
      .slice(0, first)
      .map((row) => ({
        kind: row.kind,
        node: row.kind === 'node' ? rowToNode(row) : undefined,
        path: row.path,
      })),
    hasNextPage: rows.length > first,
  };
}
