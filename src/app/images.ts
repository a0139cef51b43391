import type { Digest } from '../domain/digest.ts';
import { notFoundError } from '../domain/errors.ts';
import { decideImage } from '../domain/image/decide.ts';
import { imageRemovalReport, removeImage, tagImage } from '../domain/image/operations.ts';
import { classifyImageArgument, normalizeTagReference } from '../domain/image/reference.ts';
import { evolveImage, initialImageState } from '../domain/image/state.ts';
import { evolveTag, initialTagState } from '../domain/image/tags/state.ts';
import { imageStream, type StreamEvents, tagStream } from '../domain/streams.ts';
import { findImage, type ImageRow } from '../projections/queries/images.ts';
import { type AppContext, commandMetadata } from './context.ts';
import { type Loaded, loadStream } from './loadStream.ts';
import type { AppendWrite, CommandMetadata } from './ports.ts';

export const loadImage = (app: AppContext, imageId: string) =>
  loadStream(app.log, imageStream(imageId as Digest), evolveImage, initialImageState);

export const loadTag = (app: AppContext, reference: string) =>
  loadStream(app.log, tagStream(reference), evolveTag, initialTagState);

export async function resolveImage(app: AppContext, ref: string): Promise<ImageRow> {
  const image = await findImage(app.db, ref);
  if (!image) throw notFoundError(`No such image: ${ref}`, { image: ref });
  return image;
}

/** Turns per-stream decisions into writes, each with the version its state was read at. */
export function writesFor(
  decisions: readonly StreamEvents<{ type: string; data: unknown }>[],
  loaded: ReadonlyMap<string, Loaded<unknown>>,
): AppendWrite[] {
  return decisions.map((d) => ({
    stream: d.stream,
    events: d.events,
    expectedVersion: loaded.get(d.stream)?.expectedVersion ?? 'no_stream',
  }));
}

/** The decisions and loaded states of `docker tag IMAGE TARGET`, for appending alone or with a pull/commit. */
export async function decideTag(
  app: AppContext,
  imageId: Digest,
  target: string,
  imageLoaded?: Loaded<ReturnType<typeof initialImageState>>,
) {
  const reference = normalizeTagReference(target);
  const image = imageLoaded ?? (await loadImage(app, imageId));
  const tag = await loadTag(app, reference);
  const loaded = new Map<string, Loaded<unknown>>([
    [imageStream(imageId), image],
    [tagStream(reference), tag],
  ]);
  if (tag.state.status === 'assigned' && tag.state.imageId !== imageId) {
    loaded.set(imageStream(tag.state.imageId), await loadImage(app, tag.state.imageId));
  }
  return { decisions: tagImage({ reference, imageId }, { image: image.state, tag: tag.state }), loaded };
}

export async function tagImageByRef(
  app: AppContext,
  source: string,
  target: string,
  metadata: CommandMetadata = commandMetadata(),
) {
  const image = await resolveImage(app, source);
  const { decisions, loaded } = await decideTag(app, image.image_id as Digest, target);
  if (decisions.length > 0) await app.log.append(writesFor(decisions, loaded), metadata);
  return image.image_id;
}

/** `docker rmi [-f]`: untags, and deletes the image when its last reference goes. */
export async function removeImageByRef(
  app: AppContext,
  ref: string,
  force: boolean,
  metadata: CommandMetadata = commandMetadata(),
) {
  const image = await resolveImage(app, ref);
  const imageId = image.image_id as Digest;
  const argument = (() => {
    try {
      return classifyImageArgument(ref);
    } catch {
      return { kind: 'id' as const, imageId };
    }
  })();
  const byReference = argument.kind === 'reference' && !(await isIdPrefix(ref, imageId));
  const others = await app.db
    .selectFrom('images')
    .select(['image_id', 'chain_ids', 'parent'])
    .where('valid_to', 'is', null)
    .where('image_id', '!=', imageId)
    .execute();
  const users = await app.db
    .selectFrom('containers')
    .select(['container_id', 'state'])
    .where('valid_to', 'is', null)
    .where('image_id', '=', imageId)
    .execute();
  const loadedImage = await loadImage(app, imageId);
  const decisions = removeImage(
    {
      type: 'RemoveImage',
      data: {
        by: byReference ? 'reference' : 'id',
        ...(byReference && argument.kind === 'reference' ? { reference: argument.reference } : {}),
        input: ref,
        force,
        containers: users.map((c) => ({
          containerId: c.container_id,
          running: ['running', 'paused', 'restarting'].includes(c.state),
        })),
        childImageIds: others.filter((o) => o.parent === imageId).map((o) => o.image_id as Digest),
        chainIdsInUse: [...new Set(others.flatMap((o) => o.chain_ids as Digest[]))],
      },
    },
    loadedImage.state,
  );
  const loaded = new Map<string, Loaded<unknown>>([[imageStream(imageId), loadedImage]]);
  for (const d of decisions)
    if (!loaded.has(d.stream))
      loaded.set(
        d.stream,
        await loadStream(
          app.log,
          d.stream,
          (s) => s,
          () => null,
        ),
      );
  if (decisions.length > 0) await app.log.append(writesFor(decisions, loaded), metadata);
  const imageEvents = decisions.find((d) => d.stream === imageStream(imageId))?.events ?? [];
  return imageRemovalReport(imageId, imageEvents as Parameters<typeof imageRemovalReport>[1]);
}

async function isIdPrefix(ref: string, imageId: string): Promise<boolean> {
  const hex = ref.replace(/^sha256:/, '');
  return /^[a-f0-9]+$/.test(hex) && imageId.startsWith(`sha256:${hex}`);
}

export { decideImage };
