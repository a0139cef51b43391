import type { EventShape, RecordedEvent } from './types.ts';

/** Turns the data of `type` at schema version `fromVersion` into its data at `fromVersion + 1`. */
// biome-ignore lint/suspicious/noExplicitAny: each upcaster declares the old data shape it reads
export type Upcaster = (data: any, event: RecordedEvent) => unknown;

/**
 * Registry of upcasters keyed by (event type, from schema version). Every read path applies them,
 * chaining v1 → v2 → … until no upcaster is registered for the event's current version.
 */
export class Upcasters {
  private readonly byKey = new Map<string, Upcaster>();

  /** Registers the step `fromVersion` → `fromVersion + 1` for `type`. */
  register(type: string, fromVersion: number, upcast: Upcaster): this {
    if (!Number.isInteger(fromVersion) || fromVersion < 1)
      throw new Error('fromVersion must be an integer >= 1');
    const key = `${fromVersion}\u0000${type}`;
    if (this.byKey.has(key)) throw new Error(`an upcaster for ${type} v${fromVersion} is already registered`);
    this.byKey.set(key, upcast);
    return this;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The event brought to its latest schema version (the same object when nothing applies). */
  apply<E extends EventShape = EventShape>(event: RecordedEvent): RecordedEvent<E> {
    if (this.byKey.size === 0) return event as RecordedEvent<E>;
    let version = event.metadata.schemaVersion ?? 1;
    let current = event;
    for (;;) {
      const upcast = this.byKey.get(`${version}\u0000${current.type}`);
      if (!upcast) break;
      version += 1;
      current = {
        ...current,
        data: upcast(current.data, current),
        metadata: { ...current.metadata, schemaVersion: version },
      };
    }
    return current as RecordedEvent<E>;
  }
}

/** An empty registry (reads then return events as stored). */
export const noUpcasters = new Upcasters();
