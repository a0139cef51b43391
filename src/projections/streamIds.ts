import type { Digest } from '../domain/digest.ts';
import { streamPrefixes } from '../domain/streams.ts';

/** The aggregate id a stream name carries (inverse of src/domain/streams.ts). */
export const imageIdOfStream = (stream: string): Digest =>
  `sha256:${stream.slice(streamPrefixes.image.length)}` as Digest;
export const containerIdOfStream = (stream: string): string => stream.slice(streamPrefixes.container.length);
