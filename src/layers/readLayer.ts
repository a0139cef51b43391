import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { type Digest, parseDigest } from '../domain/digest.ts';
import { integrityError, StrataError, validationError } from '../domain/errors.ts';
import type { FsNode, LayerEntry } from '../domain/fs/node.ts';
import { ancestorsOf, normalizeStrictPath } from '../domain/fs/paths.ts';
import { MutableTree } from '../domain/fs/tree.ts';
import { ensureDirectory, ensureWhiteoutParent, putNode } from '../domain/fs/union.ts';
import { classifyTarPath, isReservedName, WHITEOUT_META_PREFIX } from '../domain/fs/whiteout.ts';
import { type LayerCompression, openLayerBlob } from './layerBlob.ts';
import { type LayerLimits, resolveLimits } from './limits.ts';

/**
 * Receives each regular file's content while the layer streams by (the content store). It must
 * consume `content` (or give up on it; the reader drains the rest). `node.digest` and `node.size`
 * are the reader's: `node.size` is known up front, `node.digest` is set by the time `content` has
 * ended. If the read fails later, files already handed over are orphans the caller may collect.
 */
export type FileSink = (node: FsNode, content: AsyncIterable<Uint8Array>) => Promise<void>;

/**
 * Hardlinks whose target is not earlier in the same tar:
 * - `allow-lower` (default): accepted with an EXTERNAL_HARDLINK warning and left unresolved (size 0,
 *   no digest); applying the layer resolves them against the lower layers and fails if the target
 *   is missing there. Docker applies such links against the lower layers too.
 * - `same-layer`: rejected (VALIDATION).
 */
export type HardlinkPolicy = 'allow-lower' | 'same-layer';

export interface ReadLayerOptions {
  onFile?: FileSink;
  /** What the manifest and config promise: blob digest and size, DiffID. Mismatch → INTEGRITY. */
  expected?: { digest?: string; size?: number; diffId?: string };
  limits?: Partial<LayerLimits>;
  hardlinks?: HardlinkPolicy;
  /** The source verifies itself against `expected.digest` and `expected.size` (see OpenBlobOptions). */
  verifiedSource?: boolean;
}

export type LayerWarningCode =
  | 'DUPLICATE_ENTRY'
  | 'EXTERNAL_HARDLINK'
  | 'IGNORED_ENTRY'
  | 'IGNORED_METADATA'
  | 'WHITEOUT_WITH_CONTENT'
  | 'NO_END_OF_ARCHIVE';

export interface LayerWarning {
  code: LayerWarningCode;
  message: string;
  path?: string;
}

export interface ReadLayerResult {
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** sha256 of the blob as read. */
  digest: Digest;
  compression: LayerCompression;
  compressedSize: number;
  /** Uncompressed tar bytes. */
  size: number;
  /**
   * Tar order, paths normalised (absolute, no `.`/`..`/trailing slash). Duplicates are kept in
   * place (applying in order makes the last one win); implicit parent directories are NOT added:
   * they are a property of the merged view (see domain/fs/union.ts).
   */
  entries: LayerEntry[];
  warnings: LayerWarning[];
}

type TarHeader = Omit<tar.Header, 'type' | 'pax'> & {
  type: tar.Header['type'] | null;
  pax?: Record<string, string> | null;
  byteOffset?: number;
};
type TarEntry = AsyncIterable<Uint8Array> & { header: TarHeader };

const SUPPORTED_TYPES = new Set([
  'file',
  'contiguous-file',
  'directory',
  'symlink',
  'link',
  'character-device',
  'block-device',
  'fifo',
]);

/**
 * Streams one layer blob (gzip, zstd or plain tar, told apart by magic bytes): checks it against
 * the safety rules and limits, hands every regular file's content to `onFile`, and returns the
 * normalised changeset with both digests. Never holds a whole file or layer in memory.
 *
 * Rejected with VALIDATION: malformed or truncated tar/gzip/zstd, unknown entry types (GNU sparse,
 * volume labels ...), names escaping the root with `..`, names or link targets over the length
 * limit, oversized PAX headers, invalid whiteouts (`.wh.`, `.wh..`, `.wh...`), names with a `.wh.`
 * directory segment, any entry placed under a symlink that an earlier entry of the same tar made
 * (the dir↔symlink swap), a non-directory at the root, empty symlink targets, hardlinks escaping
 * the root, to a directory, to themselves, through a symlinked parent, or to an entry that only
 * appears later in the tar, and any limit exceeded. Absolute names lose their leading `/`;
 * `..` that stays inside the root is resolved (`dne/../.wh.etc` whites out `etc`).
 * Rejected with INTEGRITY: blob digest, blob size or DiffID not as expected.
 * Symlink targets are kept raw: Strata never extracts, so where they point only matters to
 * resolvePath, which stays inside the root.
 */
export async function readLayer(
  source: AsyncIterable<Uint8Array> | Readable,
  options: ReadLayerOptions = {},
): Promise<ReadLayerResult> {
  const limits = resolveLimits(options.limits);
  const expected = {
    digest: options.expected?.digest === undefined ? undefined : parseDigest(options.expected.digest),
    diffId: options.expected?.diffId === undefined ? undefined : parseDigest(options.expected.diffId),
    size: options.expected?.size,
  };
  const blob = openLayerBlob(source as AsyncIterable<Uint8Array>, {
    limits,
    expectedSize: expected.size,
    expectedDigest: expected.digest,
    verifiedSource: options.verifiedSource === true,
  });
  const parser = new ChangesetParser(limits, options.hardlinks ?? 'allow-lower', options.onFile);
  const extract = tar.extract();

  let feedError: unknown;
  const feeding = (async () => {
    try {
      for await (const chunk of blob.chunks) {
        if (extract.destroyed) return;
        if (!extract.write(chunk)) await drained(extract);
      }
      extract.end(undefined);
    } catch (error) {
      feedError = error;
      extract.destroy(error as Error);
    }
  })();

  const classify = (error: unknown): unknown => {
    if (error instanceof StrataError || blob.isSourceError(error) || parser.isSinkError(error)) return error;
    return validationError(`malformed tar: ${(error as Error).message ?? String(error)}`);
  };

  try {
    for await (const entry of extract) await parser.handle(entry as unknown as TarEntry);
  } catch (error) {
    extract.destroy(error instanceof Error ? error : undefined);
    await feeding;
    throw classify(feedError ?? error);
  }
  await feeding;
  if (feedError !== undefined) throw classify(feedError);

  const stats = blob.stats();
  if (stats.compressedSize === 0)
    throw validationError('empty blob: a layer is at least an empty tar archive');
  if (expected.diffId !== undefined && stats.diffId !== expected.diffId) {
    throw integrityError(`layer DiffID is ${stats.diffId}, expected ${expected.diffId}`, {
      expected: expected.diffId,
      actual: stats.diffId,
    });
  }
  if (stats.size < parser.dataEnd + 1024) {
    parser.warn('NO_END_OF_ARCHIVE', 'the tar archive does not end with two zero blocks');
  }
  return {
    diffId: stats.diffId,
    digest: stats.digest,
    compression: stats.compression,
    compressedSize: stats.compressedSize,
    size: stats.size,
    entries: parser.entries,
    warnings: parser.warnings,
  };
}

function drained(stream: {
  on(e: string, f: () => void): unknown;
  off(e: string, f: () => void): unknown;
}): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** The per-entry rules, with the state of the tar read so far. */
class ChangesetParser {
  readonly entries: LayerEntry[] = [];
  readonly warnings: LayerWarning[] = [];
  /** End of the last entry's data (multiple of 512), to tell whether the end-of-archive blocks follow. */
  dataEnd = 0;
  /** This tar applied to an empty tree: what an entry's parents and a hardlink's target are so far. */
  private readonly tree = new MutableTree();
  private readonly seen = new Set<string>();
  /** Target path → hardlink path, for hardlinks whose target was not (yet) in the tar. */
  private readonly externalTargets = new Map<string, string>();
  private readonly sinkErrors = new WeakSet<object>();
  private readonly warnedOnce = new Set<string>();
  private count = 0;

  constructor(
    private readonly limits: LayerLimits,
    private readonly hardlinks: HardlinkPolicy,
    private readonly onFile: FileSink | undefined,
  ) {}

  isSinkError(error: unknown): boolean {
    return typeof error === 'object' && error !== null && this.sinkErrors.has(error);
  }

  warn(code: LayerWarningCode, message: string, path?: string): void {
    this.warnings.push(path === undefined ? { code, message } : { code, message, path });
  }

  async handle(entry: TarEntry): Promise<void> {
    const header = entry.header;
    this.count++;
    if (this.count > this.limits.maxEntries) {
      throw validationError(`layer has more than ${this.limits.maxEntries} entries`, {
        limit: this.limits.maxEntries,
      });
    }
    const size = header.size ?? 0;
    this.dataEnd = (header.byteOffset ?? 0) + Math.ceil(size / 512) * 512;

    const type = header.type ?? null;
    if (type === null || !SUPPORTED_TYPES.has(type)) {
      throw validationError(
        `unsupported tar entry type ${type ?? '(unknown type flag)'} for ${JSON.stringify(header.name)}`,
        {
          name: header.name,
        },
      );
    }
    const pax = this.checkPax(header);
    const rawName = header.name;
    this.checkLength(rawName, 'name');
    const path = normalizeStrictPath(rawName);
    const meaning = classifyTarPath(path);
    const directories = path.split('/').slice(1, -1);
    if (meaning.kind === 'meta' || directories.some((s) => s.startsWith(WHITEOUT_META_PREFIX))) {
      this.warn('IGNORED_ENTRY', `AUFS metadata entry ${rawName} ignored`, path);
      await drain(entry);
      return;
    }
    this.checkParents(path, rawName);
    if (meaning.kind === 'whiteout' || meaning.kind === 'opaque') {
      if (size > 0) this.warn('WHITEOUT_WITH_CONTENT', `whiteout ${rawName} has content; ignored`, path);
      await drain(entry);
      if (meaning.kind === 'opaque') ensureDirectory(this.tree, meaning.path);
      else ensureWhiteoutParent(this.tree, meaning.path);
      this.entries.push({ kind: meaning.kind, path: meaning.path });
      return;
    }

    if (path === '/' && type !== 'directory') {
      throw validationError(`tar entry ${JSON.stringify(rawName)} would replace the root with a ${type}`, {
        name: rawName,
      });
    }
    const externalLink = this.externalTargets.get(path);
    if (externalLink !== undefined) {
      throw validationError(
        `hardlink ${externalLink} points to ${path}, which only appears later in the tar`,
        {
          path: externalLink,
          target: path,
        },
      );
    }
    if (this.seen.has(path)) {
      this.warn('DUPLICATE_ENTRY', `${path} appears more than once in the tar; the last entry wins`, path);
    }
    this.seen.add(path);

    const node: FsNode = {
      path,
      type: 'file',
      mode: (header.mode ?? 0) & 0o7777,
      uid: numberFromPax(pax, 'uid') ?? header.uid ?? 0,
      gid: numberFromPax(pax, 'gid') ?? header.gid ?? 0,
      size: 0,
      mtime: numberFromPax(pax, 'mtime') ?? Math.floor((header.mtime?.getTime() ?? 0) / 1000),
    };
    switch (type) {
      case 'file':
      case 'contiguous-file':
        node.size = size;
        await this.streamFile(node, entry);
        break;
      case 'directory':
        node.type = 'dir';
        await drain(entry);
        break;
      case 'symlink': {
        const target = header.linkname ?? '';
        if (target === '') throw validationError(`symlink ${path} has an empty target`, { path });
        this.checkLength(target, 'symlink target');
        node.type = 'symlink';
        node.linkTarget = target;
        await drain(entry);
        break;
      }
      case 'link':
        this.hardlink(node, header.linkname ?? '');
        await drain(entry);
        break;
      case 'character-device':
      case 'block-device':
        node.type = type === 'character-device' ? 'char' : 'block';
        node.devMajor = header.devmajor ?? 0;
        node.devMinor = header.devminor ?? 0;
        await drain(entry);
        break;
      case 'fifo':
        node.type = 'fifo';
        await drain(entry);
        break;
    }
    putNode(this.tree, node);
    this.entries.push({ kind: 'node', node });
  }

  private hardlink(node: FsNode, rawTarget: string): void {
    const { path } = node;
    if (rawTarget === '') throw validationError(`hardlink ${path} has an empty target`, { path });
    this.checkLength(rawTarget, 'hardlink target');
    let target: string;
    try {
      target = normalizeStrictPath(rawTarget);
    } catch {
      throw validationError(`hardlink ${path} points outside the layer root: ${JSON.stringify(rawTarget)}`, {
        path,
        target: rawTarget,
      });
    }
    if (target === path) throw validationError(`hardlink ${path} points to itself`, { path });
    for (const ancestor of ancestorsOf(target)) {
      if (this.tree.get(ancestor)?.type === 'symlink') {
        throw validationError(
          `hardlink ${path} reaches its target ${target} through the symlink ${ancestor}`,
          { path, target, symlink: ancestor },
        );
      }
    }
    node.type = 'hardlink';
    node.linkTarget = target;
    const existing = this.tree.get(target);
    if (existing !== undefined) {
      if (existing.type === 'dir')
        throw validationError(`hardlink ${path} points to the directory ${target}`, { path, target });
      node.size = existing.size;
      if (existing.digest !== undefined) node.digest = existing.digest;
      return;
    }
    if (this.hardlinks === 'same-layer') {
      throw validationError(`hardlink ${path} points to ${target}, which is not earlier in this layer`, {
        path,
        target,
      });
    }
    this.warn(
      'EXTERNAL_HARDLINK',
      `hardlink ${path} points to ${target}, which is not in this layer; it resolves against the lower layers`,
      path,
    );
    this.externalTargets.set(target, path);
  }

  /** Every directory segment must be a plain name and none may be a symlink made earlier in this tar. */
  private checkParents(path: string, rawName: string): void {
    for (const ancestor of ancestorsOf(path)) {
      if (ancestor === '/') continue;
      const segment = ancestor.slice(ancestor.lastIndexOf('/') + 1);
      if (isReservedName(segment)) {
        throw validationError(
          `tar entry ${JSON.stringify(rawName)} has a directory named with the reserved whiteout prefix`,
          { name: rawName },
        );
      }
      if (this.tree.get(ancestor)?.type === 'symlink') {
        throw validationError(
          `tar entry ${JSON.stringify(rawName)} would be placed under the symlink ${ancestor}`,
          { name: rawName, symlink: ancestor },
        );
      }
    }
  }

  private checkLength(value: string, what: string): void {
    const length = Buffer.byteLength(value);
    if (length > this.limits.maxPathLength) {
      throw validationError(
        `tar entry ${what} is ${length} bytes long, over the limit of ${this.limits.maxPathLength}`,
        {
          limit: this.limits.maxPathLength,
        },
      );
    }
  }

  private checkPax(header: TarHeader): Record<string, string> | undefined {
    const pax = header.pax ?? undefined;
    if (pax === undefined) return undefined;
    let bytes = 0;
    for (const [key, value] of Object.entries(pax)) {
      bytes += Buffer.byteLength(key) + Buffer.byteLength(value) + 12;
      if (key.startsWith('GNU.sparse'))
        throw validationError(`GNU sparse files are not supported (${header.name})`, { name: header.name });
      if (
        (key.startsWith('SCHILY.xattr.') || key.startsWith('LIBARCHIVE.xattr.')) &&
        !this.warnedOnce.has('xattr')
      ) {
        this.warnedOnce.add('xattr');
        this.warn(
          'IGNORED_METADATA',
          'extended attributes (PAX xattr records) are not modelled and were ignored',
        );
      }
    }
    if (bytes > this.limits.maxPaxHeaderSize) {
      throw validationError(
        `PAX header of ${header.name} is ${bytes} bytes, over the limit of ${this.limits.maxPaxHeaderSize}`,
        {
          limit: this.limits.maxPaxHeaderSize,
        },
      );
    }
    return pax;
  }

  private async streamFile(node: FsNode, entry: AsyncIterable<Uint8Array>): Promise<void> {
    const reader = new HashingReader(entry[Symbol.asyncIterator](), node);
    if (this.onFile !== undefined) {
      // A plain async iterable over the tar entry (no stream object per file): the sink may stop
      // early, the rest is drained below.
      const content: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]: () => ({
          next: () => reader.next(),
          return: async () => ({ done: true, value: undefined }),
        }),
      };
      try {
        await this.onFile(node, content);
      } catch (error) {
        if (typeof error === 'object' && error !== null) this.sinkErrors.add(error);
        throw error;
      }
    }
    while (!(await reader.next()).done) {
      // drain what the sink left
    }
    if (reader.bytes !== node.size) {
      throw validationError(`file ${node.path} has ${reader.bytes} bytes, its header says ${node.size}`, {
        path: node.path,
      });
    }
  }
}

/** Pulls a tar entry's content one chunk at a time, hashing every chunk once; the digest is set at the end. */
class HashingReader {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private ended = false;
  private busy: Promise<void> | undefined;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly node: FsNode,
  ) {}

  /** Calls are serialised: a sink that gives up without awaiting its last `next()` cannot race the drain. */
  next(): Promise<IteratorResult<Uint8Array>> {
    const result = this.busy ? this.busy.then(() => this.step()) : this.step();
    const settled = result.then(
      () => {
        if (this.busy === settled) this.busy = undefined;
      },
      () => {
        if (this.busy === settled) this.busy = undefined;
      },
    );
    this.busy = settled;
    return result;
  }

  private async step(): Promise<IteratorResult<Uint8Array>> {
    if (this.ended) return { done: true, value: undefined };
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      this.node.digest = `sha256:${this.hash.digest('hex')}`;
      return next;
    }
    this.hash.update(next.value);
    this.bytes += next.value.length;
    return next;
  }
}

async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of entry) {
    // discard
  }
}

function numberFromPax(pax: Record<string, string> | undefined, key: string): number | undefined {
  const value = pax?.[key];
  if (value === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(value))
    throw validationError(`invalid PAX ${key} record ${JSON.stringify(value)}`);
  return Math.floor(Number(value));
}
