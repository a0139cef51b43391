import type { Kysely, Selectable } from 'kysely';
import { validationError } from '../../domain/errors.ts';
import type { ContainersTable, ProjectionTables } from '../tables.ts';
import { validAt } from '../validAt.ts';

type Db = Kysely<ProjectionTables>;
export type ContainerRow = Selectable<ContainersTable>;

const containers = (db: Db, asOf: number | undefined) =>
  db.selectFrom('containers').selectAll().where(validAt('containers', asOf));

/** Finds a container as Docker does: full id, exact name, or a unique id prefix. */
export async function findContainer(db: Db, ref: string, asOf?: number): Promise<ContainerRow | undefined> {
  const name = ref.replace(/^\//, '');
  const exact = await containers(db, asOf)
    .where((eb) => eb.or([eb('container_id', '=', ref), eb('name', '=', name)]))
    .orderBy('container_id')
    .execute();
  const byId = exact.find((row) => row.container_id === ref);
  if (byId) return byId;
  if (exact[0]) return exact[0];
  if (!/^[a-f0-9]{1,63}$/.test(ref)) return undefined;
  const matches = await containers(db, asOf).where('container_id', 'like', `${ref}%`).limit(2).execute();
  if (matches.length > 1) throw validationError(`multiple IDs found with provided prefix: ${ref}`, { ref });
  return matches[0];
}

export async function containersByIds(
  db: Db,
  ids: readonly string[],
  asOf?: number,
): Promise<Map<string, ContainerRow>> {
  if (ids.length === 0) return new Map();
  const rows = await containers(db, asOf)
    .where('container_id', 'in', [...ids])
    .execute();
  return new Map(rows.map((row) => [row.container_id, row]));
}

/** `docker ps [-a]`: newest first; without `all`, running (and paused) containers only. */
export async function listContainers(
  db: Db,
  options: { all: boolean; asOf?: number; first: number; beforeCreated?: string; imageId?: string },
) {
  let query = containers(db, options.asOf)
    .orderBy('created', 'desc')
    .orderBy('container_id')
    .limit(options.first + 1);
  if (!options.all) query = query.where('state', 'in', ['running', 'paused', 'restarting']);
  if (options.imageId) query = query.where('image_id', '=', options.imageId);
  if (options.beforeCreated !== undefined) query = query.where('created', '<', options.beforeCreated);
  const rows = await query.execute();
  return { rows: rows.slice(0, options.first), hasNextPage: rows.length > options.first };
}

/** Bytes of the regular files in each container's writable layer (`docker ps -s` SIZE). */
export async function writableSizes(
  db: Db,
  ids: readonly string[],
  asOf?: number,
): Promise<Map<string, number>> {
  const result = new Map<string, number>(ids.map((id) => [id, 0]));
  if (ids.length === 0) return result;
  const rows = await db
    .selectFrom('container_upper')
    .select((eb) => ['container_id', eb.fn.sum<number>('size').as('size')])
    .where('container_id', 'in', [...ids])
    .where(validAt('container_upper', asOf))
    .where('kind', '=', 'node')
    .where('type', '=', 'file')
    .groupBy('container_id')
    .execute();
  for (const row of rows) result.set(row.container_id, Number(row.size));
  return result;
}
