/**
 * Filesystem errors in the shape just-bash's commands understand: Node-style
 * `CODE: description, syscall 'path'` messages (as its InMemoryFs throws them) with `code` set, so
 * `cat` prints "No such file or directory", `mkdir` "File exists" and so on.
 */
export type FsErrorCode =
  | 'ENOENT'
  | 'EEXIST'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ENOTEMPTY'
  | 'EINVAL'
  | 'ELOOP'
  | 'EPERM'
  | 'EBUSY'
  | 'EROFS'
  | 'EFBIG'
  | 'ENOSPC';

const descriptions: Record<FsErrorCode, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  ENOTEMPTY: 'directory not empty',
  EINVAL: 'invalid argument',
  ELOOP: 'too many levels of symbolic links',
  EPERM: 'operation not permitted',
  EBUSY: 'resource busy or locked',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  ENOSPC: 'no space left on device',
};

/**
 * Codes just-bash's InMemoryFs never raises: its commands print an unrecognised message as it is,
 * so these carry bash's wording alone ("mkdir: cannot create directory '/proc/x': Read-only file
 * system").
 */
const plainMessages: Partial<Record<FsErrorCode, string>> = {
  EROFS: 'Read-only file system',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  EBUSY: 'Device or resource busy',
};

export class FsError extends Error {
  constructor(
    readonly code: FsErrorCode,
    readonly syscall: string,
    readonly path: string,
    description: string = descriptions[code],
  ) {
    super(plainMessages[code] ?? `${code}: ${description}, ${syscall} '${path}'`);
    this.name = 'FsError';
  }
}

export const fsError = (code: FsErrorCode, syscall: string, path: string, description?: string) =>
  new FsError(code, syscall, path, description);

export const isFsError = (error: unknown, code?: FsErrorCode): error is FsError =>
  error instanceof FsError && (code === undefined || error.code === code);
