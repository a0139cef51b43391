import { validationError } from '../errors.ts';
import { baseName, joinPath, parentOf } from './paths.ts';

/** Prefix of a whiteout file: `.wh.<name>` deletes `<name>` from lower layers (image-spec layer.md). */
export const WHITEOUT_PREFIX = '.wh.';
/** `.wh..wh.` prefixes AUFS metadata (`.wh..wh.plnk`, `.wh..wh.aufs`) and the opaque marker. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';
/** `<dir>/.wh..wh..opq` hides everything lower layers hold below `<dir>`. */
export const OPAQUE_MARKER = '.wh..wh..opq';

/** What a normalised tar path means once whiteout names are taken into account. */
export type TarPathMeaning =
  | { kind: 'path'; path: string }
  | { kind: 'whiteout'; path: string }
  | { kind: 'opaque'; path: string }
  | { kind: 'meta'; path: string };

/**
 * Classifies a normalised tar path (`/a/.wh.b` → whiteout of `/a/b`). Only the last segment is
 * looked at, as moby and containerd do. `.wh.`, `.wh..` and `.wh...` (a whiteout of nothing, of
 * the parent itself or of the grandparent) are rejected, as containerd rejects them.
 */
export function classifyTarPath(path: string): TarPathMeaning {
  const base = baseName(path);
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'path', path };
  const dir = parentOf(path);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', path: dir };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta', path };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') {
    throw validationError(`invalid whiteout entry "${path}"`, { path });
  }
  return { kind: 'whiteout', path: joinPath(dir, name) };
}

/** True when a path segment is reserved for whiteout markers and may not name a real file. */
export const isReservedName = (segment: string): boolean => segment.startsWith(WHITEOUT_PREFIX);

/** `/a/b` → `/a/.wh.b`: the tar path that whites out `path`. */
export function whiteoutTarPath(path: string): string {
  if (path === '/') throw validationError('the root cannot be whited out');
  return joinPath(parentOf(path), `${WHITEOUT_PREFIX}${baseName(path)}`);
}

/** `/a` → `/a/.wh..wh..opq`: the tar path that makes `dir` opaque. */
export const opaqueTarPath = (dir: string): string => joinPath(dir, OPAQUE_MARKER);
