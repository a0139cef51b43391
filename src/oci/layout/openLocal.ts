import { stat } from 'node:fs/promises';
import { notFoundError } from '../../domain/errors.ts';
import type { ImageSource, Platform } from '../types.ts';
import { openDockerArchive } from './dockerArchive.ts';
import { openOciLayout } from './ociLayout.ts';
import { TarSource } from './tarSource.ts';

export interface OpenLocalImageOptions {
  /** Tag / ref name inside the layout or archive; optional when it holds one image. */
  ref?: string;
  platform?: string | Platform;
  allowForeignLayers?: boolean;
}

/**
 * Opens an image from a local path, whatever its form: an OCI layout directory, a `docker save` tar
 * (manifest.json), or an OCI layout packed in a tar (`oci-archive`).
 */
export async function openLocalImage(
  path: string,
  options: OpenLocalImageOptions = {},
): Promise<ImageSource> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw notFoundError(`${path} does not exist`, { path });
  }
  const common = {
    ...(options.platform !== undefined ? { platform: options.platform } : {}),
    ...(options.allowForeignLayers ? { allowForeignLayers: true } : {}),
  };
  if (info.isDirectory())
    return openOciLayout(path, { ...common, ...(options.ref !== undefined ? { ref: options.ref } : {}) });
  const files = await TarSource.open(path);
  if ((await files.size('manifest.json')) !== null) {
    return openDockerArchive(files, {
      ...common,
      ...(options.ref !== undefined ? { tag: options.ref } : {}),
    });
  }
  return openOciLayout(files, { ...common, ...(options.ref !== undefined ? { ref: options.ref } : {}) });
}
