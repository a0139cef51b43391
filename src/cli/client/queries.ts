import type { CliContext } from './context.ts';
import { noSuchContainer, noSuchImage } from './errors.ts';

/** One container by name, id or id prefix (as of `ctx.asOf`), or docker's "No such container". */
export async function getContainer<T>(ctx: CliContext, ref: string, selection: string): Promise<T> {
  const data = await ctx.api.request<{ container: T | null }>(
    `query($ref: String!, $asOf: Position) { container(ref: $ref, asOf: $asOf) { ${selection} } }`,
    {
      ref,
      asOf: ctx.asOf ?? null,
    },
  );
  if (!data.container) throw noSuchContainer(ref);
  return data.container;
}

/** One image by reference, id or id prefix (as of `ctx.asOf`), or docker's "No such image". */
export async function getImage<T>(ctx: CliContext, ref: string, selection: string): Promise<T> {
  const data = await ctx.api.request<{ image: T | null }>(
    `query($ref: String!, $asOf: Position) { image(ref: $ref, asOf: $asOf) { ${selection} } }`,
    {
      ref,
      asOf: ctx.asOf ?? null,
    },
  );
  if (!data.image) throw noSuchImage(ref);
  return data.image;
}

/**
 * Every node of a connection, page by page. `field` is e.g. `images(asOf: $asOf`. Pages stay
 * small enough for the server's complexity limit (a connection costs its selection × page size).
 */
export async function allPages<T>(
  ctx: CliContext,
  declared: string,
  field: string,
  selection: string,
  variables: Record<string, unknown>,
  pageSize = 100,
): Promise<T[]> {
  const nodes: T[] = [];
  let after: string | null = null;
  for (;;) {
    const query = `query(${declared ? `${declared}, ` : ''}$after: String) { page: ${field}, first: ${pageSize}, after: $after) { edges { node { ${selection} } } pageInfo { hasNextPage endCursor } } }`;
    const data: {
      page: { edges: { node: T }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    } = await ctx.api.request(query, { ...variables, after });
    nodes.push(...data.page.edges.map((e) => e.node));
    if (!data.page.pageInfo.hasNextPage || !data.page.pageInfo.endCursor) return nodes;
    after = data.page.pageInfo.endCursor;
  }
}
