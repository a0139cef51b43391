import type { Kysely, Selectable } from 'kysely';
import { validationError } from '../../domain/errors.ts';
import { classifyImageArgument, parseReference } from '../../domain/image/reference.ts';
import type { ImagesTable, ProjectionTables } from '../tables.ts';
import { validAt } from '../validAt.ts';

type Db = Kysely<ProjectionTables>;
export type ImageRow = Selectable<ImagesTable>;

const images = (db: Db, asOf: number | undefined) =>
  db.selectFrom('images').selectAll().where(validAt('images', asOf));

export async function imageById(db: Db, imageId: string, asOf?: number): Promise<ImageRow | undefined> {
  return images(db, asOf).where('image_id', '=', imageId).executeTakeFirst();
}

/**
 * Finds an image as Docker does: a full id (`sha256:…` or 64 hex), a reference (`ubuntu`,
 * `ubuntu:22.04`, `repo@sha256:…`), or else a unique id prefix. An ambiguous prefix is an error.
 */
export async function findImage(db: Db, ref: string, asOf?: number): Promise<ImageRow | undefined> {
  let parsed: ReturnType<typeof classifyImageArgument> | undefined;
  try {
    parsed = classifyImageArgument(ref);
  } catch (error) {
    if (!/^(sha256:)?[a-f0-9]{1,64}$/.test(ref)) throw error;
  }
  if (parsed?.kind === 'id') return imageById(db, parsed.imageId, asOf);
  if (parsed?.kind === 'reference') {
    const reference = parseReference(ref);
    if (reference.digest !== undefined) {
      const found = await images(db, asOf)
        .where((eb) => eb(eb.ref('repo_digests'), '@>', JSON.stringify([parsed.reference]) as never))
        .executeTakeFirst();
      if (found) return found;
      // A digest reference added after creation (the same config pulled through another manifest) is a tag row.
      const tagged = await db
        .selectFrom('image_tags')
        .select('image_id')
        .where('reference', '=', parsed.reference)
        .where(validAt('image_tags', asOf))
        .executeTakeFirst();
      if (tagged) return imageById(db, tagged.image_id, asOf);
    } else {
      const tag = await db
        .selectFrom('image_tags')
        .select('image_id')
        .where('reference', '=', parsed.reference)
        .where(validAt('image_tags', asOf))
        .executeTakeFirst();
      if (tag) return imageById(db, tag.image_id, asOf);
    }
  }
  const prefix = ref.replace(/^sha256:/, '');
  if (!/^[a-f0-9]{1,64}$/.test(prefix)) return undefined;
  const matches = await images(db, asOf).where('image_id', 'like', `sha256:${prefix}%`).limit(2).execute();
  if (matches.length > 1) throw validationError(`ambiguous image id prefix: ${ref}`, { ref });
  return matches[0];
}

/** Images in creation order (position), a page at a time; `after` is an image id. */
export async function listImages(db: Db, options: { asOf?: number; first: number; afterPosition?: number }) {
  let query = images(db, options.asOf)
    .orderBy('valid_from')
    .limit(options.first + 1);
  if (options.afterPosition !== undefined) query = query.where('valid_from', '>', options.afterPosition);
  const rows = await query.execute();
  return { rows: rows.slice(0, options.first), hasNextPage: rows.length > options.first };
}

/** The tags naming each image, as of a position. */
export async function tagsOf(
  db: Db,
  imageIds: readonly string[],
  asOf?: number,
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(imageIds.map((id) => [id, []]));
  if (imageIds.length === 0) return result;
  const rows = await db
    .selectFrom('image_tags')
    .select(['image_id', 'reference'])
    .where('image_id', 'in', [...imageIds])
    .where(validAt('image_tags', asOf))
    .orderBy('reference')
    .execute();
  for (const row of rows) result.get(row.image_id)?.push(row.reference);
  return result;
}

export async function imagesByIds(
  db: Db,
  imageIds: readonly string[],
  asOf?: number,
): Promise<Map<string, ImageRow>> {
  if (imageIds.length === 0) return new Map();
  const rows = await images(db, asOf)
    .where('image_id', 'in', [...imageIds])
    .execute();
  return new Map(rows.map((row) => [row.image_id, row]));
}

/** Images as they were at a position even if since deleted (for containers that outlived them). */
export async function imagesEverByIds(
  db: Db,
  imageIds: readonly string[],
  asOf?: number,
): Promise<Map<string, ImageRow>> {
  if (imageIds.length === 0) return new Map();
  let query = db
    .selectFrom('images')
    .selectAll()
    .where('image_id', 'in', [...imageIds])
    .orderBy('valid_from', 'desc');
  if (asOf !== undefined) query = query.where('valid_from', '<=', asOf);
  const rows = await query.execute();
  const result = new Map<string, ImageRow>();
  for (const row of rows) if (!result.has(row.image_id)) result.set(row.image_id, row);
  return result;
}
