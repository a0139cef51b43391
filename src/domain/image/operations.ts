import type { Digest } from '../digest.ts';
import { imageStream, mergeStreamEvents, type StreamEvents, tagStream } from '../streams.ts';
import type { RemoveImage } from './commands.ts';
import { decideImage } from './decide.ts';
import type { ImageEvent } from './events.ts';
import { familiarReference, normalizeTagReference, parseReference } from './reference.ts';
import type { ImageState } from './state.ts';
import { decideTag } from './tags/decide.ts';
import type { TagEvent } from './tags/events.ts';
import type { TagState } from './tags/state.ts';

/**
 * Decisions that span streams. The app layer reads every stream involved, passes their states,
 * and appends the result in one transaction (appendMulti) with the versions it read, so a
 * concurrent move of the same tag fails with a concurrency error instead of leaving two images
 * holding one tag.
 */
export type ImageStreamEvents = StreamEvents<ImageEvent | TagEvent>;

/**
 * `docker tag IMAGE TARGET`: points the tag at the image. When the tag named another image, that
 * image is untagged in the same decision (and may be left dangling, as Docker leaves it).
 */
export function tagImage(
  command: { reference: string; imageId: Digest },
  states: { image: ImageState; tag: TagState },
): ImageStreamEvents[] {
  const reference = normalizeTagReference(command.reference);
  const imageEvents = decideImage({ type: 'TagImage', data: { reference } }, states.image);
  const tagEvents = decideTag(
    { type: 'AssignTag', data: { reference, imageId: command.imageId } },
    states.tag,
  );
  const decisions: ImageStreamEvents[] = [
    { stream: tagStream(reference), events: tagEvents },
    { stream: imageStream(command.imageId), events: imageEvents },
  ];
  const moved = tagEvents.find((e) => e.type === 'TagAssigned' && e.data.previousImageId !== undefined);
  if (moved?.type === 'TagAssigned' && moved.data.previousImageId) {
    decisions.push({
      stream: imageStream(moved.data.previousImageId),
      events: [{ type: 'ImageUntagged', data: { reference } }],
    });
  }
  return mergeStreamEvents(decisions);
}

/**
 * `docker rmi`: the image's own events, plus the release of every tag it loses in the tag
 * registry (digest references have no registry stream).
 */
export function removeImage(command: RemoveImage, image: ImageState): ImageStreamEvents[] {
  const events = decideImage(command, image);
  if (image.status !== 'present') return [];
  const imageId = image.image.imageId;
  const releases: ImageStreamEvents[] = events
    .filter((e) => e.type === 'ImageUntagged' && parseReference(e.data.reference).digest === undefined)
    .map((e) => {
      const reference = (e as Extract<ImageEvent, { type: 'ImageUntagged' }>).data.reference;
      return { stream: tagStream(reference), events: [decideTagRelease(reference, imageId)] };
    });
  return mergeStreamEvents([{ stream: imageStream(imageId), events }], releases);
}

const decideTagRelease = (reference: string, imageId: Digest): TagEvent => ({
  type: 'TagReleased',
  data: { reference, imageId },
});

/** What `docker rmi` prints, from the events it decided: `Untagged:` lines, then `Deleted:` lines. */
export function imageRemovalReport(
  imageId: Digest,
  events: readonly ImageEvent[],
): { untagged: string[]; deleted: Digest[] } {
  const untagged: string[] = [];
  const deleted: Digest[] = [];
  for (const event of events) {
    if (event.type === 'ImageUntagged') untagged.push(familiarReference(event.data.reference));
    if (event.type === 'ImageDeleted') deleted.push(imageId, ...event.data.freedChainIds);
  }
  return { untagged, deleted };
}
