/**
 * The oracle for "Strata's merged view equals what umoci unpacks": both sides as one comparable
 * listing of every path (type, mode incl. setuid/setgid/sticky, uid/gid, size, content sha256, link
 * target, device numbers, mtime).
 *
 *   const unpacked = await umociRootfs(layout, 'app1');   // cached per layout+tag in this process
 *   const view = await strataTree(strata.db, image.top_chain_id);
 *   expect(compareTrees(view, unpacked)).toEqual([]);
 *
 * What is compared, and the documented differences:
 * - A hardlink is type `hardlink` in Strata's view (with its target's attributes: it shares the
 *   inode); on disk it is a regular file. Both become `file` here, and the on-disk paths must share
 *   one inode with their target (`hardlinkTargets`).
 * - Directory mtimes are not compared: extracting a directory's children after the directory
 *   changes its mtime on disk, and umoci restores only what its own bookkeeping covers; Strata keeps
 *   the tar header's mtime. Implicit parents (no tar entry) are 0755 root:root with mtime 0 in Strata.
 * - Sizes are compared for regular files only (a directory's or symlink's st_size is the filesystem's).
 * - Ownership needs an unpack as root; a rootless unpack maps everything to the caller, so uid/gid
 *   are then left out (`ownership: false`).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import type { FsNode } from '../../src/domain/fs/node.ts';
import { FileView } from '../../src/projections/fileView.ts';
import type { ProjectionTables } from '../../src/projections/tables.ts';

const run = promisify(execFile);

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: number;
  uid?: number;
  gid?: number;
  size?: number;
  sha256?: string;
  linkTarget?: string;
  rdev?: string;
  mtime?: number;
}

export interface Tree {
  entries: Map<string, TreeEntry>;
  /** path of a hardlink → path of its target (Strata) or of the first path with that inode (disk). */
  hardlinks: Map<string, string>;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

const fileHash = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(`sha256:${hash.digest('hex')}`))
      .on('error', reject);
  });

/** Walks an unpacked rootfs with lstat. */
export async function diskTree(rootfs: string, options: { ownership?: boolean } = {}): Promise<Tree> {
  const ownership = options.ownership ?? isRoot();
  const entries = new Map<string, TreeEntry>();
  const hardlinks = new Map<string, string>();
  const inodes = new Map<string, string>();
  const visit = async (path: string, abs: string) => {
    const st = await lstat(abs);
    const type: TreeEntry['type'] = st.isFile()
      ? 'file'
      : st.isDirectory()
        ? 'dir'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isCharacterDevice()
            ? 'char'
            : st.isBlockDevice()
              ? 'block'
              : st.isFIFO()
                ? 'fifo'
                : 'socket';
    const entry: TreeEntry = { type, mode: st.mode & 0o7777 };
    if (ownership) {
      entry.uid = st.uid;
      entry.gid = st.gid;
    }
    if (type === 'file') {
      entry.size = st.size;
      entry.sha256 = await fileHash(abs);
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = inodes.get(key);
        if (first) hardlinks.set(path, first);
        else inodes.set(key, path);
      }
    }
    if (type === 'symlink') entry.linkTarget = await readlink(abs);
    if (type === 'char' || type === 'block') entry.rdev = `${Math.floor(st.rdev / 256)}:${st.rdev % 256}`;
    if (type !== 'dir') entry.mtime = Math.floor(st.mtimeMs / 1000);
    entries.set(path, entry);
    if (type === 'dir') {
      const names = (await readdir(abs)).sort();
      for (const name of names) await visit(path === '/' ? `/${name}` : `${path}/${name}`, join(abs, name));
    }
  };
  await visit('/', rootfs);
  return { entries, hardlinks };
}

/** Strata's merged view of a chain (FileView.files over the whole tree, page by page). */
export async function strataTree(
  db: Kysely<ProjectionTables>,
  chainId: string | null,
  options: { ownership?: boolean } = {},
): Promise<Tree> {
  const ownership = options.ownership ?? isRoot();
  const view = new FileView(db, chainId);
  const entries = new Map<string, TreeEntry>();
  const hardlinks = new Map<string, string>();
  let after: string | undefined;
  for (;;) {
    const page = await view.files('/', 1000, after);
    for (const { node } of page.entries) {
      entries.set(node.path, nodeEntry(node, ownership));
      if (node.type === 'hardlink') hardlinks.set(node.path, node.linkTarget!);
    }
    if (!page.hasNextPage) break;
    after = page.entries.at(-1)!.node.path;
  }
  return { entries, hardlinks };
}

function nodeEntry(node: FsNode, ownership: boolean): TreeEntry {
  const type = node.type === 'hardlink' ? 'file' : node.type;
  const entry: TreeEntry = { type, mode: node.mode };
  if (ownership) {
    entry.uid = node.uid;
    entry.gid = node.gid;
  }
  if (type === 'file') {
    entry.size = node.size;
    entry.sha256 = node.size === 0 ? emptySha256 : node.digest!;
  }
  if (type === 'symlink') entry.linkTarget = node.linkTarget!;
  if (type === 'char' || type === 'block') entry.rdev = `${node.devMajor ?? 0}:${node.devMinor ?? 0}`;
  if (type !== 'dir') entry.mtime = node.mtime;
  return entry;
}

const emptySha256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Differences between Strata's view and the unpacked directory, as readable strings (empty when
 * equal). Hardlinks: every Strata hardlink must share an inode on disk with its target.
 */
export function compareTrees(strata: Tree, disk: Tree): string[] {
  const problems: string[] = [];
  for (const [path, entry] of strata.entries) {
    const other = disk.entries.get(path);
    if (!other) {
      problems.push(`only in Strata: ${path} ${JSON.stringify(entry)}`);
      continue;
    }
    const a = JSON.stringify(entry);
    const b = JSON.stringify(other);
    if (a !== b) problems.push(`differs: ${path}\n  strata ${a}\n  disk   ${b}`);
  }
  for (const [path, entry] of disk.entries) {
    if (!strata.entries.has(path)) problems.push(`only on disk: ${path} ${JSON.stringify(entry)}`);
  }
  const inode = (path: string) => disk.hardlinks.get(path) ?? path;
  for (const [path, target] of strata.hardlinks) {
    if (inode(path) !== inode(target))
      problems.push(`hardlink ${path} → ${target} does not share an inode on disk`);
  }
  return problems;
}

const unpacked = new Map<string, Promise<Tree>>();

/**
 * `umoci unpack` of `layout:tag` (as root: ownership kept; else --rootless), walked into a Tree.
 * Cached per layout and tag for the process; the unpacked directory is removed after the walk.
 */
export function umociTree(layout: string, tag: string): Promise<Tree> {
  const key = `${layout}\0${tag}`;
  let tree = unpacked.get(key);
  if (!tree) {
    tree = unpackAndWalk(layout, tag);
    unpacked.set(key, tree);
  }
  return tree;
}

export async function unpackAndWalk(layout: string, tag: string): Promise<Tree> {
  const work = await mkdtemp(join(tmpdir(), 'strata-unpack-'));
  try {
    const bundle = join(work, 'bundle');
    await run(
      'umoci',
      ['unpack', ...(isRoot() ? [] : ['--rootless']), '--image', `${layout}:${tag}`, bundle],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return await diskTree(join(bundle, 'rootfs'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
