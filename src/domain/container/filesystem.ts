import { assertNever } from '../decider.ts';
import { parseDigest } from '../digest.ts';
import { conflictError, notFoundError, type StrataError, validationError } from '../errors.ts';
import type { FsNode } from '../fs/node.ts';
import { ancestorsOf, isWithin, normalizePath, parentOf } from '../fs/paths.ts';
import type {
  ChangeMode,
  ChangeOwner,
  ContainerFsCommand,
  CreateHardlink,
  CreateSymlink,
  MakeDirectory,
  RemovePath,
  RenamePath,
  WriteFile,
} from './commands.ts';
import type { ContainerEvent } from './events.ts';
import { assertWritable, secondsOf } from './guards.ts';
import type { ContainerState } from './state.ts';
import { LayerDraft } from './writableLayer.ts';

/**
 * Filesystem commands on the writable layer, decided as overlayfs would change the upper
 * directory: a lower file is copied up on its first change (content or metadata), ancestor
 * directories are copied up with their lower attributes, deleting a lower path leaves a whiteout,
 * and a directory created where a deleted lower directory stood is opaque. Errors are worded like
 * the coreutils a shell session would run (`rm: cannot remove '/x': Directory not empty`).
 */
export function decideFilesystem(command: ContainerFsCommand, state: ContainerState): ContainerEvent[] {
  const live = assertWritable(state, command.data.containerId);
  const mtime = secondsOf(command.data.now);
  const draft = new LayerDraft(
    live.layer,
    command.data.lower,
    'lowerChildren' in command.data ? command.data.lowerChildren : undefined,
  );
  switch (command.type) {
    case 'WriteFile':
      writeFile(command, draft, mtime);
      break;
    case 'MakeDirectory':
      makeDirectory(command, draft, mtime);
      break;
    case 'CreateSymlink':
      createSymlink(command, draft, mtime);
      break;
    case 'CreateHardlink':
      createHardlink(command, draft);
      break;
    case 'ChangeMode':
      changeMode(command, draft);
      break;
    case 'ChangeOwner':
      changeOwner(command, draft);
      break;
    case 'RenamePath':
      renamePath(command, draft);
      break;
    case 'RemovePath':
      removePath(command, draft);
      break;
    default:
      return assertNever(command);
  }
  return draft.events;
}

function writeFile({ data }: WriteFile, draft: LayerDraft, mtime: number): void {
  const path = checkPath(data.path);
  const verb = `cannot ${data.append ? 'append to' : 'create'} '${path}'`;
  if (path === '/') throw fsConflict(verb, 'Is a directory');
  const digest = parseDigest(data.digest);
  checkCount('size', data.size);
  checkOwnership(data);
  if (data.mode !== undefined) checkMode(data.mode);
  ensureParents(draft, path, data.createParents, verb, mtime);
  const existing = draft.lookup(path);
  if (existing?.type === 'dir') throw fsConflict(verb, 'Is a directory');
  if (existing?.type === 'symlink') {
    throw validationError(`${verb}: it is a symbolic link (give the path it resolves to)`, { path });
  }
  if (existing && existing.type !== 'file' && existing.type !== 'hardlink') {
    throw validationError(`${verb}: not a regular file`, { path });
  }
  const operation = data.append ? 'append' : 'write';
  if (!existing) {
    draft.copyUpAncestors(path);
    draft.write(
      path,
      {
        path,
        type: 'file',
        mode: data.mode ?? 0o644,
        uid: data.uid ?? 0,
        gid: data.gid ?? 0,
        size: data.size,
        digest,
        mtime,
      },
      operation,
    );
    return;
  }
  // Writing goes to the inode: every name of it sees the new content.
  const { canonical, inode } = inodeOf(draft, path);
  writeInode(
    draft,
    canonical,
    {
      path: canonical,
      type: 'file',
      mode: data.mode ?? inode.mode,
      uid: data.uid ?? inode.uid,
      gid: data.gid ?? inode.gid,
      size: data.size,
      digest,
      mtime,
    },
    operation,
  );
}

function makeDirectory({ data }: MakeDirectory, draft: LayerDraft, mtime: number): void {
  const path = checkPath(data.path);
  const verb = `mkdir: cannot create directory '${path}'`;
  checkOwnership(data);
  if (data.mode !== undefined) checkMode(data.mode);
  if (path === '/') {
    if (data.parents) return;
    throw fsConflict(verb, 'File exists');
  }
  ensureParents(draft, path, data.parents, verb, mtime);
  const existing = draft.lookup(path);
  if (existing) {
    if (existing.type === 'dir' && data.parents) return;
    throw fsConflict(verb, 'File exists');
  }
  createDirectory(
    draft,
    path,
    { mode: data.mode ?? 0o755, uid: data.uid ?? 0, gid: data.gid ?? 0, mtime },
    'mkdir',
  );
}

function createSymlink({ data }: CreateSymlink, draft: LayerDraft, mtime: number): void {
  const path = checkPath(data.path);
  const verb = `ln: failed to create symbolic link '${path}'`;
  checkOwnership(data);
  if (data.target === '' || data.target.includes('\0'))
    throw validationError(`${verb}: invalid target`, { target: data.target });
  if (path === '/') throw fsConflict(verb, 'File exists');
  ensureParents(draft, path, data.createParents ?? false, verb, mtime);
  if (draft.lookup(path)) throw fsConflict(verb, 'File exists');
  draft.copyUpAncestors(path);
  draft.write(
    path,
    {
      path,
      type: 'symlink',
      mode: 0o777,
      uid: data.uid ?? 0,
      gid: data.gid ?? 0,
      size: Buffer.byteLength(data.target, 'utf8'),
      linkTarget: data.target,
      mtime,
    },
    'symlink',
  );
}

/**
 * A hard link shares its target's inode: the link node carries the target's attributes and
 * content. The target is copied up first when only a lower layer has it (overlayfs copies up on
 * link()), so the committed layer holds both and its tar link resolves inside the layer.
 */
function createHardlink({ data }: CreateHardlink, draft: LayerDraft): void {
  const path = checkPath(data.path);
  const target = checkPath(data.target);
  const verb = `ln: failed to create hard link '${path}'`;
  const found = draft.lookup(target);
  if (!found) throw fsNotFound(`ln: failed to access '${target}'`, 'No such file or directory');
  if (found.type === 'dir')
    throw validationError(`ln: '${target}': hard link not allowed for directory`, { path: target });
  if (path === '/') throw fsConflict(verb, 'File exists');
  ensureParents(draft, path, false, verb, 0);
  if (draft.lookup(path)) throw fsConflict(verb, 'File exists');

  const { canonical, inode } = inodeOf(draft, target);
  if (draft.upperNode(canonical)?.type !== inode.type) {
    draft.copyUpAncestors(canonical);
    draft.write(canonical, inode, 'copy-up');
  }
  draft.copyUpAncestors(path);
  draft.write(path, linkNode(inode, path, canonical), 'link');
}

function changeMode({ data }: ChangeMode, draft: LayerDraft): void {
  const path = checkPath(data.path);
  checkMode(data.mode);
  if (!draft.lookup(path)) throw fsNotFound(`chmod: cannot access '${path}'`, 'No such file or directory');
  const { canonical, inode } = inodeOf(draft, path);
  if (inode.mode === data.mode) return;
  writeInode(draft, canonical, { ...inode, mode: data.mode }, 'chmod');
}

function changeOwner({ data }: ChangeOwner, draft: LayerDraft): void {
  const path = checkPath(data.path);
  checkCount('uid', data.uid);
  checkCount('gid', data.gid);
  if (!draft.lookup(path)) throw fsNotFound(`chown: cannot access '${path}'`, 'No such file or directory');
  const { canonical, inode } = inodeOf(draft, path);
  if (inode.uid === data.uid && inode.gid === data.gid) return;
  writeInode(draft, canonical, { ...inode, uid: data.uid, gid: data.gid }, 'chown');
}

/**
 * rename(2) over the union: overlayfs cannot rename a lower directory in place (EXDEV; `mv` then
 * copies and deletes), so the result is always the same: the whole merged subtree is written at
 * the new path (keeping attributes and mtimes) and the old path removed, with a whiteout when a
 * lower layer has it. A directory landing where a lower directory is hidden becomes opaque.
 */
function renamePath({ data }: RenamePath, draft: LayerDraft): void {
  const from = checkPath(data.from);
  const to = checkPath(data.to);
  const verb = `mv: cannot move '${from}' to '${to}'`;
  if (from === '/' || to === '/')
    throw validationError(`${verb}: cannot move the root directory or replace it`);
  const source = draft.lookup(from);
  if (!source) throw fsNotFound(`mv: cannot stat '${from}'`, 'No such file or directory');
  if (from === to) return;
  if (isWithin(to, from))
    throw validationError(`mv: cannot move '${from}' to a subdirectory of itself, '${to}'`, { from, to });
  const parent = draft.lookup(parentOf(to));
  if (!parent) throw fsNotFound(verb, 'No such file or directory');
  if (parent.type !== 'dir') throw fsConflict(verb, 'Not a directory');
  const target = draft.lookup(to);
  if (target) {
    if (source.type === 'dir' && target.type !== 'dir')
      throw fsConflict(`mv: cannot overwrite non-directory '${to}' with directory '${from}'`);
    if (source.type !== 'dir' && target.type === 'dir')
      throw fsConflict(`mv: cannot overwrite directory '${to}' with non-directory`);
    if (target.type === 'dir' && draft.children(to).length > 0) throw fsConflict(verb, 'Directory not empty');
    // rename(2) of two names of one inode does nothing.
    if (target.type !== 'dir' && inodeOf(draft, from).canonical === inodeOf(draft, to).canonical) return;
  }

  const subtree = draft.subtree(from);
  if (target?.type === 'dir') {
    draft.copyUpAncestors(to);
    draft.remove(to, 'rename');
  } else if (target) {
    detachLinks(draft, to, 'rename');
  }
  draft.copyUpAncestors(to);
  for (const node of subtree) {
    const path = to + node.path.slice(from.length);
    const moved: FsNode = { ...node, path };
    if (node.type === 'hardlink' && node.linkTarget !== undefined && isWithin(node.linkTarget, from)) {
      moved.linkTarget = to + node.linkTarget.slice(from.length);
    }
    draft.write(path, moved, 'rename');
    if (path === to && node.type === 'dir' && draft.visibleLower(to)?.type === 'dir') draft.markOpaque(to);
  }
  for (const link of draft.upperLinksInto(from)) {
    if (!isWithin(link.path, from))
      draft.write(link.path, { ...link, linkTarget: to + link.linkTarget!.slice(from.length) }, 'rename');
  }
  draft.copyUpAncestors(from);
  draft.remove(from, 'rename');
}

function removePath({ data }: RemovePath, draft: LayerDraft): void {
  const path = checkPath(data.path);
  if (path === '/') throw validationError("rm: it is dangerous to operate recursively on '/'");
  const verb = `rm: cannot remove '${path}'`;
  const existing = draft.lookup(path);
  if (!existing) throw fsNotFound(verb, 'No such file or directory');
  if (existing.type === 'dir' && !data.recursive && draft.children(path).length > 0)
    throw fsConflict(verb, 'Directory not empty');
  detachLinks(draft, path, 'remove');
  draft.copyUpAncestors(path);
  draft.remove(path, 'remove');
}

/**
 * The name that holds the inode at `path`, and the inode's data. A hard link made in this
 * container shares its first name's inode (the link node mirrors it); a hard link that came with
 * the image is broken by its copy-up (overlayfs without the index feature) and stands for itself,
 * as a regular file.
 */
function inodeOf(draft: LayerDraft, path: string): { canonical: string; inode: FsNode } {
  const node = draft.lookup(path)!;
  if (node.type === 'hardlink' && node.linkTarget !== undefined && draft.hasUpper(path)) {
    const first = draft.upperNode(node.linkTarget);
    if (first && first.type !== 'dir' && first.type !== 'hardlink')
      return { canonical: node.linkTarget, inode: first };
  }
  return { canonical: path, inode: asInode(node, path) };
}

/** A hard link turned into the file it stands for. */
function asInode(node: FsNode, path: string): FsNode {
  if (node.type !== 'hardlink') return node;
  const { linkTarget: _target, ...inode } = node;
  return { ...inode, path, type: 'file' };
}

function linkNode(inode: FsNode, path: string, target: string): FsNode {
  const { linkTarget: _symlinkTarget, ...data } = inode;
  return { ...data, path, type: 'hardlink', linkTarget: target };
}

/** New inode data, written under its first name and mirrored in every upper link to it. */
function writeInode(draft: LayerDraft, canonical: string, inode: FsNode, operation: string): void {
  draft.copyUpAncestors(canonical);
  draft.write(canonical, inode, operation);
  for (const link of draft.upperLinksInto(canonical)) {
    if (link.linkTarget === canonical)
      draft.write(link.path, linkNode(inode, link.path, canonical), operation);
  }
}

/**
 * Before `path` and its subtree go, hard links elsewhere to inodes inside keep those inodes alive:
 * the first such link (path order) becomes the inode's name, the others link to it.
 */
function detachLinks(draft: LayerDraft, path: string, operation: string): void {
  const groups = new Map<string, FsNode[]>();
  for (const link of draft.upperLinksInto(path)) {
    if (isWithin(link.path, path)) continue;
    const group = groups.get(link.linkTarget!) ?? [];
    group.push(link);
    groups.set(link.linkTarget!, group);
  }
  for (const [target, [first, ...others]] of groups) {
    const inode = draft.upperNode(target) ?? asInode(first!, first!.path);
    draft.write(first!.path, { ...inode, path: first!.path }, operation);
    for (const link of others) draft.write(link.path, linkNode(inode, link.path, first!.path), operation);
  }
}

/**
 * Makes every ancestor of `path` exist as a directory: a missing one is an error unless `create`,
 * which makes it (0755, root; opaque when it replaces a deleted lower directory). A
 * non-directory in the way is always an error.
 */
function ensureParents(draft: LayerDraft, path: string, create: boolean, verb: string, mtime: number): void {
  for (const ancestor of ancestorsOf(path)) {
    if (ancestor === '/') continue;
    const node = draft.lookup(ancestor);
    if (node?.type === 'dir') continue;
    if (node) throw fsConflict(verb, 'Not a directory');
    if (!create) throw fsNotFound(verb, 'No such file or directory');
    createDirectory(draft, ancestor, { mode: 0o755, uid: 0, gid: 0, mtime }, 'mkdir');
  }
}

function createDirectory(
  draft: LayerDraft,
  path: string,
  attributes: Pick<FsNode, 'mode' | 'uid' | 'gid' | 'mtime'>,
  operation: string,
): void {
  draft.copyUpAncestors(path);
  draft.write(path, { path, type: 'dir', size: 0, ...attributes }, operation);
  if (draft.visibleLower(path)?.type === 'dir') draft.markOpaque(path);
}

function checkPath(path: string): string {
  if (typeof path !== 'string' || path.includes('\0') || normalizePath(path) !== path) {
    throw validationError(`path must be absolute and normalised: ${JSON.stringify(path)}`, { path });
  }
  return path;
}

function checkMode(mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)
    throw validationError(`invalid mode ${mode}: expected permission bits 0..07777`);
}

function checkCount(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw validationError(`${field} must be a non-negative integer, got ${value}`);
}

function checkOwnership(data: { uid?: number; gid?: number }): void {
  if (data.uid !== undefined) checkCount('uid', data.uid);
  if (data.gid !== undefined) checkCount('gid', data.gid);
}

const fsConflict = (verb: string, reason?: string): StrataError =>
  conflictError(reason ? `${verb}: ${reason}` : verb);
const fsNotFound = (verb: string, reason: string): StrataError => notFoundError(`${verb}: ${reason}`);
