import { familiarReference, parseReference } from '../domain/image/reference.ts';
import { openLocalImage } from '../oci/layout/openLocal.ts';
import type { Platform } from '../oci/types.ts';
import { type AppContext, commandMetadata } from './context.ts';
import { importImage, type LayerProgress, type PullReport } from './importImage.ts';
import type { CommandMetadata } from './ports.ts';

export interface ImportLocalOptions {
  /** Which image of the layout/archive: its tag (`org.opencontainers.image.ref.name`, or a RepoTag). Optional when it holds one. */
  ref?: string;
  /** Tag to give the image (default: the archive's first RepoTag, or a layout ref.name that is a full reference). */
  tag?: string;
  platform?: string | Platform;
  onProgress?: (progress: LayerProgress) => void;
}

/**
 * `docker load`: imports an image from an OCI layout directory, a `docker save` tar or an OCI
 * archive, in one append like a pull. The layer blobs are kept as the archive holds them.
 * A layout's ref.name that is only a tag (`latest`, `v1`) names no repository, so the image is
 * loaded untagged then (as Docker does), unless `tag` is given.
 */
export async function importLocalImage(
  app: AppContext,
  path: string,
  options: ImportLocalOptions = {},
  metadata: CommandMetadata = commandMetadata({ command: `load ${path}` }),
): Promise<PullReport & { lines: string[] }> {
  const opened = await openLocalImage(path, {
    ...(options.ref !== undefined ? { ref: options.ref } : {}),
    ...(options.platform !== undefined ? { platform: options.platform } : {}),
  });
  const source = { ...opened, tags: opened.tags.filter(namesRepository) };
  const report = await importImage(
    app,
    source,
    {
      ...(options.tag !== undefined ? { tag: options.tag } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
    metadata,
  );
  const line =
    report.reference === report.imageId
      ? `Loaded image ID: ${report.imageId}`
      : `Loaded image: ${familiarReference(report.reference)}`;
  return { ...report, lines: [line] };
}

/** `busybox:latest` or `registry:5000/app:v1` names a repository; a bare `latest` does not. */
function namesRepository(tag: string): boolean {
  if (!tag.includes(':') && !tag.includes('/')) return false;
  try {
    return parseReference(tag).tag !== undefined;
  } catch {
    return false;
  }
}
