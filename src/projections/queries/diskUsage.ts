import { type Kysely, sql } from 'kysely';
import type { ProjectionTables } from '../tables.ts';
import { validAt } from '../validAt.ts';
import type { ContainerRow } from './containers.ts';
import { writableSizes } from './containers.ts';
import type { ImageRow } from './images.ts';

type Db = Kysely<ProjectionTables>;

export interface ImageUsage {
  image: ImageRow;
  size: number;
  sharedSize: number;
  uniqueSize: number;
  containers: number;
}

export interface ContainerUsage {
  container: ContainerRow;
  sizeRw: number;
  virtualSize: number;
}

export interface DiskUsage {
  images: ImageUsage[];
  containers: ContainerUsage[];
  layersSize: number;
  storedBytes: number;
}

/**
 * `docker system df -v`, as of a position. Layers are identified by ChainID as Docker's layer
 * store does: SHARED SIZE is the bytes of an image's layer stacks that another image uses too,
 * UNIQUE the rest; a container's virtual size is its writable layer plus its image. `storedBytes`
 * is what Docker cannot show: file contents counted once per distinct digest across every layer
 * and writable layer in use.
 */
export async function diskUsage(db: Db, asOf?: number): Promise<DiskUsage> {
  const images = await db
    .selectFrom('images')
    .selectAll()
    .where(validAt('images', asOf))
    .orderBy('valid_from')
    .execute();
  const containers = await db
    .selectFrom('containers')
    .selectAll()
    .where(validAt('containers', asOf))
    .orderBy('created', 'desc')
    .execute();
  const diffIds = [...new Set(images.flatMap((image) => image.diff_ids))];
  const layerSizes = new Map<string, number>();
  if (diffIds.length > 0) {
    const rows = await db
      .selectFrom('layers')
      .select(['diff_id', 'content_size'])
      .where('diff_id', 'in', diffIds)
      .where(validAt('layers', asOf))
      .execute();
    for (const row of rows) layerSizes.set(row.diff_id, Number(row.content_size));
  }
  const chainUsers = new Map<string, number>();
  const chainSize = new Map<string, number>();
  for (const image of images) {
    image.chain_ids.forEach((chainId, i) => {
      chainUsers.set(chainId, (chainUsers.get(chainId) ?? 0) + 1);
      chainSize.set(chainId, layerSizes.get(image.diff_ids[i]!) ?? 0);
    });
  }
  const usage = images.map((image) => {
    const size = image.chain_ids.reduce((sum, chainId) => sum + chainSize.get(chainId)!, 0);
    const sharedSize = image.chain_ids
      .filter((c) => chainUsers.get(c)! > 1)
      .reduce((sum, c) => sum + chainSize.get(c)!, 0);
    return {
      image,
      size,
      sharedSize,
      uniqueSize: size - sharedSize,
      containers: containers.filter((c) => c.image_id === image.image_id).length,
    };
  });
  const sizes = await writableSizes(
    db,
    containers.map((c) => c.container_id),
    asOf,
  );
  const imageSize = new Map(usage.map((u) => [u.image.image_id, u.size]));
  return {
    images: usage,
    containers: containers.map((container) => {
      const sizeRw = sizes.get(container.container_id) ?? 0;
      return { container, sizeRw, virtualSize: sizeRw + (imageSize.get(container.image_id) ?? 0) };
    }),
    layersSize: [...chainSize.values()].reduce((a, b) => a + b, 0),
    storedBytes: await storedBytes(
      db,
      diffIds,
      containers.map((c) => c.container_id),
      asOf,
    ),
  };
}

async function storedBytes(
  db: Db,
  diffIds: string[],
  containerIds: string[],
  asOf?: number,
): Promise<number> {
  const layerContent = db
    .selectFrom('layer_entries')
    .select(['digest', 'size'])
    .where('diff_id', 'in', diffIds.length ? diffIds : [''])
    .where('kind', '=', 'node')
    .where('type', '=', 'file');
  const upperContent = db
    .selectFrom('container_upper')
    .select(['digest', 'size'])
    .where('container_id', 'in', containerIds.length ? containerIds : [''])
    .where(validAt('container_upper', asOf))
    .where('kind', '=', 'node')
    .where('type', '=', 'file');
  const distinct = db
    .selectFrom(layerContent.unionAll(upperContent).as('content'))
    .select(['digest', 'size'])
    .distinct();
  const row = await db
    .selectFrom(distinct.as('stored'))
    .select(sql<number>`coalesce(sum(size), 0)`.as('bytes'))
    .executeTakeFirstOrThrow();
  return Number(row.bytes);
}
