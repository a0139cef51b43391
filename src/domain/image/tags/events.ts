import type { Digest } from '../../digest.ts';

/**
 * Stream `tag-<normalised reference>`: the registry that makes a tag point to one image at a time.
 * Moving a tag appends here (with the expected version) and, in the same transaction, untags the
 * old image and tags the new one in their own streams.
 */
export type TagAssigned = {
  type: 'TagAssigned';
  data: { reference: string; imageId: Digest; previousImageId?: Digest };
};
export type TagReleased = { type: 'TagReleased'; data: { reference: string; imageId: Digest } };

export type TagEvent = TagAssigned | TagReleased;

export const tagEventSchemaVersions: Record<TagEvent['type'], number> = {
  TagAssigned: 1,
  TagReleased: 1,
};
