import type { ContainerEvent } from '../../../src/domain/container/events.ts';
import { type Digest, sha256Digest } from '../../../src/domain/digest.ts';
import type { FsNode } from '../../../src/domain/fs/node.ts';
import { comparePaths, parentOf } from '../../../src/domain/fs/paths.ts';

export const containerId = 'a'.repeat(64);
export const otherId = 'b'.repeat(64);
export const imageId = sha256Digest('image config');
export const t0 = '2026-01-01T00:00:00.000Z';
export const now = '2026-01-02T03:04:05.000Z';
export const nowSeconds = Date.parse(now) / 1000;

export const content = (text: string): Digest => sha256Digest(text);

export const dir = (path: string, over: Partial<FsNode> = {}): FsNode => ({
  path,
  type: 'dir',
  mode: 0o755,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 100,
  ...over,
});
export const file = (path: string, over: Partial<FsNode> = {}): FsNode => ({
  path,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 5,
  digest: content(path),
  mtime: 100,
  ...over,
});
export const symlink = (path: string, target: string): FsNode => ({
  path,
  type: 'symlink',
  mode: 0o777,
  uid: 0,
  gid: 0,
  size: target.length,
  linkTarget: target,
  mtime: 100,
});

/** The image's merged view as the app layer would serve it to decide. */
export function lowerView(nodes: FsNode[]) {
  const map = new Map(nodes.map((n) => [n.path, n]));
  if (!map.has('/')) map.set('/', dir('/'));
  return {
    map,
    lower: (path: string) => map.get(path),
    lowerChildren: (path: string) =>
      [...map.values()]
        .filter((n) => n.path !== '/' && parentOf(n.path) === path)
        .sort((a, b) => comparePaths(a.path, b.path)),
  };
}

/** A small image: /etc (passwd, hosts, ssl/cert.pem), /bin/sh, /usr/lib/x.so (and y.so, a hard link to it), /var/empty, /link → etc. */
export const image = lowerView([
  dir('/etc'),
  file('/etc/passwd', { size: 10 }),
  file('/etc/hosts'),
  dir('/etc/ssl', { mode: 0o700 }),
  file('/etc/ssl/cert.pem'),
  dir('/bin'),
  file('/bin/sh', { mode: 0o755, size: 1000 }),
  dir('/usr'),
  dir('/usr/lib'),
  file('/usr/lib/x.so'),
  {
    ...file('/usr/lib/y.so', { digest: content('/usr/lib/x.so') }),
    type: 'hardlink',
    linkTarget: '/usr/lib/x.so',
  },
  dir('/var'),
  dir('/var/empty'),
  symlink('/link', 'etc'),
]);
export const { lower, lowerChildren } = image;

export const createdEvent: ContainerEvent = {
  type: 'ContainerCreated',
  data: { containerId, name: 'web', imageId, imageReference: 'ubuntu', cmd: ['/bin/sh'], created: t0 },
};
export const started: ContainerEvent = { type: 'ContainerStarted', data: { startedAt: t0 } };
export const stopped = (exitCode = 0, finishedAt = t0): ContainerEvent => ({
  type: 'ContainerStopped',
  data: { exitCode, finishedAt },
});
export const paused: ContainerEvent = { type: 'ContainerPaused', data: { pausedAt: t0 } };
export const removed = (force = false): ContainerEvent => ({
  type: 'ContainerRemoved',
  data: { force, removedAt: t0 },
});

export const written = (node: FsNode, operation: string): ContainerEvent => ({
  type: 'ContainerPathWritten',
  data: { path: node.path, node, operation },
});
export const copiedUp = (node: FsNode): ContainerEvent => written(node, 'copy-up');
export const pathRemoved = (path: string, whiteout: boolean, operation = 'remove'): ContainerEvent => ({
  type: 'ContainerPathRemoved',
  data: { path, whiteout, operation },
});
export const opaqued = (path: string): ContainerEvent => ({
  type: 'ContainerDirectoryOpaqued',
  data: { path },
});
