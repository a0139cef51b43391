import type { AsOfCache } from '../../projections/asOfCache.ts';
import { containersByIds, writableSizes } from '../../projections/queries/containers.ts';
import { imagesEverByIds, tagsOf } from '../../projections/queries/images.ts';
import { imageCounts, layersByDiffIds } from '../../projections/queries/layers.ts';
import type { GraphQLContext } from '../context.ts';

type Db = GraphQLContext['app']['db'];

/**
 * Per-request batch loaders, one per (kind, position): a page of 50 containers with their images
 * and layers costs a constant number of statements. Each batch comes from the cross-request as-of
 * cache when the request's position is settled (see ../reads.ts), else from the database.
 */
const loader =
  <V>(
    name: string,
    direct: (db: Db, ids: string[], asOf: number | undefined) => Promise<Map<string, V>>,
    cached: (cache: AsOfCache, ids: string[], at: number) => Promise<Map<string, V>>,
    fallback: V,
  ) =>
  (ctx: GraphQLContext, asOf: number | undefined) =>
    ctx.loaders.get<string, V>(`${name}@${asOf ?? 'now'}`, async (keys) => {
      const ids = [...keys];
      const at = await ctx.reads.stableAt(asOf);
      const found = await (at === undefined
        ? direct(ctx.app.db, ids, asOf)
        : cached(ctx.reads.cache, ids, at));
      return keys.map((k) => found.get(k) ?? fallback);
    });

export const imageLoader = loader('image', imagesEverByIds, (c, ids, at) => c.imagesEver(ids, at), undefined);

export const tagsLoader = loader('tags', tagsOf, (c, ids, at) => c.tags(ids, at), [] as string[]);

export const layerLoader = loader('layer', layersByDiffIds, (c, ids, at) => c.layers(ids, at), undefined);

export const layerImageCountLoader = loader(
  'layerImageCount',
  imageCounts,
  (c, ids, at) => c.layerImageCounts(ids, at),
  0,
);

export const containerLoader = loader(
  'container',
  containersByIds,
  (c, ids, at) => c.containers(ids, at),
  undefined,
);

export const sizeRwLoader = loader('sizeRw', writableSizes, (c, ids, at) => c.writableSizes(ids, at), 0);
