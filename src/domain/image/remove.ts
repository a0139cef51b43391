import type { Digest } from '../digest.ts';
import { shortId } from '../digest.ts';
import { conflictError, notFoundError, validationError } from '../errors.ts';
import type { ImageUser, RemoveImage } from './commands.ts';
import type { ImageEvent } from './events.ts';
import { normalizeReference, parseReference, repositoryOf } from './reference.ts';
import type { ImageState } from './state.ts';

/**
 * `docker rmi`, following moby's daemon/images/image_delete.go:
 * - By reference: that reference is removed. When it is the image's only tag (digest references
 *   of the same repository aside) and a container uses the image, that needs force. Removing a tag
 *   also removes the digest references of its repository when no other tag of that repository
 *   remains. If references remain, that is all ("Untagged"); otherwise the image is deleted unless
 *   a conflict stands in the way, which then silently keeps the (now untagged) image.
 * - By id: with several tags (or tags in several repositories) force is needed; every reference is
 *   removed, then the image deleted.
 * Conflicts: hard ones (a child image, a running container) cannot be forced; soft ones (other
 * references, a stopped container) can. Deleting frees the layer stacks (ChainIDs, topmost first)
 * that no other image uses and no container holds.
 */
export function decideRemoveImage({ data }: RemoveImage, state: ImageState): ImageEvent[] {
  if (state.status !== 'present') throw notFoundError(`No such image: ${data.input}`, { image: data.input });
  const imageId = state.image.imageId;
  let references = [...state.references];
  const events: ImageEvent[] = [];
  const untag = (reference: string) => {
    events.push({ type: 'ImageUntagged', data: { reference } });
    references = references.filter((r) => r !== reference);
  };

  if (data.by === 'reference') {
    if (data.reference === undefined) throw validationError('rmi by reference needs the reference');
    const reference = normalizeReference(data.reference);
    if (!references.includes(reference))
      throw notFoundError(`No such image: ${data.input}`, { image: data.input });
    const user = data.containers[0];
    if (!data.force && isSingleReference(references) && user) {
      throw conflictError(
        `conflict: unable to remove repository reference "${data.input}" (must force) - container ${shortId(user.containerId)} is using its referenced image ${shortId(imageId)}`,
        { imageId, containerId: user.containerId },
      );
    }
    untag(reference);
    const parsed = parseReference(reference);
    if (parsed.digest === undefined) {
      const repository = repositoryOf(parsed);
      const sameRepository = references
        .map((r) => ({ r, p: parseReference(r) }))
        .filter(({ p }) => repositoryOf(p) === repository);
      if (!sameRepository.some(({ p }) => p.digest === undefined)) {
        for (const { r } of sameRepository) untag(r);
      }
    }
    if (references.length > 0) return events;
    // The image lost its last reference: delete it quietly, a conflict keeps it (untagged).
    if (conflictFor(data, imageId, references, { soft: !data.force })) return events;
  } else {
    if (isSingleReference(references)) {
      const conflict = conflictFor(data, imageId, references, { soft: !data.force, activeReference: false });
      if (conflict) throw conflict;
      for (const reference of lexically(references)) untag(reference);
    }
    const conflict = conflictFor(data, imageId, references, { soft: !data.force });
    if (conflict) throw conflict;
    for (const reference of lexically(references)) untag(reference);
  }

  events.push({ type: 'ImageDeleted', data: { freedChainIds: freedChainIds(state.image.chainIds, data) } });
  return events;
}

/**
 * moby's isSingleReference: every reference is in one repository and at most one is a tag.
 * False for no references.
 */
export function isSingleReference(references: readonly string[]): boolean {
  if (references.length <= 1) return references.length === 1;
  let single: string | undefined;
  const digestRepositories = new Set<string>();
  for (const reference of references) {
    const parsed = parseReference(reference);
    if (parsed.digest !== undefined) digestRepositories.add(repositoryOf(parsed));
    else if (single === undefined) single = reference;
    else return false;
  }
  const repository = repositoryOf(parseReference(single ?? references[0]!));
  return digestRepositories.size === 1 && digestRepositories.has(repository);
}

/** moby's checkImageDeleteConflict, in its order: child image, running container, references, stopped container. */
function conflictFor(
  data: RemoveImage['data'],
  imageId: Digest,
  references: readonly string[],
  mask: { soft: boolean; activeReference?: boolean },
) {
  const id = shortId(imageId);
  const hard = (message: string, details: Record<string, unknown>) =>
    conflictError(`conflict: unable to delete ${id} (cannot be forced) - ${message}`, {
      imageId,
      ...details,
    });
  const soft = (message: string, details: Record<string, unknown>) =>
    conflictError(`conflict: unable to delete ${id} (must be forced) - ${message}`, { imageId, ...details });
  if (data.childImageIds.length > 0)
    return hard('image has dependent child images', { childImageIds: data.childImageIds });
  const running = data.containers.find((c) => c.running);
  if (running)
    return hard(`image is being used by running container ${shortId(running.containerId)}`, {
      containerId: running.containerId,
    });
  if (!mask.soft) return undefined;
  if ((mask.activeReference ?? true) && references.length > 0)
    return soft('image is referenced in multiple repositories', { references });
  const stopped = data.containers.find((c: ImageUser) => !c.running);
  if (stopped)
    return soft(`image is being used by stopped container ${shortId(stopped.containerId)}`, {
      containerId: stopped.containerId,
    });
  return undefined;
}

/** References in the order moby's reference store lists them (lexically, normalised form). */
const lexically = (references: readonly string[]) =>
  [...references].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Layer stacks released by deleting the image, topmost first, stopping at the first one still
 * in use (a stack in use keeps every stack below it). A container created from the image holds
 * its whole chain through its writable layer, even when the image is deleted by force.
 */
function freedChainIds(chain: readonly Digest[], data: RemoveImage['data']): Digest[] {
  if (data.containers.length > 0) return [];
  const inUse = new Set(data.chainIdsInUse);
  const freed: Digest[] = [];
  for (let i = chain.length - 1; i >= 0 && !inUse.has(chain[i]!); i--) freed.push(chain[i]!);
  return freed;
}
