import type { Kysely } from 'kysely';
import type { FsNode } from '../../domain/fs/node.ts';
import { normalizePath } from '../../domain/fs/paths.ts';
import { rowToNode, sortKey } from '../fileRows.ts';
import type { ProjectionTables } from '../tables.ts';
import type { ContainerRow } from './containers.ts';

/** One version of a path in a container's history, oldest first. */
export interface PathVersion {
  /** Position from which this version holds (for image layers: the layer's registration). */
  position: number;
  /** Position at which it stopped holding (null while current). */
  until: number | null;
  kind: 'node' | 'whiteout' | 'opaque';
  node: FsNode | null;
  /** The image layer that provides it, for versions that come from the image. */
  diffId: string | null;
  command: string | null;
  sessionId: string | null;
  operation: string | null;
}

/**
 * `strata blame CONTAINER PATH`: every version of a path — each image layer that put it in place
 * (base first), then every change the container's writable layer made, with the command and
 * session that made it. Docker has no equivalent: its layers keep only the last state.
 */
export async function blamePath(
  db: Kysely<ProjectionTables>,
  container: ContainerRow,
  rawPath: string,
  diffIds: readonly string[],
): Promise<PathVersion[]> {
  const path = normalizePath(rawPath);
  const key = sortKey(path);
  const versions: PathVersion[] = [];
  if (diffIds.length > 0) {
    const layerRows = await db
      .selectFrom('layer_entries')
      .innerJoin('layers', 'layers.diff_id', 'layer_entries.diff_id')
      .selectAll('layer_entries')
      .select('layers.valid_from as registered')
      .where('layer_entries.diff_id', 'in', [...diffIds])
      .where('layer_entries.sort_key', '=', key)
      .where('layer_entries.implicit', '=', false)
      .execute();
    for (const diffId of diffIds) {
      for (const row of layerRows.filter((r) => r.diff_id === diffId)) {
        versions.push({
          position: Number(row.registered),
          until: null,
          kind: row.kind,
          node: row.kind === 'node' ? rowToNode(row) : null,
          diffId,
          command: null,
          sessionId: null,
          operation: null,
        });
      }
    }
  }
  const upper = await db
    .selectFrom('container_upper')
    .selectAll()
    .where('container_id', '=', container.container_id)
    .where('sort_key', '=', key)
    .orderBy('valid_from')
    .execute();
  for (const row of upper) {
    versions.push({
      position: Number(row.valid_from),
      until: row.valid_to === null ? null : Number(row.valid_to),
      kind: row.kind,
      node: row.kind === 'node' ? rowToNode(row) : null,
      diffId: null,
      command: row.command,
      sessionId: row.session_id,
      operation: row.operation,
    });
  }
  return versions;
}
