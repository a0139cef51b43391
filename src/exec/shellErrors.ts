import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FsError } from './fsErrors.ts';

/** What bash prints for each errno (strerror). */
const strerror: Record<FsError['code'], string> = {
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ENOTEMPTY: 'Directory not empty',
  EINVAL: 'Invalid argument',
  ELOOP: 'Too many levels of symbolic links',
  EPERM: 'Operation not permitted',
  EBUSY: 'Device or resource busy',
  EROFS: 'Read-only file system',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
};

type ShellErrorClass = new (pattern: string, stdout?: string, stderr?: string) => Error;

/**
 * just-bash lets a failing redirection (`echo x > /no/such/dir/f`) escape as an exception that ends
 * the whole exec: its own InMemoryFs never fails there (it creates missing directories instead).
 * The one error class its interpreter turns into a plain failed command (stderr, status 1, the
 * list goes on) is its GlobError, which the package does not export; it is found once in the
 * bundle's chunks (same module instance, so `instanceof` holds). Without it, runCommand still
 * reports the failure, but the rest of the command line does not run.
 */
let shellErrorClass: Promise<ShellErrorClass | null> | undefined;

async function findShellErrorClass(): Promise<ShellErrorClass | null> {
  try {
    const chunks = join(dirname(createRequire(import.meta.url).resolve('just-bash')), 'chunks');
    for (const file of readdirSync(chunks)) {
      const path = join(chunks, file);
      if (!file.startsWith('chunk-') || !file.endsWith('.js') || statSync(path).size > 256 * 1024) continue;
      if (!readFileSync(path, 'utf8').includes('"GlobError"')) continue;
      const exports: Record<string, unknown> = await import(pathToFileURL(path).href);
      for (const candidate of Object.values(exports)) {
        if (typeof candidate !== 'function') continue;
        try {
          const probe = new (candidate as ShellErrorClass)('probe', '', 'probe');
          if (probe.name === 'GlobError' && (probe as { stderr?: string }).stderr === 'probe') {
            return candidate as ShellErrorClass;
          }
        } catch {
          // not a constructor of that shape
        }
      }
    }
  } catch {
    // layout changed: fall back to plain errors
  }
  return null;
}

export const loadShellErrorClass = (): Promise<ShellErrorClass | null> =>
  (shellErrorClass ??= findShellErrorClass());

/** The stderr line bash prints when it cannot open `path` for a redirection. */
export const redirectionMessage = (path: string, error: FsError): string =>
  `bash: ${path}: ${strerror[error.code]}\n`;

/**
 * The error to throw from the interpreter side for a failed redirection: a command failure
 * (status 1, `bash: <path>: <reason>`) when just-bash's class was found, else `error` itself.
 */
export function redirectionError(errorClass: ShellErrorClass | null, path: string, error: FsError): Error {
  if (!errorClass) return error;
  return new errorClass(path, '', redirectionMessage(path, error));
}
