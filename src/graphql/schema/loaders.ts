import { containersByIds, writableSizes } from '../../projections/queries/containers.ts';
import { imagesEverByIds, tagsOf } from '../../projections/queries/images.ts';
import { imageCounts, layersByDiffIds } from '../../projections/queries/layers.ts';
import type { GraphQLContext } from '../context.ts';

/**
 * Per-request batch loaders, one per (kind, position): a page of 50 containers with their images
 * and layers costs a constant number of statements.
 */
const batch = <V>(
  name: string,
  ctx: GraphQLContext,
  asOf: number | undefined,
  load: (keys: string[]) => Promise<Map<string, V>>,
  fallback: V,
) =>
  ctx.loaders.get<string, V>(`${name}@${asOf ?? 'now'}`, async (keys) => {
    const found = await load([...keys]);
    return keys.map((k) => found.get(k) ?? fallback);
  });

export const imageLoader = (ctx: GraphQLContext, asOf: number | undefined) =>
  batch('image', ctx, asOf, (ids) => imagesEverByIds(ctx.app.db, ids, asOf), undefined);

export const tagsLoader = (ctx: GraphQLContext, asOf: number | undefined) =>
  batch('tags', ctx, asOf, (ids) => tagsOf(ctx.app.db, ids, asOf), [] as string[]);

export const layerLoader = (ctx: GraphQLContext, asOf: number | undefined) =>
  batch('layer', ctx, asOf, (ids) => layersByDiffIds(ctx.app.db, ids, asOf), undefined);

export const layerImageCountLoader = (ctx: GraphQLContext, asOf: number | undefined) =>
  batch('layerImageCount', ctx, asOf, (ids) => imageCounts(ctx.app.db, ids, asOf), 0);

export const containerLoader = (ctx: GraphQLContext, asOf: number | undefined) =>
  batch('container', ctx, asOf, (ids) => containersByIds(ctx.app.db, ids, asOf), undefined);

export const sizeRwLoader = (ctx: GraphQLContext, asOf: number | undefined) =>
  batch('sizeRw', ctx, asOf, (ids) => writableSizes(ctx.app.db, ids, asOf), 0);
