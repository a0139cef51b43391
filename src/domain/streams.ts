import type { Digest } from './digest.ts';
import { parseContainerId } from './names.ts';

/**
 * Stream names. One stream per aggregate instance, plus two registries that make names unique
 * under concurrency (a writer that claims a name appends to the name's stream with an expected
 * version, so two claims of one name cannot both commit):
 * - `layer-<diffId hex>`            one layer, stored once per DiffID
 * - `image-<image id hex>`          one image (image id = config digest)
 * - `container-<64 hex>`            one container: lifecycle and writable layer
 * - `tag-<normalised reference>`    which image a tag points to
 * - `container-name-<name>`         which container holds a name
 * Container ids are 64 hex characters, so `container-<id>` never collides with
 * `container-name-<name>`; a subscriber filtering by prefix must still tell them apart.
 */
export const streamPrefixes = {
  layer: 'layer-',
  image: 'image-',
  container: 'container-',
  tag: 'tag-',
  containerName: 'container-name-',
} as const;

const hexOf = (digest: Digest): string => digest.slice('sha256:'.length);

export const layerStream = (diffId: Digest): string => `${streamPrefixes.layer}${hexOf(diffId)}`;

export const imageStream = (imageId: Digest): string => `${streamPrefixes.image}${hexOf(imageId)}`;

export const containerStream = (containerId: string): string =>
  `${streamPrefixes.container}${parseContainerId(containerId)}`;

/** `reference` must already be normalised (see image/reference.ts normalizeReference). */
export const tagStream = (reference: string): string => `${streamPrefixes.tag}${reference}`;

/** `name` without the leading slash Docker keeps internally. */
export const containerNameStream = (name: string): string => `${streamPrefixes.containerName}${name}`;

/** Events a decision appends to one stream. A decision spanning streams is appended atomically. */
export interface StreamEvents<Event> {
  stream: string;
  events: Event[];
}

/**
 * Concatenates decisions stream by stream, keeping the order of first appearance and of the
 * events inside each stream, and dropping streams left without events.
 */
export function mergeStreamEvents<Event>(
  ...decisions: readonly (readonly StreamEvents<Event>[])[]
): StreamEvents<Event>[] {
  const byStream = new Map<string, Event[]>();
  for (const decision of decisions) {
    for (const { stream, events } of decision) {
      const list = byStream.get(stream) ?? [];
      list.push(...events);
      byStream.set(stream, list);
    }
  }
  return [...byStream]
    .filter(([, events]) => events.length > 0)
    .map(([stream, events]) => ({ stream, events }));
}
