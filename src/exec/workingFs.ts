import type { CpOptions, FileContent, FsStat, IFileSystem, MkdirOptions, RmOptions } from 'just-bash';
import { DefenseInDepthBox, unsafeBytesFromLatin1 } from 'just-bash';
import type { FsNode } from '../domain/fs/node.ts';
import { baseName, isWithin, joinPath, parentOf } from '../domain/fs/paths.ts';
import { FsError, fsError, isFsError } from './fsErrors.ts';
import { OperationLog } from './operationLog.ts';
import type { BaseFs, ExecLimitName, FsOperation } from './types.ts';

type ReadFileOptions = Parameters<IFileSystem['readFile']>[1];
type WriteFileOptions = Parameters<IFileSystem['writeFile']>[2];
type DirentEntry = Awaited<ReturnType<NonNullable<IFileSystem['readdirWithFileTypes']>>>[number];
type ByteString = Awaited<ReturnType<NonNullable<IFileSystem['readFileBytes']>>>;

/** A file body that appends in place while nobody else shares its tail (see `appendBytes`). */
class Body {
  constructor(
    public bytes: Uint8Array,
    public used: number,
  ) {}
}

type OwnData = { body: Body; length: number };
type FileData = OwnData | { node: FsNode };

interface Meta {
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** Shared by the names of one hardlinked file (stat's identity); otherwise the path is. */
  identity?: string;
}

export type Entry =
  | (Meta & { type: 'file'; data: FileData })
  /** `opaque`: base entries below this overlay directory are hidden (it replaced a removed path). */
  | (Meta & { type: 'dir'; opaque: boolean })
  | (Meta & { type: 'symlink'; target: string })
  /** A char/block device, fifo or socket from the image: listed and stat-able, never read. */
  | (Meta & { type: 'special'; node: FsNode })
  /** One of the virtual devices under /dev: reads are empty, writes vanish (/dev/full: ENOSPC). */
  | (Meta & { type: 'device'; name: string });

export interface WorkingFsLimits {
  maxFileSize: number;
  maxBytesWritten: number;
}

export interface WorkingFsHooks {
  /**
   * A write would exceed a limit: the write fails and the command must stop. May return the error
   * to throw (then thrown by every later call too); the default is EFBIG / ENOSPC.
   */
  onLimit(
    limit: Extract<ExecLimitName, 'fileSize' | 'bytesWritten'>,
    value: number,
    path: string,
  ): Error | undefined;
  /** The base failed (database, content store): the command's outcome is meaningless. */
  onHostError(error: unknown): void;
}

const devices = ['full', 'null', 'random', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'];
const devicePaths = new Set(devices.map((name) => `/dev/${name}`));
/** Mounted in a running container, never part of its layers: mutations there are refused. */
const mountedTrees = ['/dev', '/proc', '/sys'];
const maxSymlinkHops = 40;
const umask = 0o022;
const baseContentCacheBytes = 64 * 1024 * 1024;

const encoder = new TextEncoder();

function segmentsOf(path: string): string[] {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out;
}

/** Lexical normalisation as the shell does it: absolute, `..` never above the root. */
export function normalize(path: string): string {
  return `/${segmentsOf(path.startsWith('/') ? path : `/${path}`).join('/')}`;
}

function toBytes(content: FileContent, options: WriteFileOptions): Uint8Array {
  if (content instanceof Uint8Array) return content;
  const encoding = typeof options === 'string' ? options : options?.encoding;
  if (!encoding || encoding === 'utf8' || encoding === 'utf-8') return encoder.encode(content);
  return new Uint8Array(Buffer.from(content, encoding === 'binary' ? 'latin1' : encoding));
}

function fileSize(entry: Entry): number {
  if (entry.type === 'file') return 'body' in entry.data ? entry.data.length : entry.data.node.size;
  if (entry.type === 'symlink') return encoder.encode(entry.target).length;
  if (entry.type === 'dir') return 4096;
  return 0;
}

const nowMeta = (mode: number): Meta => ({ mode, uid: 0, gid: 0, mtimeMs: Date.now() });

function entryOf(node: FsNode): Entry {
  const meta: Meta = { mode: node.mode & 0o7777, uid: node.uid, gid: node.gid, mtimeMs: node.mtime * 1000 };
  if (node.type === 'hardlink' && node.linkTarget) meta.identity = node.linkTarget;
  switch (node.type) {
    case 'file':
    case 'hardlink':
      return { ...meta, type: 'file', data: { node } };
    case 'dir':
      return { ...meta, type: 'dir', opaque: false };
    case 'symlink':
      return { ...meta, type: 'symlink', target: node.linkTarget ?? '' };
    default:
      return { ...meta, type: 'special', node };
  }
}

interface Resolved {
  /** The physical path (symlinks resolved, the last one only when following). */
  path: string;
  entry: Entry | null;
}

/**
 * just-bash's IFileSystem over a container's merged view: reads fall through to the BaseFs, writes
 * land in an in-memory overlay (with its own whiteouts and opaque directories) and are recorded as
 * FsOperations, in order, so later reads of the same command see them. Paths resolve symlinks
 * inside the container root: an absolute target starts at the root and `..` stops there.
 * Base file content is read only when a command needs the bytes.
 */
export class WorkingFs implements IFileSystem {
  private readonly overlay = new Map<string, Entry | null>();
  private readonly overlayChildren = new Map<string, Set<string>>();
  private readonly baseNodes = new Map<string, Promise<FsNode | null>>();
  private readonly baseLists = new Map<string, Promise<FsNode[]>>();
  private readonly baseContent = new Map<string, Promise<Uint8Array>>();
  private baseContentBytes = 0;
  private readonly log = new OperationLog();
  private written = 0;
  private stopped: Error | null = null;

  constructor(
    private readonly base: BaseFs,
    private readonly limits: WorkingFsLimits,
    private readonly hooks: WorkingFsHooks,
  ) {}

  /** The operations recorded so far. */
  operations(): FsOperation[] {
    return this.log.list();
  }

  /** Bytes written so far (as counted against maxBytesWritten). */
  get bytesWritten(): number {
    return this.written;
  }

  /** Makes every later call fail with `error` (after a limit, a host failure or the deadline). */
  stop(error: Error): void {
    this.stopped ??= error;
  }

  // ---- reads -------------------------------------------------------------------------------

  async readFile(path: string, options?: ReadFileOptions): Promise<string> {
    const bytes = await this.readFileBuffer(path);
    const encoding = typeof options === 'string' ? options : (options?.encoding ?? 'utf8');
    if (encoding === 'utf8' || encoding === 'utf-8') return new TextDecoder().decode(bytes);
    return Buffer.from(bytes).toString(encoding === 'binary' ? 'latin1' : encoding);
  }

  async readFileBytes(path: string): Promise<ByteString> {
    const bytes = await this.readFileBuffer(path);
    return unsafeBytesFromLatin1(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'),
    );
  }

  async readFileBuffer(path: string): Promise<Uint8Array> {
    const { entry } = await this.resolve(path, true, 'open');
    if (!entry) throw fsError('ENOENT', 'open', path);
    if (entry.type === 'dir') throw fsError('EISDIR', 'read', path);
    if (entry.type !== 'file') return new Uint8Array(0);
    return this.content(entry.data);
  }

  async exists(path: string): Promise<boolean> {
    try {
      return (await this.resolve(path, true, 'access')).entry !== null;
    } catch (error) {
      if (isFsError(error)) return false;
      throw error;
    }
  }

  async stat(path: string): Promise<FsStat> {
    const resolved = await this.resolve(path, true, 'stat');
    if (!resolved.entry) throw fsError('ENOENT', 'stat', path);
    return this.statOf(resolved.path, resolved.entry);
  }

  async lstat(path: string): Promise<FsStat> {
    const resolved = await this.resolve(path, false, 'lstat');
    if (!resolved.entry) throw fsError('ENOENT', 'lstat', path);
    return this.statOf(resolved.path, resolved.entry);
  }

  async readdir(path: string): Promise<string[]> {
    return (await this.readdirWithFileTypes(path)).map((dirent) => dirent.name);
  }

  async readdirWithFileTypes(path: string): Promise<DirentEntry[]> {
    const resolved = await this.resolve(path, true, 'scandir');
    if (!resolved.entry) throw fsError('ENOENT', 'scandir', path);
    if (resolved.entry.type !== 'dir') throw fsError('ENOTDIR', 'scandir', path);
    const children = await this.children(resolved.path);
    return [...children.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, entry]) => ({
        name,
        isFile: entry.type === 'file' || entry.type === 'device',
        isDirectory: entry.type === 'dir',
        isSymbolicLink: entry.type === 'symlink',
      }));
  }

  /** The owner of the entry at `path` (not part of IFileSystem: stat has no owner there). */
  async ownerOf(path: string, follow = true): Promise<{ uid: number; gid: number }> {
    const { entry } = await this.resolveExisting(path, follow, 'stat');
    return { uid: entry.uid, gid: entry.gid };
  }

  async readlink(path: string): Promise<string> {
    const { entry } = await this.resolve(path, false, 'readlink');
    if (!entry) throw fsError('ENOENT', 'readlink', path);
    if (entry.type !== 'symlink') throw fsError('EINVAL', 'readlink', path);
    return entry.target;
  }

  async realpath(path: string): Promise<string> {
    const resolved = await this.resolve(path, true, 'realpath');
    if (!resolved.entry) throw fsError('ENOENT', 'realpath', path);
    return resolved.path;
  }

  resolvePath(base: string, path: string): string {
    return normalize(path.startsWith('/') ? path : `${base}/${path}`);
  }

  /** Globbing walks directories itself; a container image is too large to enumerate here. */
  getAllPaths(): string[] {
    return [];
  }

  // ---- writes ------------------------------------------------------------------------------

  async writeFile(path: string, content: FileContent, options?: WriteFileOptions): Promise<void> {
    await this.write(path, toBytes(content, options), false);
  }

  async appendFile(path: string, content: FileContent, options?: WriteFileOptions): Promise<void> {
    await this.write(path, toBytes(content, options), true);
  }

  async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    this.checkWritablePath(path, 'mkdir');
    if (!options?.recursive) {
      const resolved = await this.resolve(path, false, 'mkdir');
      if (resolved.entry) {
        throw fsError(
          'EEXIST',
          'mkdir',
          path,
          resolved.entry.type === 'dir' ? 'directory already exists' : undefined,
        );
      }
      this.createDirectory(resolved.path, path);
      return;
    }
    let current = '/';
    for (const segment of segmentsOf(normalize(path))) {
      const resolved = await this.resolve(joinPath(current, segment), true, 'mkdir');
      if (resolved.entry) {
        if (resolved.entry.type !== 'dir') {
          throw fsError(resolved.path === normalize(path) ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
        }
      } else {
        this.createDirectory(resolved.path, path);
      }
      current = resolved.path;
    }
  }

  async rm(path: string, options?: RmOptions): Promise<void> {
    let resolved: Resolved;
    try {
      resolved = await this.resolve(path, false, 'rm');
    } catch (error) {
      if (options?.force && isFsError(error)) return;
      throw error;
    }
    const { entry } = resolved;
    if (!entry) {
      if (options?.force) return;
      throw fsError('ENOENT', 'rm', path);
    }
    if (resolved.path === '/') throw fsError('EBUSY', 'rm', path);
    this.checkWritablePath(resolved.path, 'rm', path);
    if (entry.type === 'dir' && !options?.recursive && (await this.children(resolved.path)).size > 0) {
      throw fsError('ENOTEMPTY', 'rm', path);
    }
    this.dropOverlaySubtree(resolved.path);
    this.setOverlay(resolved.path, null);
    this.record({
      op: 'remove',
      path: resolved.path,
      recursive: entry.type === 'dir' && Boolean(options?.recursive),
    });
  }

  async cp(src: string, dest: string, options?: CpOptions): Promise<void> {
    const source = await this.resolve(src, false, 'cp');
    if (!source.entry) throw fsError('ENOENT', 'cp', src);
    const { entry } = source;
    if (entry.type === 'dir') {
      if (!options?.recursive) throw fsError('EISDIR', 'cp', src, 'is a directory');
      const target = await this.resolve(dest, true, 'cp');
      if (isWithin(target.path, source.path)) {
        throw fsError('EINVAL', 'cp', src, `cannot copy '${src}' into itself, '${dest}'`);
      }
      await this.mkdir(dest, { recursive: true });
      for (const name of [...(await this.children(source.path)).keys()].sort()) {
        await this.cp(joinPath(source.path, name), joinPath(target.path, name), options);
      }
      return;
    }
    if (entry.type === 'symlink') {
      const target = await this.resolve(dest, false, 'cp');
      this.checkWritablePath(target.path, 'cp', dest);
      if (target.entry?.type === 'dir') throw fsError('EISDIR', 'cp', dest);
      if (target.entry) await this.rm(target.path);
      this.setOverlay(target.path, { ...nowMeta(0o777), type: 'symlink', target: entry.target });
      this.record({ op: 'symlink', path: target.path, target: entry.target });
      return;
    }
    if (entry.type !== 'file') throw fsError('EPERM', 'cp', src);
    this.checkFileSize(fileSize(entry), dest);
    const bytes = await this.content(entry.data);
    await this.write(dest, bytes, false, entry.mode & 0o777 & ~umask, 'cp');
  }

  async mv(src: string, dest: string): Promise<void> {
    const source = await this.resolve(src, false, 'mv');
    if (!source.entry) throw fsError('ENOENT', 'mv', src);
    const target = await this.resolve(dest, false, 'mv');
    if (source.path === target.path) return;
    if (source.path === '/') throw fsError('EBUSY', 'mv', src);
    this.checkWritablePath(source.path, 'mv', src);
    this.checkWritablePath(target.path, 'mv', dest);
    if (source.entry.type === 'dir' && isWithin(target.path, source.path)) {
      throw fsError('EINVAL', 'mv', src, `cannot move '${src}' into itself, '${dest}'`);
    }
    if (target.entry) {
      if (target.entry.type === 'dir') {
        if (source.entry.type !== 'dir') throw fsError('EISDIR', 'mv', dest);
        if ((await this.children(target.path)).size > 0) throw fsError('ENOTEMPTY', 'mv', dest);
      } else if (source.entry.type === 'dir') {
        throw fsError('ENOTDIR', 'mv', dest);
      }
    }
    const moved: [string, Entry][] = [];
    await this.collectSubtree(source.path, source.entry, '', moved);
    this.dropOverlaySubtree(source.path);
    this.setOverlay(source.path, null);
    this.dropOverlaySubtree(target.path);
    for (const [relative, entry] of moved) {
      this.setOverlay(target.path + relative, entry.type === 'dir' ? { ...entry, opaque: true } : entry);
    }
    this.record({ op: 'rename', from: source.path, to: target.path });
  }

  async chmod(path: string, mode: number): Promise<void> {
    const resolved = await this.resolveExisting(path, true, 'chmod');
    this.checkWritablePath(resolved.path, 'chmod', path);
    this.setOverlay(resolved.path, { ...resolved.entry, mode: mode & 0o7777 });
    this.record({ op: 'chmod', path: resolved.path, mode: mode & 0o7777 });
  }

  /** Not part of IFileSystem: used by Strata's chown/chgrp commands. */
  async chown(path: string, uid: number, gid: number, follow = true): Promise<void> {
    const resolved = await this.resolveExisting(path, follow, 'chown');
    this.checkWritablePath(resolved.path, 'chown', path);
    this.setOverlay(resolved.path, { ...resolved.entry, uid, gid });
    this.record({ op: 'chown', path: resolved.path, uid, gid });
  }

  async utimes(path: string, _atime: Date, mtime: Date): Promise<void> {
    const resolved = await this.resolveExisting(path, true, 'utimes');
    if (resolved.entry.type === 'device') return;
    this.checkWritablePath(resolved.path, 'utimes', path);
    this.setOverlay(resolved.path, { ...resolved.entry, mtimeMs: mtime.getTime() });
    this.record({ op: 'utimes', path: resolved.path, mtime: Math.floor(mtime.getTime() / 1000) });
  }

  async symlink(target: string, linkPath: string): Promise<void> {
    const resolved = await this.resolve(linkPath, false, 'symlink');
    if (resolved.entry) throw fsError('EEXIST', 'symlink', linkPath);
    this.checkWritablePath(resolved.path, 'symlink', linkPath);
    if (target.includes('\0')) throw fsError('EINVAL', 'symlink', linkPath);
    this.setOverlay(resolved.path, { ...nowMeta(0o777), type: 'symlink', target });
    this.record({ op: 'symlink', path: resolved.path, target });
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    const source = await this.resolve(existingPath, false, 'link');
    if (!source.entry) throw fsError('ENOENT', 'link', existingPath);
    if (source.entry.type !== 'file') throw fsError('EPERM', 'link', existingPath);
    const target = await this.resolve(newPath, false, 'link');
    if (target.entry) throw fsError('EEXIST', 'link', newPath);
    this.checkWritablePath(target.path, 'link', newPath);
    this.setOverlay(target.path, { ...source.entry, identity: source.entry.identity ?? source.path });
    this.record({ op: 'hardlink', path: target.path, target: source.path });
  }

  // ---- internals ---------------------------------------------------------------------------

  /**
   * Resolves `path` component by component inside the container root. Intermediate symlinks are
   * always followed, the last one only when `follow`. A missing or non-directory intermediate is
   * ENOENT / ENOTDIR; a missing last component resolves to `entry: null` (its parent exists).
   */
  private async resolve(path: string, follow: boolean, syscall: string): Promise<Resolved> {
    this.checkRunning();
    if (path.includes('\0')) throw fsError('ENOENT', syscall, path, 'path contains null byte');
    let pending = segmentsOf(normalize(path));
    let current = '/';
    let hops = 0;
    while (pending.length > 0) {
      const [segment, ...rest] = pending as [string, ...string[]];
      const next = joinPath(current, segment);
      const entry = await this.entryAt(next);
      const last = rest.length === 0;
      if (entry?.type === 'symlink' && (!last || follow)) {
        if (++hops > maxSymlinkHops) throw fsError('ELOOP', syscall, path);
        const start = entry.target.startsWith('/') ? '' : current;
        pending = [...segmentsOf(`${start}/${entry.target}`), ...rest];
        current = '/';
        continue;
      }
      if (last) return { path: next, entry };
      if (!entry) throw fsError('ENOENT', syscall, path);
      if (entry.type !== 'dir') throw fsError('ENOTDIR', syscall, path);
      current = next;
      pending = rest;
    }
    return { path: '/', entry: await this.entryAt('/') };
  }

  private async resolveExisting(
    path: string,
    follow: boolean,
    syscall: string,
  ): Promise<{ path: string; entry: Entry }> {
    const resolved = await this.resolve(path, follow, syscall);
    if (!resolved.entry) throw fsError('ENOENT', syscall, path);
    return { path: resolved.path, entry: resolved.entry };
  }

  /** The entry at a physical path (no symlink following). */
  private async entryAt(path: string): Promise<Entry | null> {
    if (devicePaths.has(path)) return { ...nowMeta(0o666), type: 'device', name: baseName(path) };
    const own = this.overlay.get(path);
    if (own !== undefined) return own;
    if (this.hiddenFromBase(path)) return null;
    const node = await this.baseLookup(path);
    if (node) return entryOf(node);
    if (path === '/' || path === '/dev') return { ...nowMeta(0o755), type: 'dir', opaque: false };
    return null;
  }

  /** True when an overlay ancestor (whiteout, non-directory or opaque directory) hides the base. */
  private hiddenFromBase(path: string): boolean {
    if (this.overlay.size === 0 || path === '/') return false;
    for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
      const own = this.overlay.get(path.slice(0, cut));
      if (own === undefined) continue;
      if (own === null || own.type !== 'dir' || own.opaque) return true;
    }
    const root = this.overlay.get('/');
    return root !== undefined && root !== null && root.type === 'dir' && root.opaque;
  }

  /** The merged children of the physical directory `dir`. */
  private async children(dir: string): Promise<Map<string, Entry>> {
    const result = new Map<string, Entry>();
    const own = this.overlay.get(dir);
    const baseVisible = !(own && own.type === 'dir' && own.opaque) && !this.hiddenFromBase(dir);
    if (baseVisible && (await this.baseLookup(dir))?.type === 'dir') {
      for (const node of await this.baseList(dir)) result.set(baseName(node.path), entryOf(node));
    }
    for (const name of this.overlayChildren.get(dir) ?? []) {
      const entry = this.overlay.get(joinPath(dir, name));
      if (entry === null || entry === undefined) result.delete(name);
      else result.set(name, entry);
    }
    if (dir === '/dev') {
      for (const name of devices) result.set(name, { ...nowMeta(0o666), type: 'device', name });
    }
    return result;
  }

  private async collectSubtree(
    path: string,
    entry: Entry,
    relative: string,
    out: [string, Entry][],
  ): Promise<void> {
    out.push([relative, entry]);
    if (entry.type !== 'dir') return;
    for (const [name, child] of await this.children(path)) {
      await this.collectSubtree(joinPath(path, name), child, `${relative}/${name}`, out);
    }
  }

  private setOverlay(path: string, entry: Entry | null): void {
    this.overlay.set(path, entry);
    if (path === '/') return;
    const parent = parentOf(path);
    let names = this.overlayChildren.get(parent);
    if (!names) {
      names = new Set();
      this.overlayChildren.set(parent, names);
    }
    names.add(baseName(path));
  }

  /** Forgets overlay entries strictly below `path`. */
  private dropOverlaySubtree(path: string): void {
    const names = this.overlayChildren.get(path);
    if (!names) return;
    this.overlayChildren.delete(path);
    for (const name of names) {
      const child = joinPath(path, name);
      this.dropOverlaySubtree(child);
      this.overlay.delete(child);
    }
  }

  private createDirectory(path: string, shown: string): void {
    this.checkWritablePath(path, 'mkdir', shown);
    const replacesRemoved = this.overlay.get(path) === null;
    this.setOverlay(path, { ...nowMeta(0o755), type: 'dir', opaque: replacesRemoved });
    this.record({ op: 'mkdir', path, mode: 0o755 });
  }

  private async write(
    path: string,
    bytes: Uint8Array,
    append: boolean,
    createMode = 0o666 & ~umask,
    syscall = 'open',
  ): Promise<void> {
    const resolved = await this.resolve(path, true, syscall);
    const { entry } = resolved;
    if (entry?.type === 'device') {
      if (entry.name === 'full') throw fsError('ENOSPC', 'write', path);
      return;
    }
    if (entry?.type === 'dir') throw fsError('EISDIR', syscall, path);
    this.checkWritablePath(resolved.path, syscall, path);
    if (entry && entry.type !== 'file') throw fsError('EPERM', syscall, path);
    if (append && entry && bytes.length === 0) return;

    let data: OwnData;
    if (append && entry) {
      this.checkFileSize(fileSize(entry) + bytes.length, path);
      this.account(bytes.length, path);
      data = await this.appendBytes(entry.data, bytes);
    } else {
      this.checkFileSize(bytes.length, path);
      this.account(bytes.length, path);
      const copy = new Uint8Array(bytes);
      data = { body: new Body(copy, copy.length), length: copy.length };
    }
    const meta = entry
      ? { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtimeMs: Date.now() }
      : nowMeta(createMode);
    this.setOverlay(resolved.path, { ...meta, type: 'file', data });
    const content = data.body.bytes.subarray(0, data.length);
    this.record(
      entry
        ? { op: 'writeFile', path: resolved.path, content }
        : { op: 'writeFile', path: resolved.path, content, mode: createMode },
    );
  }

  /** Appends in place when this file owns its body's tail; otherwise copies (hardlink copies share). */
  private async appendBytes(data: FileData, bytes: Uint8Array): Promise<OwnData> {
    if ('body' in data && data.length === data.body.used) {
      const body = data.body;
      const needed = body.used + bytes.length;
      if (needed > body.bytes.length) {
        const grown = new Uint8Array(Math.max(needed, body.bytes.length * 2, 256));
        grown.set(body.bytes.subarray(0, body.used));
        body.bytes = grown;
      }
      body.bytes.set(bytes, body.used);
      body.used = needed;
      return { body, length: needed };
    }
    const existing = await this.content(data);
    const joined = new Uint8Array(Math.max(existing.length + bytes.length, 256));
    joined.set(existing);
    joined.set(bytes, existing.length);
    const length = existing.length + bytes.length;
    return { body: new Body(joined, length), length };
  }

  private checkFileSize(size: number, path: string): void {
    if (size > this.limits.maxFileSize) {
      const error =
        this.hooks.onLimit('fileSize', this.limits.maxFileSize, path) ?? fsError('EFBIG', 'write', path);
      this.stop(error);
      throw error;
    }
  }

  private account(bytes: number, path: string): void {
    if (this.written + bytes > this.limits.maxBytesWritten) {
      const error =
        this.hooks.onLimit('bytesWritten', this.limits.maxBytesWritten, path) ??
        fsError('ENOSPC', 'write', path);
      this.stop(error);
      throw error;
    }
    this.written += bytes;
  }

  private checkWritablePath(path: string, syscall: string, shown = path): void {
    this.checkRunning();
    const physical = normalize(path);
    if (mountedTrees.some((tree) => isWithin(physical, tree))) throw fsError('EROFS', syscall, shown);
  }

  private checkRunning(): void {
    if (this.stopped) throw this.stopped;
  }

  private record(op: FsOperation): void {
    this.log.record(op);
  }

  private statOf(path: string, entry: Entry): FsStat {
    return {
      identity: `strata:${entry.identity ?? path}`,
      isFile: entry.type === 'file' || entry.type === 'device',
      isDirectory: entry.type === 'dir',
      isSymbolicLink: entry.type === 'symlink',
      mode: entry.mode,
      size: fileSize(entry),
      mtime: new Date(entry.mtimeMs),
    };
  }

  // ---- the base, through the host's trusted context ------------------------------------------

  private host<T>(call: () => Promise<T>): Promise<T> {
    return DefenseInDepthBox.runTrustedAsync(call).catch((error: unknown) => {
      if (error instanceof FsError) throw error;
      this.hooks.onHostError(error);
      const stop = new Error('exec stopped: the container filesystem could not be read');
      this.stop(stop);
      throw stop;
    });
  }

  private baseLookup(path: string): Promise<FsNode | null> {
    let pending = this.baseNodes.get(path);
    if (!pending) {
      pending = this.host(() => this.base.lookup(path));
      this.baseNodes.set(path, pending);
    }
    return pending;
  }

  private baseList(dir: string): Promise<FsNode[]> {
    let pending = this.baseLists.get(dir);
    if (!pending) {
      pending = this.host(() => this.base.list(dir));
      this.baseLists.set(dir, pending);
    }
    return pending;
  }

  private async content(data: FileData): Promise<Uint8Array> {
    if ('body' in data) return data.body.bytes.subarray(0, data.length);
    let node = data.node;
    if (!node.digest && node.type === 'hardlink' && node.linkTarget) {
      const target = await this.baseLookup(node.linkTarget);
      if (target) node = target;
    }
    const key = node.digest ?? node.path;
    const cached = this.baseContent.get(key);
    if (cached) return cached;
    const pending = this.host(() => this.base.read(node));
    if (this.baseContentBytes + node.size <= baseContentCacheBytes) {
      this.baseContent.set(key, pending);
      this.baseContentBytes += node.size;
    }
    return pending;
  }
}
