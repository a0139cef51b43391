import { describe, expect, it } from 'vitest';
import type { ContainerCommand } from '../../../src/domain/container/commands.ts';
import { containerDecider } from '../../../src/domain/container/decide.ts';
import type { ContainerEvent } from '../../../src/domain/container/events.ts';
import { type ContainerState, foldContainer } from '../../../src/domain/container/state.ts';
import { emptyWritableLayer, lookupPath } from '../../../src/domain/container/writableLayer.ts';
import { specFor } from '../../support/given.ts';
import {
  containerId,
  content,
  copiedUp,
  createdEvent,
  dir,
  file,
  imageId,
  lower,
  lowerChildren,
  now,
  nowSeconds,
  opaqued,
  pathRemoved,
  paused,
  removed,
  started,
  stopped,
  symlink,
  t0,
  written,
} from './fixtures.ts';

const given = specFor(containerDecider);
const fs = { containerId, now, lower };

const write = (
  path: string,
  text: string,
  over: Partial<Extract<ContainerCommand, { type: 'WriteFile' }>['data']> = {},
): ContainerCommand => ({
  type: 'WriteFile',
  data: {
    ...fs,
    path,
    digest: content(text),
    size: text.length,
    append: false,
    createParents: false,
    ...over,
  },
});
const mkdir = (
  path: string,
  parents = false,
  over: { mode?: number; uid?: number } = {},
): ContainerCommand => ({
  type: 'MakeDirectory',
  data: { ...fs, path, parents, ...over },
});
const rm = (path: string, recursive = false): ContainerCommand => ({
  type: 'RemovePath',
  data: { ...fs, path, recursive, lowerChildren },
});
const mv = (from: string, to: string): ContainerCommand => ({
  type: 'RenamePath',
  data: { ...fs, from, to, lowerChildren },
});
const chmod = (path: string, mode: number): ContainerCommand => ({
  type: 'ChangeMode',
  data: { ...fs, path, mode },
});
const chown = (path: string, uid: number, gid: number): ContainerCommand => ({
  type: 'ChangeOwner',
  data: { ...fs, path, uid, gid },
});
const ln = (target: string, path: string): ContainerCommand => ({
  type: 'CreateHardlink',
  data: { ...fs, path, target },
});
const lns = (target: string, path: string, createParents = false): ContainerCommand => ({
  type: 'CreateSymlink',
  data: { ...fs, path, target, createParents },
});

/** A new regular file as WriteFile makes it. */
const newFile = (path: string, text: string, over = {}) =>
  file(path, { size: text.length, digest: content(text), mtime: nowSeconds, ...over });
const newDir = (path: string, over = {}) => dir(path, { mtime: nowSeconds, ...over });

const running = [createdEvent, started];

/** Applies a decision and returns the resulting state, for chained scenarios. */
function applied(history: ContainerEvent[], ...commands: ContainerCommand[]): ContainerEvent[] {
  let state: ContainerState = foldContainer(history);
  const events = [...history];
  for (const command of commands) {
    const decided = containerDecider.decide(command, state);
    state = foldContainer(decided, state);
    events.push(...decided);
  }
  return events;
}

describe('WriteFile', () => {
  it('creates a file in a lower directory, copying the directory up first', () => {
    given(running)
      .when(write('/etc/motd', 'hello'))
      .then([copiedUp(dir('/etc')), written(newFile('/etc/motd', 'hello'), 'write')]);
  });

  it('overwrites a lower file keeping its mode and owner (copy-up with new content)', () => {
    given(running)
      .when(write('/bin/sh', 'new shell'))
      .then([copiedUp(dir('/bin')), written(newFile('/bin/sh', 'new shell', { mode: 0o755 }), 'write')]);
  });

  it('appends: the app gives the concatenated digest and size', () => {
    given(running)
      .when(write('/etc/passwd', 'root:x:0:0\nme', { append: true }))
      .then([copiedUp(dir('/etc')), written(newFile('/etc/passwd', 'root:x:0:0\nme'), 'append')]);
  });

  it('copies a parent up only once', () => {
    given(applied(running, write('/etc/a', 'a')))
      .when(write('/etc/b', 'b'))
      .then([written(newFile('/etc/b', 'b'), 'write')]);
  });

  it('takes mode and owner from the command', () => {
    given(running)
      .when(write('/x', 'x', { mode: 0o600, uid: 1000, gid: 1000 }))
      .then([written(newFile('/x', 'x', { mode: 0o600, uid: 1000, gid: 1000 }), 'write')]);
  });

  it('creates missing parents when asked (0755, root), copying up the existing ones', () => {
    given(running)
      .when(write('/usr/lib/new/deep/f', 'f', { createParents: true }))
      .then([
        copiedUp(dir('/usr')),
        copiedUp(dir('/usr/lib')),
        written(newDir('/usr/lib/new'), 'mkdir'),
        written(newDir('/usr/lib/new/deep'), 'mkdir'),
        written(newFile('/usr/lib/new/deep/f', 'f'), 'write'),
      ]);
  });

  it('refuses a missing parent, a parent that is a file, a directory and a symlink', () => {
    given(running)
      .when(write('/nope/f', 'f'))
      .thenThrows('NOT_FOUND', "cannot create '/nope/f': No such file or directory");
    given(running)
      .when(write('/etc/passwd/f', 'f', { createParents: true }))
      .thenThrows('CONFLICT', "cannot create '/etc/passwd/f': Not a directory");
    given(running).when(write('/etc', 'f')).thenThrows('CONFLICT', "cannot create '/etc': Is a directory");
    given(running)
      .when(write('/link', 'f'))
      .thenThrows('VALIDATION', /symbolic link/);
  });

  it('refuses paths that are not normalised, and bad digests', () => {
    given(running)
      .when(write('etc/x', 'x'))
      .thenThrows('VALIDATION', /absolute and normalised/);
    given(running)
      .when(write('/etc/../x', 'x'))
      .thenThrows('VALIDATION', /absolute and normalised/);
    given(running)
      .when(write('/etc/x/', 'x'))
      .thenThrows('VALIDATION', /absolute and normalised/);
    given(running)
      .when(write('/x', 'x', { digest: 'sha256:zz' as never }))
      .thenThrows('VALIDATION', /invalid digest/);
  });
});

describe('the writable layer follows the container, like docker cp', () => {
  it('is writable when created, paused or exited', () => {
    for (const history of [[createdEvent], [...running, paused], [...running, stopped(0)]]) {
      given(history)
        .when(write('/x', 'x'))
        .then([written(newFile('/x', 'x'), 'write')]);
    }
  });

  it('is gone once the container is removed', () => {
    given([...running, stopped(0), removed()])
      .when(write('/x', 'x'))
      .thenThrows('NOT_FOUND', `No such container: ${containerId}`);
    given([]).when(write('/x', 'x')).thenThrows('NOT_FOUND', `No such container: ${containerId}`);
  });

  it('cannot change while the container is marked for removal', () => {
    const dead: ContainerState = {
      status: 'dead',
      container: { containerId, name: 'web', imageId, cmd: [], created: t0, restartCount: 0 },
      layer: emptyWritableLayer(),
    };
    given
      .givenState(dead)
      .when(write('/x', 'x'))
      .thenThrows('CONFLICT', `container ${containerId} is marked for removal and cannot be changed`);
  });

  it('keeps writes across stop and start', () => {
    const history = applied(running, write('/etc/motd', 'hi'));
    const state = foldContainer([...history, stopped(0), started]);
    expect(state.status === 'running' && lookupPath(state.layer, lower, '/etc/motd')).toEqual(
      newFile('/etc/motd', 'hi'),
    );
  });
});

describe('MakeDirectory', () => {
  it('makes a directory (0755 by default, or the mode given)', () => {
    given(running)
      .when(mkdir('/data'))
      .then([written(newDir('/data'), 'mkdir')]);
    given(running)
      .when(mkdir('/etc/conf.d', false, { mode: 0o750 }))
      .then([copiedUp(dir('/etc')), written(newDir('/etc/conf.d', { mode: 0o750 }), 'mkdir')]);
  });

  it('with parents, makes the missing ones and accepts an existing directory', () => {
    given(running)
      .when(mkdir('/a/b/c', true))
      .then([
        written(newDir('/a'), 'mkdir'),
        written(newDir('/a/b'), 'mkdir'),
        written(newDir('/a/b/c'), 'mkdir'),
      ]);
    given(running).when(mkdir('/etc/ssl', true)).thenNothing();
    given(running).when(mkdir('/', true)).thenNothing();
  });

  it('refuses an existing path and a missing parent, as mkdir does', () => {
    given(running)
      .when(mkdir('/etc'))
      .thenThrows('CONFLICT', "mkdir: cannot create directory '/etc': File exists");
    given(running)
      .when(mkdir('/etc/passwd', true))
      .thenThrows('CONFLICT', "mkdir: cannot create directory '/etc/passwd': File exists");
    given(running)
      .when(mkdir('/a/b'))
      .thenThrows('NOT_FOUND', "mkdir: cannot create directory '/a/b': No such file or directory");
    given(running).when(mkdir('/')).thenThrows('CONFLICT', "mkdir: cannot create directory '/': File exists");
  });
});

describe('ChangeMode / ChangeOwner: copy-up on the first metadata change', () => {
  it('copies a lower file up whole, with the new mode', () => {
    given(running)
      .when(chmod('/etc/passwd', 0o600))
      .then([copiedUp(dir('/etc')), written(file('/etc/passwd', { size: 10, mode: 0o600 }), 'chmod')]);
  });

  it('changes a lower directory without touching its children', () => {
    given(running)
      .when(chmod('/etc/ssl', 0o755))
      .then([copiedUp(dir('/etc')), written(dir('/etc/ssl'), 'chmod')]);
  });

  it('changes the owner', () => {
    given(running)
      .when(chown('/usr/lib/x.so', 1, 2))
      .then([
        copiedUp(dir('/usr')),
        copiedUp(dir('/usr/lib')),
        written(file('/usr/lib/x.so', { uid: 1, gid: 2 }), 'chown'),
      ]);
  });

  it('changes the root directory itself', () => {
    given(running)
      .when(chmod('/', 0o700))
      .then([written(dir('/', { mode: 0o700 }), 'chmod')]);
  });

  it('decides nothing when nothing changes, and refuses missing paths or bad values', () => {
    given(running).when(chmod('/etc/passwd', 0o644)).thenNothing();
    given(running)
      .when(chown('/etc/passwd', 0, 0))
      .thenNothing();
    given(running)
      .when(chmod('/nope', 0o644))
      .thenThrows('NOT_FOUND', "chmod: cannot access '/nope': No such file or directory");
    given(running)
      .when(chown('/nope', 1, 1))
      .thenThrows('NOT_FOUND', "chown: cannot access '/nope': No such file or directory");
    given(running)
      .when(chmod('/etc', 0o10000))
      .thenThrows('VALIDATION', /invalid mode/);
    given(running)
      .when(chown('/etc', -1, 0))
      .thenThrows('VALIDATION', /uid must be a non-negative integer/);
  });
});

describe('RemovePath', () => {
  it('whites out a lower file', () => {
    given(running)
      .when(rm('/etc/passwd'))
      .then([copiedUp(dir('/etc')), pathRemoved('/etc/passwd', true)]);
  });

  it('drops a file only the writable layer has (no whiteout)', () => {
    given(applied(running, write('/etc/motd', 'x')))
      .when(rm('/etc/motd'))
      .then([pathRemoved('/etc/motd', false)]);
  });

  it('whites out a lower directory with one whiteout for the whole subtree', () => {
    given(running)
      .when(rm('/etc', true))
      .then([pathRemoved('/etc', true)]);
  });

  it('removes an empty directory without recursive, like rmdir', () => {
    given(running)
      .when(rm('/var/empty'))
      .then([copiedUp(dir('/var')), pathRemoved('/var/empty', true)]);
  });

  it('refuses a non-empty directory without recursive, counting both layers', () => {
    given(running)
      .when(rm('/etc/ssl'))
      .thenThrows('CONFLICT', "rm: cannot remove '/etc/ssl': Directory not empty");
    given(applied(running, write('/var/empty/f', 'f')))
      .when(rm('/var/empty'))
      .thenThrows('CONFLICT', /Directory not empty/);
    given(applied(running, rm('/etc/ssl/cert.pem')))
      .when(rm('/etc/ssl'))
      .then([pathRemoved('/etc/ssl', true)]);
  });

  it('refuses missing paths and the root', () => {
    given(running)
      .when(rm('/nope'))
      .thenThrows('NOT_FOUND', "rm: cannot remove '/nope': No such file or directory");
    given(applied(running, rm('/etc/passwd')))
      .when(rm('/etc/passwd'))
      .thenThrows('NOT_FOUND', /No such file or directory/);
    given(applied(running, rm('/etc', true)))
      .when(rm('/etc/hosts'))
      .thenThrows('NOT_FOUND', /No such file or directory/);
    given(running)
      .when(rm('/', true))
      .thenThrows('VALIDATION', "rm: it is dangerous to operate recursively on '/'");
  });
});

describe('remove then re-create', () => {
  it('a re-created lower directory is opaque: its lower content stays hidden', () => {
    const history = applied(running, rm('/etc/ssl', true));
    const state = given(history)
      .when(mkdir('/etc/ssl'))
      .then([written(newDir('/etc/ssl'), 'mkdir'), opaqued('/etc/ssl')]);
    expect(state.status === 'running' && lookupPath(state.layer, lower, '/etc/ssl/cert.pem')).toBeUndefined();
  });

  it('a parent created where a lower directory was deleted is opaque too', () => {
    given(applied(running, rm('/usr', true)))
      .when(write('/usr/lib/f', 'f', { createParents: true }))
      .then([
        written(newDir('/usr'), 'mkdir'),
        opaqued('/usr'),
        written(newDir('/usr/lib'), 'mkdir'),
        written(newFile('/usr/lib/f', 'f'), 'write'),
      ]);
  });

  it('a re-created lower file just replaces the whiteout', () => {
    given(applied(running, rm('/etc/passwd')))
      .when(write('/etc/passwd', 'new'))
      .then([written(newFile('/etc/passwd', 'new'), 'write')]);
  });

  it('a directory where a lower file was is not opaque (nothing below a file)', () => {
    given(applied(running, rm('/etc/hosts')))
      .when(mkdir('/etc/hosts'))
      .then([written(newDir('/etc/hosts'), 'mkdir')]);
  });

  it('removing a re-created directory whites it out again and drops its markers', () => {
    const history = applied(running, rm('/etc/ssl', true), mkdir('/etc/ssl'), write('/etc/ssl/new', 'n'));
    const state = given(history)
      .when(rm('/etc/ssl', true))
      .then([pathRemoved('/etc/ssl', true)]);
    expect(state.status === 'running' && [...state.layer.opaque]).toEqual([]);
    expect(state.status === 'running' && [...state.layer.entries.keys()].sort()).toEqual([
      '/etc',
      '/etc/ssl',
    ]);
  });
});

describe('RenamePath', () => {
  it('renames a lower file: written at the new path, whited out at the old', () => {
    given(running)
      .when(mv('/etc/passwd', '/etc/passwd.bak'))
      .then([
        copiedUp(dir('/etc')),
        written(file('/etc/passwd.bak', { size: 10, digest: content('/etc/passwd') }), 'rename'),
        pathRemoved('/etc/passwd', true, 'rename'),
      ]);
  });

  it('moves a lower directory with its whole merged subtree (keeping attributes)', () => {
    given(applied(running, write('/etc/ssl/extra', 'e')))
      .when(mv('/etc/ssl', '/certs'))
      .then([
        written(dir('/certs', { mode: 0o700 }), 'rename'),
        written(file('/certs/cert.pem', { digest: content('/etc/ssl/cert.pem') }), 'rename'),
        written(newFile('/certs/extra', 'e'), 'rename'),
        pathRemoved('/etc/ssl', true, 'rename'),
      ]);
  });

  it('renames a file the writable layer holds without leaving a whiteout', () => {
    given(applied(running, write('/tmpfile', 't')))
      .when(mv('/tmpfile', '/etc/moved'))
      .then([
        copiedUp(dir('/etc')),
        written(newFile('/etc/moved', 't'), 'rename'),
        pathRemoved('/tmpfile', false, 'rename'),
      ]);
  });

  it('replaces an existing file', () => {
    given(running)
      .when(mv('/etc/hosts', '/etc/passwd'))
      .then([
        copiedUp(dir('/etc')),
        written(file('/etc/passwd', { digest: content('/etc/hosts') }), 'rename'),
        pathRemoved('/etc/hosts', true, 'rename'),
      ]);
  });

  it('replaces an empty lower directory, which becomes opaque', () => {
    given(running)
      .when(mv('/etc/ssl', '/var/empty'))
      .then([
        copiedUp(dir('/var')),
        pathRemoved('/var/empty', true, 'rename'),
        written(dir('/var/empty', { mode: 0o700 }), 'rename'),
        opaqued('/var/empty'),
        written(file('/var/empty/cert.pem', { digest: content('/etc/ssl/cert.pem') }), 'rename'),
        copiedUp(dir('/etc')),
        pathRemoved('/etc/ssl', true, 'rename'),
      ]);
  });

  it('refuses as mv would', () => {
    given(running)
      .when(mv('/nope', '/x'))
      .thenThrows('NOT_FOUND', "mv: cannot stat '/nope': No such file or directory");
    given(running)
      .when(mv('/etc', '/etc/ssl/etc'))
      .thenThrows('VALIDATION', "mv: cannot move '/etc' to a subdirectory of itself, '/etc/ssl/etc'");
    given(running)
      .when(mv('/etc/hosts', '/nope/hosts'))
      .thenThrows('NOT_FOUND', "mv: cannot move '/etc/hosts' to '/nope/hosts': No such file or directory");
    given(running)
      .when(mv('/etc/hosts', '/etc/passwd/x'))
      .thenThrows('CONFLICT', "mv: cannot move '/etc/hosts' to '/etc/passwd/x': Not a directory");
    given(running)
      .when(mv('/etc/ssl', '/usr'))
      .thenThrows('CONFLICT', "mv: cannot move '/etc/ssl' to '/usr': Directory not empty");
    given(running)
      .when(mv('/etc/ssl', '/etc/hosts'))
      .thenThrows('CONFLICT', "mv: cannot overwrite non-directory '/etc/hosts' with directory '/etc/ssl'");
    given(running)
      .when(mv('/etc/hosts', '/usr'))
      .thenThrows('CONFLICT', "mv: cannot overwrite directory '/usr' with non-directory");
    given(running)
      .when(mv('/etc', '/'))
      .thenThrows('VALIDATION', /root directory/);
  });

  it('renaming a path onto itself decides nothing', () => {
    given(running).when(mv('/etc/hosts', '/etc/hosts')).thenNothing();
  });
});

describe('links', () => {
  it('creates a symlink (target kept as given)', () => {
    given(running)
      .when(lns('../etc/passwd', '/bin/pw'))
      .then([
        copiedUp(dir('/bin')),
        written({ ...symlink('/bin/pw', '../etc/passwd'), mtime: nowSeconds }, 'symlink'),
      ]);
    given(running)
      .when(lns('x', '/etc/hosts'))
      .thenThrows('CONFLICT', "ln: failed to create symbolic link '/etc/hosts': File exists");
    given(running)
      .when(lns('/etc', '/a/b', true))
      .then([
        written(newDir('/a'), 'mkdir'),
        written({ ...symlink('/a/b', '/etc'), mtime: nowSeconds }, 'symlink'),
      ]);
  });

  it('hard-links a lower file: the target is copied up so the link resolves inside the layer', () => {
    given(running)
      .when(ln('/etc/passwd', '/bin/passwd'))
      .then([
        copiedUp(dir('/etc')),
        copiedUp(file('/etc/passwd', { size: 10 })),
        copiedUp(dir('/bin')),
        written(
          {
            ...file('/bin/passwd', { size: 10, digest: content('/etc/passwd') }),
            type: 'hardlink',
            linkTarget: '/etc/passwd',
          },
          'link',
        ),
      ]);
  });

  it('a link to a link points at the first name', () => {
    const history = applied(running, ln('/etc/passwd', '/bin/passwd'));
    given(history)
      .when(ln('/bin/passwd', '/bin/pw2'))
      .then([
        written(
          {
            ...file('/bin/pw2', { size: 10, digest: content('/etc/passwd') }),
            type: 'hardlink',
            linkTarget: '/etc/passwd',
          },
          'link',
        ),
      ]);
  });

  it('refuses links to directories, missing targets and existing paths', () => {
    given(running)
      .when(ln('/etc', '/e'))
      .thenThrows('VALIDATION', "ln: '/etc': hard link not allowed for directory");
    given(running)
      .when(ln('/nope', '/e'))
      .thenThrows('NOT_FOUND', "ln: failed to access '/nope': No such file or directory");
    given(running)
      .when(ln('/etc/hosts', '/etc/passwd'))
      .thenThrows('CONFLICT', "ln: failed to create hard link '/etc/passwd': File exists");
  });
});

describe('hard links share an inode', () => {
  const link = (path: string, target: string, over = {}) => ({
    ...file(path, over),
    type: 'hardlink' as const,
    linkTarget: target,
  });
  const linked = applied(running, write('/data', 'v1'), ln('/data', '/alias'), ln('/data', '/second'));

  it('writing through a link writes the inode: the first name and every link see it', () => {
    given(linked)
      .when(write('/alias', 'v2'))
      .then([
        written(newFile('/data', 'v2'), 'write'),
        written(link('/alias', '/data', { size: 2, digest: content('v2'), mtime: nowSeconds }), 'write'),
        written(link('/second', '/data', { size: 2, digest: content('v2'), mtime: nowSeconds }), 'write'),
      ]);
  });

  it('changing the mode of the first name changes the links', () => {
    given(linked)
      .when(chmod('/data', 0o600))
      .then([
        written(newFile('/data', 'v1', { mode: 0o600 }), 'chmod'),
        written(
          link('/alias', '/data', { size: 2, digest: content('v1'), mtime: nowSeconds, mode: 0o600 }),
          'chmod',
        ),
        written(
          link('/second', '/data', { size: 2, digest: content('v1'), mtime: nowSeconds, mode: 0o600 }),
          'chmod',
        ),
      ]);
  });

  it('removing the first name keeps the inode under the first remaining link', () => {
    given(linked)
      .when(rm('/data'))
      .then([
        written(newFile('/alias', 'v1'), 'remove'),
        written(link('/second', '/alias', { size: 2, digest: content('v1'), mtime: nowSeconds }), 'remove'),
        pathRemoved('/data', false),
      ]);
  });

  it('renaming the first name re-points the links', () => {
    given(linked)
      .when(mv('/data', '/etc/data'))
      .then([
        copiedUp(dir('/etc')),
        written(newFile('/etc/data', 'v1'), 'rename'),
        written(link('/alias', '/etc/data', { size: 2, digest: content('v1'), mtime: nowSeconds }), 'rename'),
        written(
          link('/second', '/etc/data', { size: 2, digest: content('v1'), mtime: nowSeconds }),
          'rename',
        ),
        pathRemoved('/data', false, 'rename'),
      ]);
  });

  it('renaming one name of an inode onto another does nothing (rename(2))', () => {
    given(linked).when(mv('/alias', '/data')).thenNothing();
  });

  it('a hard link from the image is broken by its copy-up, as overlayfs does without the index', () => {
    given(running)
      .when(chmod('/usr/lib/y.so', 0o600))
      .then([
        copiedUp(dir('/usr')),
        copiedUp(dir('/usr/lib')),
        written(file('/usr/lib/y.so', { digest: content('/usr/lib/x.so'), mode: 0o600 }), 'chmod'),
      ]);
    given(running)
      .when(ln('/usr/lib/y.so', '/z'))
      .then([
        copiedUp(dir('/usr')),
        copiedUp(dir('/usr/lib')),
        copiedUp(file('/usr/lib/y.so', { digest: content('/usr/lib/x.so') })),
        written(link('/z', '/usr/lib/y.so', { digest: content('/usr/lib/x.so') }), 'link'),
      ]);
  });
});
