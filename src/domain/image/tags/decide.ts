import { assertNever, type Decider } from '../../decider.ts';
import { type Digest, parseDigest } from '../../digest.ts';
import { normalizeTagReference } from '../reference.ts';
import type { TagEvent } from './events.ts';
import { evolveTag, initialTagState, type TagState } from './state.ts';

/** Points the tag at an image (moving it when it pointed elsewhere). */
export type AssignTag = { type: 'AssignTag'; data: { reference: string; imageId: Digest } };
/** Frees the tag if it still points at `imageId`; a no-op otherwise. */
export type ReleaseTag = { type: 'ReleaseTag'; data: { reference: string; imageId: Digest } };

export type TagCommand = AssignTag | ReleaseTag;

export function decideTag(command: TagCommand, state: TagState): TagEvent[] {
  const reference = normalizeTagReference(command.data.reference);
  const imageId = parseDigest(command.data.imageId);
  switch (command.type) {
    case 'AssignTag':
      if (state.status === 'free') return [{ type: 'TagAssigned', data: { reference, imageId } }];
      if (state.imageId === imageId) return [];
      return [{ type: 'TagAssigned', data: { reference, imageId, previousImageId: state.imageId } }];
    case 'ReleaseTag':
      if (state.status !== 'assigned' || state.imageId !== imageId) return [];
      return [{ type: 'TagReleased', data: { reference, imageId } }];
    default:
      return assertNever(command);
  }
}

export const tagDecider: Decider<TagCommand, TagEvent, TagState> = {
  decide: decideTag,
  evolve: evolveTag,
  initialState: initialTagState,
};
