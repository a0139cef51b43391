import type { Digest } from '../digest.ts';
import type { ImageSource } from './events.ts';

/**
 * Records an image from its config. Pulling, importing or committing an image that is already
 * present decides nothing, except repository digests it did not have yet (ImageTagged).
 */
export type CreateImage = {
  type: 'CreateImage';
  data: {
    /** The config's exact bytes; the image id is their sha256. */
    config: Uint8Array | string;
    /** The config digest the manifest promised, checked against the bytes. */
    configDigest?: Digest;
    manifestDigest?: Digest;
    /** Digest references the image is known by (`ubuntu@sha256:...`, any accepted form). */
    repoDigests?: string[];
    parent?: Digest;
    source: ImageSource;
  };
};

/** Adds a tag to this image's stream. Use `tagImage` (operations.ts) to move a tag atomically. */
export type TagImage = { type: 'TagImage'; data: { reference: string } };

/** Removes a reference from this image (a tag moved away). No-op when the image lacks it. */
export type UntagImage = { type: 'UntagImage'; data: { reference: string } };

/** A container using the image, as the app layer found it (running: running, paused or restarting). */
export interface ImageUser {
  containerId: string;
  running: boolean;
}

/**
 * `docker rmi`. The app layer resolves the argument and gathers who else uses the image.
 * - `by: 'reference'`: the argument named a reference (`reference`, any accepted form);
 *   `by: 'id'`: it was the image id or an id prefix.
 * - `input`: the argument as typed, for messages.
 */
export type RemoveImage = {
  type: 'RemoveImage';
  data: {
    by: 'id' | 'reference';
    reference?: string;
    input: string;
    force: boolean;
    /** Containers (any state but removed) created from this image. */
    containers: ImageUser[];
    /** Images whose parent is this one (commits made from it). */
    childImageIds: Digest[];
    /** ChainIDs used by the other present images. */
    chainIdsInUse: Digest[];
  };
};

export type ImageCommand = CreateImage | TagImage | UntagImage | RemoveImage;
