import type { HistoryEntry } from '../../domain/image/config.ts';
import type { ImageRow } from './images.ts';
import type { LayerRow } from './layers.ts';

export interface HistoryLine {
  createdBy: string;
  created: string | null;
  comment: string | null;
  author: string | null;
  emptyLayer: boolean;
  size: number;
  /** The layer this line added (null for an empty layer). */
  diffId: string | null;
}

/**
 * `docker history`: newest first; each non-empty history entry is matched, in order, with the
 * next diff_id and shows that layer's size; empty ones show 0. An image without history gets one
 * line per layer, as Docker prints for such images.
 */
export function imageHistory(image: ImageRow, layers: ReadonlyMap<string, LayerRow>): HistoryLine[] {
  const history = image.history as HistoryEntry[];
  const diffIds = image.diff_ids;
  const lines: HistoryLine[] = [];
  let layer = 0;
  const entries: HistoryEntry[] = history.length > 0 ? history : diffIds.map(() => ({}));
  for (const entry of entries) {
    const empty = entry.empty_layer === true;
    const diffId = empty ? null : (diffIds[layer++] ?? null);
    lines.push({
      createdBy: entry.created_by ?? '',
      created: entry.created ?? null,
      comment: entry.comment ?? null,
      author: entry.author ?? null,
      emptyLayer: empty,
      size: diffId ? Number(layers.get(diffId)?.content_size ?? 0) : 0,
      diffId,
    });
  }
  return lines.reverse();
}
