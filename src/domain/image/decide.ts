import { assertNever, type Decider } from '../decider.ts';
import { chainIds, parseDigest, sha256Digest, shortId } from '../digest.ts';
import { integrityError, notFoundError, validationError } from '../errors.ts';
import type { CreateImage, ImageCommand, TagImage, UntagImage } from './commands.ts';
import { parseImageConfig } from './config.ts';
import type { ImageEvent } from './events.ts';
import { normalizeReference, normalizeTagReference, parseReference } from './reference.ts';
import { decideRemoveImage } from './remove.ts';
import { evolveImage, type ImageState, initialImageState } from './state.ts';

export function decideImage(command: ImageCommand, state: ImageState): ImageEvent[] {
  switch (command.type) {
    case 'CreateImage':
      return createImage(command, state);
    case 'TagImage':
      return tagImage(command, state);
    case 'UntagImage':
      return untagImage(command, state);
    case 'RemoveImage':
      return decideRemoveImage(command, state);
    default:
      return assertNever(command);
  }
}

function createImage({ data }: CreateImage, state: ImageState): ImageEvent[] {
  const imageId = sha256Digest(data.config);
  if (data.configDigest !== undefined && parseDigest(data.configDigest) !== imageId) {
    throw integrityError(`image config digest mismatch: expected ${data.configDigest}, got ${imageId}`, {
      expected: data.configDigest,
      actual: imageId,
    });
  }
  const config = parseImageConfig(data.config);
  const repoDigests = [...new Set((data.repoDigests ?? []).map(normalizeRepoDigest))];
  if (data.manifestDigest !== undefined) parseDigest(data.manifestDigest);
  if (data.parent !== undefined) parseDigest(data.parent);

  if (state.status === 'present') {
    return repoDigests
      .filter((reference) => !state.references.includes(reference))
      .map((reference): ImageEvent => ({ type: 'ImageTagged', data: { reference } }));
  }
  const diffIds = [...config.rootfs.diff_ids];
  const configSize =
    typeof data.config === 'string' ? Buffer.byteLength(data.config, 'utf8') : data.config.byteLength;
  return [
    {
      type: 'ImageCreated',
      data: {
        imageId,
        config,
        configSize,
        diffIds,
        chainIds: chainIds(diffIds),
        history: [...(config.history ?? [])],
        ...(data.manifestDigest !== undefined && { manifestDigest: data.manifestDigest }),
        repoDigests,
        ...(data.parent !== undefined && { parent: data.parent }),
        source: data.source,
      },
    },
  ];
}

function normalizeRepoDigest(input: string): string {
  const reference = parseReference(input);
  if (reference.digest === undefined)
    throw validationError(`repository digest "${input}" has no digest`, { reference: input });
  return normalizeReference(input);
}

function tagImage({ data }: TagImage, state: ImageState): ImageEvent[] {
  const reference = normalizeTagReference(data.reference);
  if (state.status !== 'present') throw noSuchImage(state);
  if (state.references.includes(reference)) return [];
  return [{ type: 'ImageTagged', data: { reference } }];
}

function untagImage({ data }: UntagImage, state: ImageState): ImageEvent[] {
  const reference = normalizeReference(data.reference);
  if (state.status !== 'present' || !state.references.includes(reference)) return [];
  return [{ type: 'ImageUntagged', data: { reference } }];
}

export const noSuchImage = (state: ImageState, input?: string) =>
  notFoundError(
    `No such image: ${input ?? (state.status === 'absent' ? 'image' : shortId(state.image.imageId))}`,
  );

export const imageDecider: Decider<ImageCommand, ImageEvent, ImageState> = {
  decide: decideImage,
  evolve: evolveImage,
  initialState: initialImageState,
};
