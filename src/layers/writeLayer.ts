import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Digest } from '../domain/digest.ts';
import { integrityError, validationError } from '../domain/errors.ts';
import type { FsNode, LayerEntry } from '../domain/fs/node.ts';
import { compareUtf8, isNormalizedPath, parentOf } from '../domain/fs/paths.ts';
import { isReservedName, opaqueTarPath, whiteoutTarPath } from '../domain/fs/whiteout.ts';
import { encodeHeader, endOfArchive, paddingFor, type TarHeaderFields } from './tarEncoding.ts';

/** Where file contents come from (the content store), by digest. */
export type ContentSource = (
  digest: Digest,
  node: FsNode,
) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * mtime written for nodes:
 * - `preserve` (default): each node's own mtime, so the same entries always give the same tar;
 * - `{ clamp: t }`: min(mtime, t), like SOURCE_DATE_EPOCH clamping in BuildKit/containerd;
 * - `{ fixed: t }`: t for every entry.
 * Whiteout and opaque markers always carry mtime 0 (and mode 0644, uid/gid 0).
 */
export type MtimePolicy = 'preserve' | { clamp: number } | { fixed: number };

export interface WriteLayerOptions {
  getContent: ContentSource;
  compression?: 'none' | 'gzip';
  /** zlib level for gzip (default 6). */
  gzipLevel?: number;
  mtime?: MtimePolicy;
}

export interface WrittenLayer {
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** sha256 of the bytes streamed out (equals diffId when uncompressed). */
  digest: Digest;
  compression: 'none' | 'gzip';
  /** Uncompressed tar bytes. */
  size: number;
  /** Bytes streamed out. */
  compressedSize: number;
}

export interface LayerWriter {
  /** The layer blob; consume it to the end for `result` to settle. */
  stream: Readable;
  /** Digests and sizes, once `stream` has ended; rejects if writing failed. */
  result: Promise<WrittenLayer>;
}

/**
 * Writes a changeset as a deterministic tar (optionally gzip). The entries are written exactly
 * (no implicit parents are added: a directory entry would replace the lower directory's
 * attributes), in tree order: a directory, then its opaque marker, then the whiteouts in it, then
 * its children by name (UTF-8 byte order), each child directory followed by its own subtree. So
 * parents precede children and, under Docker's order-sensitive whiteouts too, a whiteout never
 * deletes an entry of its own layer. A hardlink placed before its target file by that order
 * takes the content instead and the target links to it (linksAfterTargets). Names are relative (`etc/passwd`, directories `etc/`, the
 * root `./`); long or non-ASCII names and large numbers go to PAX records; hardlinks are type 1
 * with their target as link name and no content; sockets are skipped (tar has no socket type).
 * File contents stream from `getContent` and are checked against each node's size and digest
 * (INTEGRITY on mismatch). gzip output has no name and mtime 0 in its header.
 */
export function writeLayer(entries: Iterable<LayerEntry>, options: WriteLayerOptions): LayerWriter {
  const ordered = linksAfterTargets(orderEntries([...entries]));
  const compression = options.compression ?? 'none';
  const mtimeOf = mtimeFunction(options.mtime ?? 'preserve');
  const tarHash = createHash('sha256');
  const outHash = createHash('sha256');
  let size = 0;
  let compressedSize = 0;
  let settle!: { resolve: (layer: WrittenLayer) => void; reject: (error: unknown) => void };
  const result = new Promise<WrittenLayer>((resolve, reject) => {
    settle = { resolve, reject };
  });
  result.catch(() => undefined);

  async function* tarChunks(): AsyncGenerator<Uint8Array> {
    const emit = (chunk: Uint8Array): Uint8Array => {
      tarHash.update(chunk);
      size += chunk.length;
      return chunk;
    };
    for (const entry of ordered) {
      if (entry.kind !== 'node') {
        const name = relative(
          entry.kind === 'whiteout' ? whiteoutTarPath(entry.path) : opaqueTarPath(entry.path),
        );
        for (const block of encodeHeader({
          name,
          typeflag: '0',
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: 0,
          mtime: 0,
        }))
          yield emit(block);
        continue;
      }
      const { node } = entry;
      if (node.type === 'socket') continue;
      for (const block of encodeHeader(headerFor(node, mtimeOf(node.mtime)))) yield emit(block);
      if (node.type === 'file' && node.size > 0) {
        for await (const chunk of verifiedContent(node, options.getContent)) yield emit(chunk);
        const padding = paddingFor(node.size);
        if (padding.length > 0) yield emit(padding);
      }
    }
    yield emit(endOfArchive());
  }

  async function* output(): AsyncGenerator<Uint8Array> {
    let done = false;
    try {
      const source: AsyncIterable<Uint8Array> =
        compression === 'gzip' ? gzipped(tarChunks(), options.gzipLevel ?? 6) : tarChunks();
      for await (const chunk of source) {
        outHash.update(chunk);
        compressedSize += chunk.length;
        yield chunk;
      }
      done = true;
      settle.resolve({
        diffId: `sha256:${tarHash.digest('hex')}`,
        digest: `sha256:${outHash.digest('hex')}`,
        compression,
        size,
        compressedSize,
      });
    } catch (error) {
      done = true;
      settle.reject(error);
      throw error;
    } finally {
      if (!done) settle.reject(new Error('layer stream was closed before it ended'));
    }
  }

  return { stream: Readable.from(output(), { objectMode: false }), result };
}

async function* gzipped(tarStream: AsyncIterable<Uint8Array>, level: number): AsyncGenerator<Uint8Array> {
  const gz = createGzip({ level });
  pipeline(Readable.from(tarStream, { objectMode: false }), gz, () => {});
  try {
    for await (const chunk of gz) yield chunk as Uint8Array;
  } finally {
    gz.destroy();
  }
}

async function* verifiedContent(node: FsNode, getContent: ContentSource): AsyncGenerator<Uint8Array> {
  if (node.digest === undefined)
    throw validationError(`file ${node.path} has content but no digest`, { path: node.path });
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of getContent(node.digest, node)) {
    bytes += chunk.length;
    if (bytes > node.size) break;
    hash.update(chunk);
    yield chunk;
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (bytes !== node.size || digest !== node.digest) {
    throw integrityError(
      `content for ${node.path} does not match its node (size ${node.size}, ${node.digest})`,
      {
        path: node.path,
        expected: node.digest,
        bytes,
      },
    );
  }
}

function headerFor(node: FsNode, mtime: number): TarHeaderFields {
  const base = { mode: node.mode, uid: node.uid, gid: node.gid, mtime, size: 0 };
  const name = relative(node.path);
  switch (node.type) {
    case 'file':
      if (node.size > 0 && node.digest === undefined)
        throw validationError(`file ${node.path} has no digest`, { path: node.path });
      return { ...base, name, typeflag: '0', size: node.size };
    case 'dir':
      return { ...base, name: node.path === '/' ? './' : `${name}/`, typeflag: '5' };
    case 'symlink':
      if (!node.linkTarget) throw validationError(`symlink ${node.path} has no target`, { path: node.path });
      return { ...base, name, typeflag: '2', linkname: node.linkTarget };
    case 'hardlink':
      if (node.linkTarget === undefined || !isNormalizedPath(node.linkTarget) || node.linkTarget === '/') {
        throw validationError(
          `hardlink ${node.path} has an invalid target ${JSON.stringify(node.linkTarget)}`,
          { path: node.path },
        );
      }
      return { ...base, name, typeflag: '1', linkname: relative(node.linkTarget) };
    case 'char':
    case 'block':
      return {
        ...base,
        name,
        typeflag: node.type === 'char' ? '3' : '4',
        devMajor: node.devMajor ?? 0,
        devMinor: node.devMinor ?? 0,
      };
    case 'fifo':
      return { ...base, name, typeflag: '6' };
    case 'socket':
      throw new Error('internal: sockets are skipped');
  }
}

const relative = (path: string): string => path.slice(1);

function mtimeFunction(policy: MtimePolicy): (mtime: number) => number {
  if (policy === 'preserve') return (m) => m;
  if ('clamp' in policy) return (m) => Math.min(m, policy.clamp);
  return () => policy.fixed;
}

type SortKey = Array<{ rank: number; name: string }>;

/** Validates the entries (normalised, unique, no reserved names) and puts them in tree order. */
export function orderEntries(entries: LayerEntry[]): LayerEntry[] {
  const keyed = entries.map((entry) => {
    const path = entry.kind === 'node' ? entry.node.path : entry.path;
    if (!isNormalizedPath(path))
      throw validationError(`layer entry path is not normalised: ${JSON.stringify(path)}`, { path });
    if (path.split('/').some(isReservedName))
      throw validationError(`layer entry path uses the reserved whiteout prefix: ${path}`, { path });
    if (entry.kind === 'node' && path === '/' && entry.node.type !== 'dir')
      throw validationError('the root can only be a directory');
    if (entry.kind === 'whiteout' && path === '/') throw validationError('the root cannot be whited out');
    return { entry, key: sortKey(entry), id: `${entry.kind === 'node' ? 'node' : entry.kind}:${path}` };
  });
  const ids = new Set<string>();
  for (const { id } of keyed) {
    if (ids.has(id)) throw validationError(`duplicate layer entry ${id}`, { entry: id });
    ids.add(id);
  }
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  return keyed.map((k) => k.entry);
}

/**
 * A tar reader resolves a hardlink against what it has already read, so a link must come after its
 * target. When tree order puts links before their target file (`/a` → `/z`), the group's first path
 * in tree order carries the content and every other one, the old target included, links to it:
 * the same inode, the same merged view (Docker's writer does the same: first path seen is the file).
 */
function linksAfterTargets(ordered: LayerEntry[]): LayerEntry[] {
  const position = new Map<string, number>();
  for (const [i, entry] of ordered.entries()) if (entry.kind === 'node') position.set(entry.node.path, i);
  const earlyLinks = new Map<number, number[]>();
  for (const [i, entry] of ordered.entries()) {
    if (entry.kind !== 'node' || entry.node.type !== 'hardlink') continue;
    const target = position.get(entry.node.linkTarget ?? '');
    const targetEntry = target === undefined ? undefined : ordered[target];
    if (
      target === undefined ||
      target < i ||
      targetEntry?.kind !== 'node' ||
      targetEntry.node.type !== 'file'
    )
      continue;
    earlyLinks.set(target, [...(earlyLinks.get(target) ?? []), i]);
  }
  if (earlyLinks.size === 0) return ordered;
  const result = [...ordered];
  for (const [target, links] of earlyLinks) {
    const file = (ordered[target] as { kind: 'node'; node: FsNode }).node;
    const first = Math.min(...links);
    const firstPath = (ordered[first] as { kind: 'node'; node: FsNode }).node.path;
    result[first] = { kind: 'node', node: { ...file, path: firstPath } };
    result[target] = { kind: 'node', node: { ...file, type: 'hardlink', linkTarget: firstPath } };
    for (const [i, entry] of ordered.entries()) {
      if (
        i === first ||
        entry.kind !== 'node' ||
        entry.node.type !== 'hardlink' ||
        entry.node.linkTarget !== file.path
      )
        continue;
      result[i] = { kind: 'node', node: { ...entry.node, linkTarget: firstPath } };
    }
  }
  return result;
}

const segmentsOf = (path: string): string[] => (path === '/' ? [] : path.slice(1).split('/'));

function sortKey(entry: LayerEntry): SortKey {
  if (entry.kind === 'node') return segmentsOf(entry.node.path).map((name) => ({ rank: 2, name }));
  if (entry.kind === 'opaque')
    return [...segmentsOf(entry.path).map((name) => ({ rank: 2, name })), { rank: 0, name: '' }];
  const parent = segmentsOf(parentOf(entry.path)).map((name) => ({ rank: 2, name }));
  return [...parent, { rank: 1, name: entry.path.slice(entry.path.lastIndexOf('/') + 1) }];
}

function compareKeys(a: SortKey, b: SortKey): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.rank !== y.rank) return x.rank - y.rank;
    const c = compareUtf8(x.name, y.name);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
