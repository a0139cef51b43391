import { validationError } from '../errors.ts';

/**
 * Normalises a path inside a container or layer root: always absolute, no trailing slash, no
 * empty, `.` or `..` segments. `..` never climbs above the root (as a chroot would resolve it),
 * so `"../../etc"` becomes `"/etc"`. Use `normalizeStrictPath` where climbing above the root must
 * be rejected instead (tar entries).
 */
export function normalizePath(path: string): string {
  return `/${resolveSegments(path, false).join('/')}`;
}

/** Like normalizePath, but a `..` that would climb above the root is a validation error. */
export function normalizeStrictPath(path: string): string {
  return `/${resolveSegments(path, true).join('/')}`;
}

function resolveSegments(path: string, strict: boolean): string[] {
  if (path.includes('\0')) throw validationError(`path contains a NUL byte: ${JSON.stringify(path)}`);
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0 && strict) throw validationError(`path escapes the root: ${path}`, { path });
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return segments;
}

/** The parent of a normalised path; the root is its own parent. */
export const parentOf = (path: string): string => {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
};

/** The last segment of a normalised path ("" for the root). */
export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** `/a/b/c` → [`/`, `/a`, `/a/b`]: every proper ancestor, root first. */
export function ancestorsOf(path: string): string[] {
  if (path === '/') return [];
  const result = ['/'];
  let cut = path.indexOf('/', 1);
  while (cut !== -1) {
    result.push(path.slice(0, cut));
    cut = path.indexOf('/', cut + 1);
  }
  return result;
}

export const joinPath = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** True when `path` is `dir` itself or lies below it. */
export const isWithin = (path: string, dir: string): boolean =>
  dir === '/' || path === dir || path.startsWith(`${dir}/`);

/**
 * Compares two normalised paths in "path order": parents before children, siblings by name
 * (byte order of segments), so `/a`, `/a/b`, `/a.txt` sort as a tree walk would list them.
 */
export function comparePaths(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  const n = Math.min(as.length, bs.length);
  for (let i = 0; i < n; i++) {
    const x = as[i]!;
    const y = bs[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return as.length - bs.length;
}

/** Alias of baseName under the name the layer code uses. */
export const basename = baseName;

/** True when `path` is already in normal form (as normalizeStrictPath would return it). */
export function isNormalizedPath(path: string): boolean {
  if (path === '/') return true;
  if (!path.startsWith('/') || path.endsWith('/') || path.includes('\0')) return false;
  for (const segment of path.slice(1).split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return false;
  }
  return true;
}

/**
 * Like comparePaths, but segments compare by their UTF-8 bytes (JavaScript's `<` compares UTF-16
 * code units, which orders some non-BMP names differently). Used where the order is part of a
 * digest (the deterministic tar writer).
 */
export function comparePathsBytewise(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  const n = Math.min(as.length, bs.length);
  for (let i = 0; i < n; i++) {
    const c = compareUtf8(as[i]!, bs[i]!);
    if (c !== 0) return c;
  }
  return as.length - bs.length;
}

const encoder = new TextEncoder();

export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}
