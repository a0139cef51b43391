import { validationError } from '../errors.ts';
import type { FsNode } from './node.ts';

export type NodeLookup = ((path: string) => FsNode | undefined) | ReadonlyMap<string, FsNode>;

export interface ResolvePathOptions {
  /** Follow a symlink in the last segment too (stat rather than lstat). Default true. */
  followFinal?: boolean;
  /** Symlinks followed before giving up with ELOOP (Linux allows 40). */
  maxSymlinks?: number;
}

export interface ResolvedPath {
  /** The normalised path inside the root that `path` designates. */
  path: string;
  /** The node there, if any. */
  node: FsNode | undefined;
}

/**
 * Resolves `path` inside the root of a merged view the way the kernel would inside a chroot (and
 * like securejoin): symlinks are followed, absolute targets restart from the root, `..` never
 * climbs above the root, so the result is always inside it. Missing components resolve lexically.
 * A non-directory in the middle of the path is not descended into: the rest resolves lexically
 * and `node` comes back undefined. Hardlinks are leaves, not followed. More than `maxSymlinks`
 * symlinks → VALIDATION error with errno ELOOP.
 */
export function resolvePath(
  lookup: NodeLookup,
  path: string,
  options: ResolvePathOptions = {},
): ResolvedPath {
  const get = typeof lookup === 'function' ? lookup : (p: string) => lookup.get(p);
  const followFinal = options.followFinal ?? true;
  const maxSymlinks = options.maxSymlinks ?? 40;
  if (path.includes('\0')) throw validationError(`path contains a NUL byte: ${JSON.stringify(path)}`);

  const resolved: string[] = [];
  const pending = path.split('/').reverse();
  let followed = 0;
  while (pending.length > 0) {
    const segment = pending.pop()!;
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      resolved.pop();
      continue;
    }
    const candidate = `/${[...resolved, segment].join('/')}`;
    const node = get(candidate);
    const isLast = pending.every((s) => s === '' || s === '.');
    if (node?.type === 'symlink' && (!isLast || followFinal)) {
      followed++;
      if (followed > maxSymlinks) {
        throw validationError(`too many levels of symbolic links resolving ${path}`, {
          path,
          errno: 'ELOOP',
        });
      }
      const target = node.linkTarget ?? '';
      if (target.startsWith('/')) resolved.length = 0;
      for (const s of target.split('/').reverse()) pending.push(s);
      continue;
    }
    if (node !== undefined && node.type !== 'dir' && !isLast) {
      throw validationError(`not a directory: ${candidate} (resolving ${path})`, { path, errno: 'ENOTDIR' });
    }
    resolved.push(segment);
  }
  const result = `/${resolved.join('/')}`;
  return { path: result, node: get(result) };
}
