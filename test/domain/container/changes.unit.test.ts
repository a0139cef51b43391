import { describe, expect, it } from 'vitest';
import { type Change, containerChanges } from '../../../src/domain/container/changes.ts';
import type { ContainerCommand } from '../../../src/domain/container/commands.ts';
import { containerDecider } from '../../../src/domain/container/decide.ts';
import type { ContainerEvent } from '../../../src/domain/container/events.ts';
import { upperLayerEntries, writableLayerSize } from '../../../src/domain/container/layerEntries.ts';
import { type ContainerState, foldContainer, isLive } from '../../../src/domain/container/state.ts';
import {
  containerId,
  content,
  createdEvent,
  dir,
  file,
  lower,
  lowerChildren,
  now,
  nowSeconds,
  started,
} from './fixtures.ts';

const fs = { containerId, now, lower };
const write = (path: string, text = 'x', createParents = false): ContainerCommand => ({
  type: 'WriteFile',
  data: { ...fs, path, digest: content(text), size: text.length, append: false, createParents },
});
const mkdir = (path: string, parents = false): ContainerCommand => ({
  type: 'MakeDirectory',
  data: { ...fs, path, parents },
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
const chown = (path: string, uid: number): ContainerCommand => ({
  type: 'ChangeOwner',
  data: { ...fs, path, uid, gid: 0 },
});
const ln = (target: string, path: string): ContainerCommand => ({
  type: 'CreateHardlink',
  data: { ...fs, path, target },
});

/** Runs the commands through decide and evolve (the way the app layer will). */
function run(...commands: ContainerCommand[]): ContainerState {
  let state = foldContainer([createdEvent, started]);
  for (const command of commands) {
    const events: ContainerEvent[] = containerDecider.decide(command, state);
    state = events.reduce(containerDecider.evolve, state);
  }
  return state;
}

const diff = (...commands: ContainerCommand[]): string[] =>
  containerChanges(run(...commands), lower, lowerChildren).map((c: Change) => `${c.kind} ${c.path}`);

describe('containerChanges (docker diff)', () => {
  it('is empty for a fresh container', () => {
    expect(diff()).toEqual([]);
  });

  it('a new file: A, and its unchanged parent directory C before it', () => {
    expect(diff(write('/etc/motd'))).toEqual(['C /etc', 'A /etc/motd']);
  });

  it('every unchanged directory above a change shows C', () => {
    expect(diff(write('/usr/lib/new'))).toEqual(['C /usr', 'C /usr/lib', 'A /usr/lib/new']);
  });

  it('a modified lower file: C', () => {
    expect(diff(write('/etc/passwd', 'changed'))).toEqual(['C /etc', 'C /etc/passwd']);
  });

  it('a file changes with its mode, owner, size, mtime or content', () => {
    expect(diff(chmod('/etc/hosts', 0o600))).toEqual(['C /etc', 'C /etc/hosts']);
    expect(diff(chown('/etc/hosts', 1))).toEqual(['C /etc', 'C /etc/hosts']);
  });

  it('a directory changes with its mode or owner only', () => {
    expect(diff(chmod('/etc/ssl', 0o755))).toEqual(['C /etc', 'C /etc/ssl']);
    expect(diff(chown('/var', 5))).toEqual(['C /var']);
  });

  it('a deleted file: D', () => {
    expect(diff(rm('/etc/passwd'))).toEqual(['C /etc', 'D /etc/passwd']);
  });

  it('a deleted directory: D at the top of the subtree only', () => {
    expect(diff(rm('/etc/ssl', true))).toEqual(['C /etc', 'D /etc/ssl']);
    expect(diff(rm('/etc', true))).toEqual(['D /etc']);
  });

  it('a deleted and re-created directory: C, and D for each lower child hidden by the opaque dir', () => {
    expect(diff(rm('/etc', true), mkdir('/etc'))).toEqual([
      'C /etc',
      'D /etc/hosts',
      'D /etc/passwd',
      'D /etc/ssl',
    ]);
  });

  it('a child re-created under an opaque directory compares with the image', () => {
    expect(
      diff(
        rm('/etc/ssl', true),
        mkdir('/etc/ssl'),
        write('/etc/ssl/cert.pem', 'other'),
        write('/etc/ssl/new'),
      ),
    ).toEqual(['C /etc', 'C /etc/ssl', 'C /etc/ssl/cert.pem', 'A /etc/ssl/new']);
  });

  it('a deleted file re-created: C', () => {
    expect(diff(rm('/etc/hosts'), write('/etc/hosts', 'again'))).toEqual(['C /etc', 'C /etc/hosts']);
  });

  it('a file turned into a directory, and a directory turned into a file: C (old children not listed)', () => {
    expect(diff(rm('/etc/hosts'), mkdir('/etc/hosts'), write('/etc/hosts/x'))).toEqual([
      'C /etc',
      'C /etc/hosts',
      'A /etc/hosts/x',
    ]);
    expect(diff(rm('/etc/ssl', true), write('/etc/ssl'))).toEqual(['C /etc', 'C /etc/ssl']);
  });

  it('new directories and their content: A all the way down', () => {
    expect(diff(mkdir('/a/b/c', true), write('/a/b/c/f'))).toEqual([
      'A /a',
      'A /a/b',
      'A /a/b/c',
      'A /a/b/c/f',
    ]);
  });

  it('a renamed lower file: A at the new path, D at the old', () => {
    expect(diff(mv('/etc/passwd', '/passwd'))).toEqual(['C /etc', 'D /etc/passwd', 'A /passwd']);
  });

  it('lists parents before children, siblings by name (/a, /a/b, /a.txt)', () => {
    expect(diff(write('/a.txt'), mkdir('/a'), write('/a/b'), write('/0'))).toEqual([
      'A /0',
      'A /a',
      'A /a/b',
      'A /a.txt',
    ]);
  });

  it('removing an added file leaves no trace (the copied-up parent is unchanged)', () => {
    expect(diff(write('/etc/motd'), rm('/etc/motd'))).toEqual([]);
    expect(diff(mkdir('/a'), rm('/a'))).toEqual([]);
  });

  it('the root never shows, even when changed', () => {
    expect(diff(chmod('/', 0o700))).toEqual([]);
  });
});

describe('upperLayerEntries (docker commit changeset)', () => {
  it('lists nodes, whiteouts and opaque markers in path order, hard links last', () => {
    const state = run(
      rm('/etc/ssl', true),
      mkdir('/etc/ssl'),
      ln('/bin/sh', '/a-link'),
      write('/etc/passwd', 'pw'),
      rm('/etc/hosts'),
    );
    expect(upperLayerEntries(state)).toEqual([
      { kind: 'node', node: dir('/bin') },
      { kind: 'node', node: file('/bin/sh', { mode: 0o755, size: 1000 }) },
      { kind: 'node', node: dir('/etc') },
      { kind: 'whiteout', path: '/etc/hosts' },
      { kind: 'node', node: file('/etc/passwd', { size: 2, digest: content('pw'), mtime: nowSeconds }) },
      { kind: 'node', node: dir('/etc/ssl', { mtime: nowSeconds }) },
      { kind: 'opaque', path: '/etc/ssl' },
      {
        kind: 'node',
        node: {
          ...file('/a-link', { mode: 0o755, size: 1000, digest: content('/bin/sh') }),
          type: 'hardlink',
          linkTarget: '/bin/sh',
        },
      },
    ]);
  });

  it('is empty for an untouched or removed container', () => {
    expect(upperLayerEntries(run())).toEqual([]);
    expect(upperLayerEntries(foldContainer([]))).toEqual([]);
  });

  it('sizes the writable layer: non-directories, a hard link counted once', () => {
    const state = run(write('/a', 'abc'), ln('/a', '/b'), mkdir('/d'));
    expect(isLive(state) && writableLayerSize(state.layer)).toBe(3);
  });
});
