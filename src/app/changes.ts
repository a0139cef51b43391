import type { Db } from '../db/database.ts';
import { type Change, layerChanges } from '../domain/container/changes.ts';
import type { UpperEntry, WritableLayer } from '../domain/container/writableLayer.ts';
import { rowToNode } from '../projections/fileRows.ts';
import { FileView } from '../projections/fileView.ts';
import type { ContainerRow } from '../projections/queries/containers.ts';
import { imagesEverByIds } from '../projections/queries/images.ts';
import { validAt } from '../projections/validAt.ts';
import { withLowerView } from './containerFs.ts';

/** The container's writable layer as of a position, in the shape the domain's rules read. */
export async function writableLayerAt(db: Db, containerId: string, asOf?: number): Promise<WritableLayer> {
  const rows = await db
    .selectFrom('container_upper')
    .selectAll()
    .where('container_id', '=', containerId)
    .where(validAt('container_upper', asOf))
    .orderBy('sort_key')
    .execute();
  const entries = new Map<string, UpperEntry>();
  const opaque = new Set<string>();
  for (const row of rows) {
    if (row.kind === 'opaque') opaque.add(row.path);
    else
      entries.set(
        row.path,
        row.kind === 'node' ? { kind: 'node', node: rowToNode(row) } : { kind: 'whiteout' },
      );
  }
  return { entries, opaque };
}

/** `docker diff CONTAINER` as of a position. */
export async function containerChangesAt(db: Db, container: ContainerRow, asOf?: number): Promise<Change[]> {
  const layer = await writableLayerAt(db, container.container_id, asOf);
  const image = (await imagesEverByIds(db, [container.image_id], asOf)).get(container.image_id);
  const lowerView = new FileView(db, image?.top_chain_id ?? null);
  return withLowerView(lowerView, ({ lower, lowerChildren }) => layerChanges(layer, lower, lowerChildren));
}
