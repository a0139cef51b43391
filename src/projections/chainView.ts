import type { Kysely } from 'kysely';
import type { Digest } from '../domain/digest.ts';
import type { LayerEntry } from '../domain/fs/node.ts';
import { ancestorsOf } from '../domain/fs/paths.ts';
import { MutableTree } from '../domain/fs/tree.ts';
import { applyEntries, type WhiteoutMode } from '../domain/fs/union.ts';
import { insertFileRows, nodeColumns, rowToNode } from './fileRows.ts';
import type { ProjectionTables } from './tables.ts';

export type LoadLayerEntries = (diffId: Digest) => Promise<readonly LayerEntry[]>;

/**
 * Materialises the merged view of the layer stack `diffIds` under its top ChainID, once: it
 * starts from the longest materialised prefix (a commit's parent image, a shared base) and
 * applies the remaining layers with the union rules of src/domain/fs/union.ts. Each path
 * remembers the layer that last put it in place.
 */
export async function materializeChain(
  db: Kysely<ProjectionTables>,
  diffIds: readonly Digest[],
  chainIds: readonly Digest[],
  loadEntries: LoadLayerEntries,
  whiteoutMode: WhiteoutMode = 'spec',
): Promise<void> {
  const top = chainIds.at(-1);
  if (top === undefined || (await hasChain(db, top))) return;

  let start = 0;
  const tree = new MutableTree();
  const origin = new Map<string, string>();
  for (let i = chainIds.length - 2; i >= 0; i--) {
    if (!(await hasChain(db, chainIds[i]!))) continue;
    const rows = await db
      .selectFrom('chain_files')
      .selectAll()
      .where('chain_id', '=', chainIds[i]!)
      .orderBy('sort_key')
      .execute();
    for (const row of rows) {
      const node = rowToNode(row);
      tree.set(node);
      origin.set(node.path, row.diff_id);
    }
    start = i + 1;
    break;
  }

  for (let i = start; i < diffIds.length; i++) {
    const diffId = diffIds[i]!;
    const entries = await loadEntries(diffId);
    applyEntries(tree, entries, { whiteoutMode });
    for (const entry of entries) {
      const path = entry.kind === 'node' ? entry.node.path : entry.path;
      if (entry.kind === 'node') origin.set(path, diffId);
      for (const ancestor of ancestorsOf(path)) if (!origin.has(ancestor)) origin.set(ancestor, diffId);
    }
  }

  const rows = [...tree.toMap()].map(([path, node]) =>
    Object.assign(nodeColumns(node), { chain_id: top, diff_id: origin.get(path) ?? diffIds.at(-1)! }),
  );
  await insertFileRows(db, 'chain_files', rows);
}

async function hasChain(db: Kysely<ProjectionTables>, chainId: string): Promise<boolean> {
  const row = await db
    .selectFrom('chain_files')
    .select('chain_id')
    .where('chain_id', '=', chainId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
