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
type LimitErrorClass = new (message: string, limitType: string, stdout?: string, stderr?: string) => Error;

export interface ShellErrorClasses {
  /** just-bash's GlobError: the interpreter turns it into a failed command and goes on. */
  failCommand: ShellErrorClass | null;
  /** just-bash's ExecutionLimitError: the interpreter stops, keeping the output so far. */
  stop: LimitErrorClass | null;
}

/**
 * just-bash lets a failing redirection (`echo x > /no/such/dir/f`) escape as an exception that ends
 * the whole exec: its own InMemoryFs never fails there (it creates missing directories instead).
 * The one error class its interpreter turns into a plain failed command (stderr, status 1, the
 * list goes on) is its GlobError; the one that stops a script while keeping its output is its
 * ExecutionLimitError. The package exports neither: they are found once in the bundle's chunks
 * (the same module instance, so `instanceof` holds). Without them exec still works: a failed
 * redirection then ends the command line, and a Strata limit loses the output before it.
 */
let shellErrorClasses: Promise<ShellErrorClasses> | undefined;

async function findShellErrorClasses(): Promise<ShellErrorClasses> {
  const found: ShellErrorClasses = { failCommand: null, stop: null };
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
          const glob = new (candidate as ShellErrorClass)('probe', '', 'probe');
          if (glob.name === 'GlobError' && (glob as { stderr?: string }).stderr === 'probe') {
            found.failCommand = candidate as ShellErrorClass;
          }
          const limit = new (candidate as LimitErrorClass)('probe', 'probe', '', 'probe');
          if (limit.name === 'ExecutionLimitError' && (limit as { stderr?: string }).stderr === 'probe') {
            found.stop = candidate as LimitErrorClass;
          }
        } catch {
          // not a constructor of that shape
        }
      }
      if (found.failCommand && found.stop) break;
    }
  } catch {
    // layout changed: fall back to plain errors
  }
  return found;
}

export const loadShellErrorClasses = (): Promise<ShellErrorClasses> =>
  (shellErrorClasses ??= findShellErrorClasses());

/** The stderr line bash prints when it cannot open `path` for a redirection. */
export const redirectionMessage = (path: string, error: FsError): string =>
  `bash: ${path}: ${strerror[error.code]}\n`;

/**
 * The error to throw from the interpreter side for a failed redirection: a command failure
 * (status 1, `bash: <path>: <reason>`) when just-bash's class was found, else `error` itself.
 */
export function redirectionError(classes: ShellErrorClasses, path: string, error: FsError): Error {
  if (!classes.failCommand) return error;
  return new classes.failCommand(path, '', redirectionMessage(path, error));
}

/** The error that stops the whole command line with `stderr` as its last words, or null. */
export function stopError(classes: ShellErrorClasses, stderr: string): Error | null {
  return classes.stop ? new classes.stop(stderr.trim(), 'strata', '', stderr) : null;
}
