import type { Trx } from '../db/database.ts';
import type { RecordedEvent } from './types.ts';

/**
 * A read model updated inside the append transaction, right after the events INSERT: an API call
 * that appends then reads sees its own writes. A failure rolls the whole append back.
 * Keep `apply` short: it runs while the append transaction is open (after the append lock is released).
 */
export interface InlineProjection {
  name: string;
  /** Event types it handles; it is called only for those (and not at all if none are appended). */
  handles: readonly string[];
  apply(trx: Trx, events: RecordedEvent[]): Promise<void>;
}

/** Runs every projection that handles some of `events`, in registration order, with just those events. */
export async function runInlineProjections(
  trx: Trx,
  projections: readonly InlineProjection[],
  events: readonly RecordedEvent[],
): Promise<void> {
  for (const projection of projections) {
    const handled = events.filter((e) => projection.handles.includes(e.type));
    if (handled.length > 0) await projection.apply(trx, handled);
  }
}

export function anyHandles(projections: readonly InlineProjection[], types: Iterable<string>): boolean {
  for (const type of types) if (projections.some((p) => p.handles.includes(type))) return true;
  return false;
}
