import DataLoader from 'dataloader';
import type { AppServices } from '../app/services.ts';
import type { AuthInfo } from '../server/auth.ts';
import type { Logger } from '../server/log.ts';
import type { ReadScope } from './reads.ts';

export type { AppServices, AuthInfo };

/** What `Query.serverInfo` reports. */
export interface ServerInfo {
  version: string;
  /** The event store engine: `postgres` or `pglite`. */
  backend: string;
}

/** Page sizes for connections (`first`), from the configuration. */
export interface PageLimits {
  defaultPageSize: number;
  maxPageSize: number;
}

/**
 * Per-request DataLoaders for batching that `loadableObject`/`loadableNode` (plugin-dataloader)
 * do not cover: `ctx.loaders.get('layerImageCount', (diffIds) => app.layers.imageCounts(diffIds))`.
 * One instance per name per request; results must come back in key order.
 */
export class RequestLoaders {
  readonly #loaders = new Map<string, DataLoader<unknown, unknown>>();

  /** Drops every loader and what it cached (after a mutation's write). */
  clear(): void {
    this.#loaders.clear();
  }

  get<K, V>(name: string, batch: DataLoader.BatchLoadFn<K, V>, options?: DataLoader.Options<K, V>) {
    let loader = this.#loaders.get(name);
    if (!loader) {
      loader = new DataLoader(batch, options) as DataLoader<unknown, unknown>;
      this.#loaders.set(name, loader);
    }
    return loader as DataLoader<K, V>;
  }
}

/** The context every resolver receives. A fresh one is built for every operation. */
export interface GraphQLContext {
  app: AppServices;
  auth: AuthInfo;
  loaders: RequestLoaders;
  /** When reads may come from the cross-request as-of cache (see ./reads.ts). */
  reads: ReadScope;
  server: ServerInfo;
  limits: PageLimits;
  log: Logger;
  /** Aborted when the operation times out; pass it to long-running work. */
  signal: AbortSignal;
}
