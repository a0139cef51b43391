import type { Kysely } from 'kysely';
import { perHandle } from '../db/openDatabase.ts';
import { LruCache } from './lruCache.ts';
import {
  type ContainerRow,
  containersByIds,
  findContainer,
  listContainers,
  writableSizes,
} from './queries/containers.ts';
import { type ImageRow, imagesEverByIds, tagsOf } from './queries/images.ts';
import { imageCounts, type LayerRow, layersByDiffIds } from './queries/layers.ts';
import type { ProjectionTables } from './tables.ts';

type Db = Kysely<ProjectionTables>;

/**
 * Read-model reads as of a *stable* position — one at or below a safe head the process has seen
 * (src/eventStore/head.ts, HeadWatch) — cached across requests. Such a read can never change: every
 * event up to the position is committed or aborted for good, and later events only open rows
 * above it or close rows above it (`valid_to` > the position). The one column a later event
 * rewrites, `valid_to`, is reported as it stood at the position (null while the row held), so a
 * cached row is exactly what the same query would return now.
 *
 * Callers must pass stable positions only; anything else reads the database directly.
 * Entries are promises, so concurrent misses share one statement; a failed read is not kept.
 */
export class AsOfCache {
  /** Weighed in rows (about a kilobyte at most each): a page of 50 weighs 51. */
  readonly #entries: LruCache<string, { value: Promise<unknown>; rows: number }>;

  constructor(
    private readonly db: Db,
    maxRows = 100_000,
  ) {
    this.#entries = new LruCache(maxRows, (entry) => entry.rows);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** `findContainer(ref)` as of `at`. */
  container(ref: string, at: number): Promise<ContainerRow | undefined> {
    return this.#memo(`container\u0000${at}\u0000${ref}`, async () => {
      const row = await findContainer(this.db, ref, at);
      return row && heldAt(row, at);
    });
  }

  containers(ids: readonly string[], at: number): Promise<Map<string, ContainerRow>> {
    return this.#many('containers', ids, at, async (missing) =>
      mapValues(await containersByIds(this.db, missing, at), (row) => heldAt(row, at)),
    );
  }

  /** A page of `docker ps [-a]` as of `at`. */
  containerPage(options: { all: boolean; at: number; first: number; beforeCreated?: string }) {
    const { all, at, first, beforeCreated } = options;
    return this.#memo(
      `containerPage\u0000${at}\u0000${all}\u0000${first}\u0000${beforeCreated ?? ''}`,
      async () => {
        const page = await listContainers(this.db, {
          all,
          asOf: at,
          first,
          ...(beforeCreated !== undefined ? { beforeCreated } : {}),
        });
        return { ...page, rows: page.rows.map((row) => heldAt(row, at)) };
      },
      first + 1,
    );
  }

  /** `imagesEverByIds` as of `at`: each image as it was then, even if deleted by then. */
  imagesEver(ids: readonly string[], at: number): Promise<Map<string, ImageRow>> {
    return this.#many('imagesEver', ids, at, async (missing) =>
      mapValues(await imagesEverByIds(this.db, missing, at), (row) => heldAt(row, at)),
    );
  }

  layers(diffIds: readonly string[], at: number): Promise<Map<string, LayerRow>> {
    return this.#many('layers', diffIds, at, async (missing) =>
      mapValues(await layersByDiffIds(this.db, missing, at), (row) => heldAt(row, at)),
    );
  }

  layerImageCounts(diffIds: readonly string[], at: number): Promise<Map<string, number>> {
    return this.#many('imageCounts', diffIds, at, (missing) => imageCounts(this.db, missing, at));
  }

  tags(imageIds: readonly string[], at: number): Promise<Map<string, string[]>> {
    return this.#many('tags', imageIds, at, (missing) => tagsOf(this.db, missing, at));
  }

  writableSizes(containerIds: readonly string[], at: number): Promise<Map<string, number>> {
    return this.#many('sizeRw', containerIds, at, (missing) => writableSizes(this.db, missing, at));
  }

  /** Any other read as of `at`, under a key naming the read and its arguments; `rows`: its size. */
  read<V>(what: string, at: number, rows: number, load: () => Promise<V>): Promise<V> {
    return this.#memo(`${what}\u0000${at}`, load, rows);
  }

  #memo<V>(key: string, load: () => Promise<V>, rows = 1): Promise<V> {
    const cached = this.#entries.get(key);
    if (cached) return cached.value as Promise<V>;
    const loading = load();
    this.#keep(key, loading, rows);
    return loading;
  }

  /** One entry per key; the missing ones are read in one statement. */
  async #many<V>(
    what: string,
    keys: readonly string[],
    at: number,
    load: (missing: string[]) => Promise<Map<string, V>>,
  ): Promise<Map<string, V>> {
    const prefix = `${what}\u0000${at}\u0000`;
    const pending = new Map<string, Promise<V | undefined>>();
    const missing: string[] = [];
    for (const key of keys) {
      const cached = this.#entries.get(prefix + key);
      if (cached) pending.set(key, cached.value as Promise<V | undefined>);
      else if (!pending.has(key)) missing.push(key);
    }
    if (missing.length > 0) {
      const batch = load(missing);
      for (const key of missing) {
        const one = batch.then((found) => found.get(key));
        this.#keep(prefix + key, one);
        pending.set(key, one);
      }
    }
    const result = new Map<string, V>();
    for (const [key, value] of pending) {
      const found = await value;
      if (found !== undefined) result.set(key, found);
    }
    return result;
  }

  #keep(key: string, value: Promise<unknown>, rows = 1): void {
    this.#entries.set(key, { value, rows });
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
  }
}

/** The row as a read as of `at` sees it: `valid_to` is only known once it is at or below `at`. */
function heldAt<R extends { valid_to: string | number | null }>(row: R, at: number): R {
  return row.valid_to !== null && Number(row.valid_to) > at ? { ...row, valid_to: null } : row;
}

function mapValues<K, V>(map: Map<K, V>, f: (value: V) => V): Map<K, V> {
  for (const [key, value] of map) map.set(key, f(value));
  return map;
}

/** The process-wide as-of cache of a database handle. */
export const asOfCache = perHandle((db: Db) => new AsOfCache(db));
