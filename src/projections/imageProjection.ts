import type { Insertable, Kysely } from 'kysely';
import { implicitDirectory } from '../domain/fs/tree.ts';
import type { ImageEvent } from '../domain/image/events.ts';
import type { LayerEvent } from '../domain/layer/events.ts';
import { type LoadLayerEntries, materializeChain } from './chainView.ts';
import { insertFileRows, markerColumns, nodeColumns } from './fileRows.ts';
import { imageIdOfStream } from './streamIds.ts';
import type { LayerEntriesTable, ProjectionTables } from './tables.ts';

/** What a projection needs of a recorded event. */
export interface ProjectedEvent<E extends { type: string; data: unknown }> {
  stream: string;
  position: number;
  event: E;
}

type Db = Kysely<ProjectionTables>;

/** Layers: one row per DiffID and the layer's own entry table (with implicit parents marked). */
export async function projectLayerEvent(
  db: Db,
  { position, event }: ProjectedEvent<LayerEvent>,
  loadEntries: LoadLayerEntries,
) {
  const data = event.data;
  await db
    .insertInto('layers')
    .values({
      diff_id: data.diffId,
      digest: data.digest ?? null,
      media_type: data.mediaType ?? null,
      size: data.size,
      compressed_size: data.compressedSize ?? null,
      entry_count: data.entryCount,
      content_size: data.contentSize,
      entries_digest: data.entriesDigest,
      valid_from: position,
      valid_to: null,
    })
    .execute();
  const entries = await loadEntries(data.diffId);
  const rows = new Map<string, Insertable<LayerEntriesTable>>();
  for (const entry of entries) {
    const row: Insertable<LayerEntriesTable> = Object.assign(
      entry.kind === 'node' ? nodeColumns(entry.node) : markerColumns(entry.path),
      { diff_id: data.diffId, kind: entry.kind, implicit: false },
    );
    rows.set(`${entry.kind}:${row.path}`, row);
  }
  const explicit = new Set(entries.map((e) => (e.kind === 'node' ? e.node.path : e.path)));
  for (const path of explicit) {
    for (let p = parentDir(path); p !== undefined; p = parentDir(p)) {
      if (explicit.has(p) || rows.has(`node:${p}`)) break;
      rows.set(
        `node:${p}`,
        Object.assign(nodeColumns(implicitDirectory(p)), {
          diff_id: data.diffId,
          kind: 'node' as const,
          implicit: true,
        }),
      );
    }
  }
  await insertFileRows(db, 'layer_entries', [...rows.values()]);
}

const parentDir = (path: string): string | undefined => {
  if (path === '/') return undefined;
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
};

/** Images and their tags, as versioned rows; ImageCreated also materialises the chain view. */
export async function projectImageEvent(
  db: Db,
  { stream, position, event }: ProjectedEvent<ImageEvent>,
  loadEntries: LoadLayerEntries,
) {
  const imageId = imageIdOfStream(stream);
  switch (event.type) {
    case 'ImageCreated': {
      const data = event.data;
      await materializeChain(db, data.diffIds, data.chainIds, loadEntries);
      const size = data.diffIds.length
        ? await db
            .selectFrom('layers')
            .select((eb) => eb.fn.sum<number>('content_size').as('size'))
            .where('diff_id', 'in', [...new Set(data.diffIds)])
            .where('valid_to', 'is', null)
            .executeTakeFirst()
        : undefined;
      await db
        .insertInto('images')
        .values({
          image_id: imageId,
          config: JSON.stringify(data.config),
          diff_ids: JSON.stringify(data.diffIds),
          chain_ids: JSON.stringify(data.chainIds),
          top_chain_id: data.chainIds.at(-1) ?? null,
          history: JSON.stringify(data.history),
          size: Number(size?.size ?? 0),
          created: (data.config as { created?: string }).created ?? null,
          source: data.source,
          parent: data.parent ?? null,
          manifest_digest: data.manifestDigest ?? null,
          repo_digests: JSON.stringify(data.repoDigests),
          valid_from: position,
          valid_to: null,
        })
        .execute();
      return;
    }
    case 'ImageTagged':
      await db
        .updateTable('image_tags')
        .set({ valid_to: position })
        .where('reference', '=', event.data.reference)
        .where('valid_to', 'is', null)
        .execute();
      await db
        .insertInto('image_tags')
        .values({ reference: event.data.reference, image_id: imageId, valid_from: position, valid_to: null })
        .execute();
      return;
    case 'ImageUntagged':
      await db
        .updateTable('image_tags')
        .set({ valid_to: position })
        .where('reference', '=', event.data.reference)
        .where('image_id', '=', imageId)
        .where('valid_to', 'is', null)
        .execute();
      return;
    case 'ImageDeleted':
      await db
        .updateTable('image_tags')
        .set({ valid_to: position })
        .where('image_id', '=', imageId)
        .where('valid_to', 'is', null)
        .execute();
      await db
        .updateTable('images')
        .set({ valid_to: position })
        .where('image_id', '=', imageId)
        .where('valid_to', 'is', null)
        .execute();
      return;
  }
}
