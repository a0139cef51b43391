import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { notFoundError, validationError } from '../../domain/errors.ts';
import { readAllBounded } from '../verifyStream.ts';

/**
 * Read access to the files of an image layout or archive: a directory on disk, or the entries of a tar
 * read in place (see tarSource.ts). Paths are relative POSIX paths inside it.
 */
export interface FileSource {
  readonly description: string;
  /** The size of a regular file, or null when there is none at `path`. */
  size(path: string): Promise<number | null>;
  /** The whole file, failing when it is larger than `limit` bytes. */
  read(path: string, limit: number): Promise<Uint8Array>;
  /** Streams the file (never buffered whole). */
  open(path: string, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/** `a/./b` → `a/b`; refuses absolute paths, `..` and NUL: a layout path never leaves its root. */
export function safeRelativePath(path: string): string {
  if (path.includes('\0')) throw validationError('path contains NUL');
  const normalised = posix.normalize(path.replace(/^\.\//, ''));
  if (posix.isAbsolute(path) || normalised === '..' || normalised.startsWith('../') || normalised === '.') {
    throw validationError(`path "${path}" is outside the layout`);
  }
  return normalised.replace(/\/$/, '');
}

export class DirectorySource implements FileSource {
  constructor(readonly root: string) {}

  get description() {
    return this.root;
  }

  async size(path: string): Promise<number | null> {
    const full = join(this.root, safeRelativePath(path));
    try {
      const stat = await lstat(full);
      return stat.isFile() ? stat.size : null;
    } catch {
      return null;
    }
  }

  async read(path: string, limit: number): Promise<Uint8Array> {
    return readAllBounded(this.open(path), limit, path);
  }

  /** Opened with O_NOFOLLOW and checked to be a regular file: a symlinked blob is refused, not followed. */
  async *open(path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
    const relative = safeRelativePath(path);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(join(this.root, relative), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw notFoundError(`${relative} not found in ${this.root}`, { path: relative });
      if (code === 'ELOOP')
        throw validationError(`${relative} in ${this.root} is a symbolic link`, { path: relative });
      throw error;
    }
    try {
      if (!(await handle.stat()).isFile())
        throw validationError(`${relative} in ${this.root} is not a regular file`);
      const stream = handle.createReadStream({
        autoClose: false,
        highWaterMark: 256 * 1024,
        ...(signal ? { signal } : {}),
      });
      for await (const chunk of stream) yield chunk as Buffer;
    } finally {
      await handle.close();
    }
  }
}
