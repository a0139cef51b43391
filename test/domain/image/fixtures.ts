import { chainIds, type Digest, sha256Digest } from '../../../src/domain/digest.ts';
import type { ImageConfig } from '../../../src/domain/image/config.ts';
import type { ImageCreatedData, ImageEvent } from '../../../src/domain/image/events.ts';

export const diff = (n: number): Digest => sha256Digest(`layer ${n}`);

export function configOf(diffIds: Digest[], extra: Partial<ImageConfig> = {}): string {
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created_by: `layer ${i}` })),
    ...extra,
  };
  return JSON.stringify(config, null, 2);
}

/** The ImageCreated an image of these layers gets (pulled, no repo digests unless given). */
export function created(
  diffIds: Digest[],
  over: Partial<ImageCreatedData> = {},
): { type: 'ImageCreated'; data: ImageCreatedData } & ImageEvent {
  const text = configOf(diffIds);
  return {
    type: 'ImageCreated',
    data: {
      imageId: sha256Digest(text),
      config: JSON.parse(text),
      configSize: Buffer.byteLength(text),
      diffIds,
      chainIds: chainIds(diffIds),
      history: JSON.parse(text).history,
      repoDigests: [],
      source: 'pull',
      ...over,
    },
  };
}

export const tagged = (reference: string): ImageEvent => ({ type: 'ImageTagged', data: { reference } });
export const untagged = (reference: string): ImageEvent => ({ type: 'ImageUntagged', data: { reference } });
