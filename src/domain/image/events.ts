import type { Digest } from '../digest.ts';
import type { HistoryEntry, ImageConfig } from './config.ts';

export type ImageSource = 'pull' | 'import' | 'commit';

/**
 * Stream `image-<image id hex>`. The image id is the config digest. The config's exact bytes live
 * in the content store under that digest (export and push reproduce them byte for byte); the event
 * carries the parsed config too, so read models need no content-store read.
 */
export interface ImageCreatedData {
  imageId: Digest;
  /** The parsed config (exact bytes: content store, key `imageId`). */
  config: ImageConfig;
  /** Bytes of the config as stored. */
  configSize: number;
  /** Base first. */
  diffIds: Digest[];
  /** ChainIDs, base first: chainIds[i] identifies the stack diffIds[0..i]. */
  chainIds: Digest[];
  /** The config's history, oldest first (empty when the config has none). */
  history: HistoryEntry[];
  /** Digest of the manifest it was pulled or imported with, when there was one. */
  manifestDigest?: Digest;
  /** Normalised digest references (`docker.io/library/ubuntu@sha256:...`). */
  repoDigests: string[];
  /** The image a commit was made from. */
  parent?: Digest;
  source: ImageSource;
}

export type ImageCreated = { type: 'ImageCreated'; data: ImageCreatedData };
/** A normalised reference (tag, or a digest reference) now names the image. */
export type ImageTagged = { type: 'ImageTagged'; data: { reference: string } };
/** A reference no longer names the image (untagged, or moved to another image). */
export type ImageUntagged = { type: 'ImageUntagged'; data: { reference: string } };
/**
 * The image is gone. `freedChainIds` lists the layer stacks no other image or container still
 * uses, topmost first (the order `docker rmi` prints its `Deleted: sha256:...` lines).
 */
export type ImageDeleted = { type: 'ImageDeleted'; data: { freedChainIds: Digest[] } };

export type ImageEvent = ImageCreated | ImageTagged | ImageUntagged | ImageDeleted;

export const imageEventSchemaVersions: Record<ImageEvent['type'], number> = {
  ImageCreated: 1,
  ImageTagged: 1,
  ImageUntagged: 1,
  ImageDeleted: 1,
};
