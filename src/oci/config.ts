import { type Digest, isDigest } from '../domain/digest.ts';
import { validationError } from '../domain/errors.ts';
import type { ImageConfig } from './types.ts';

/** Upper bound on an image config blob; real configs are a few KiB, long histories a few hundred. */
export const maxConfigBytes = 8 * 1024 * 1024;

/**
 * Parses and validates an image config: rootfs.type must be "layers", diff_ids valid digests (one per
 * manifest layer when `layerCount` is given), and the non-empty history entries must match diff_ids.
 */
export function parseImageConfig(
  bytes: Uint8Array,
  options: { layerCount?: number; what?: string } = {},
): ImageConfig {
  const what = options.what ?? 'image config';
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw validationError(`${what} is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw validationError(`${what} is not a JSON object`);
  const config = json as Record<string, unknown>;
  const rootfs = config.rootfs as Record<string, unknown> | undefined;
  if (typeof rootfs !== 'object' || rootfs === null) throw validationError(`${what} has no rootfs`);
  if (rootfs.type !== 'layers')
    throw validationError(`${what}: rootfs.type must be "layers", got ${JSON.stringify(rootfs.type)}`);
  const diffIds = rootfs.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d): d is Digest => typeof d === 'string' && isDigest(d))) {
    throw validationError(`${what}: rootfs.diff_ids must be sha256 digests`);
  }
  if (options.layerCount !== undefined && diffIds.length !== options.layerCount) {
    throw validationError(
      `${what} lists ${diffIds.length} diff_ids but the manifest has ${options.layerCount} layers`,
    );
  }
  if (typeof config.architecture !== 'string' || typeof config.os !== 'string') {
    throw validationError(`${what} needs architecture and os`);
  }
  if (config.history !== undefined) {
    if (!Array.isArray(config.history) || !config.history.every((h) => typeof h === 'object' && h !== null)) {
      throw validationError(`${what}: history must be an array of objects`);
    }
    const nonEmpty = config.history.filter((h: { empty_layer?: unknown }) => h.empty_layer !== true).length;
    if (config.history.length > 0 && nonEmpty !== diffIds.length) {
      throw validationError(
        `${what} has ${nonEmpty} non-empty history entries for ${diffIds.length} diff_ids`,
      );
    }
  }
  return config as unknown as ImageConfig;
}
