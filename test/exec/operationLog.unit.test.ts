import { describe, expect, it } from 'vitest';
import { OperationLog } from '../../src/exec/operationLog.ts';
import type { FsOperation } from '../../src/exec/types.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const write = (path: string, text: string, mode?: number): FsOperation =>
  mode === undefined
    ? { op: 'writeFile', path, content: bytes(text) }
    : { op: 'writeFile', path, content: bytes(text), mode };

const logOf = (...ops: FsOperation[]) => {
  const log = new OperationLog();
  for (const op of ops) log.record(op);
  return log.list();
};

describe('OperationLog coalescing', () => {
  it('merges successive writes of one file into the first, keeping the creation mode', () => {
    expect(logOf(write('/f', 'a', 0o644), write('/f', 'ab'), write('/f', 'abc'))).toEqual([
      write('/f', 'abc', 0o644),
    ]);
  });

  it('merges across operations on unrelated paths, at the earlier position', () => {
    expect(
      logOf(write('/f', 'a', 0o644), write('/g', 'x', 0o644), write('/f', 'ab'), write('/g', 'xy')),
    ).toEqual([write('/f', 'ab', 0o644), write('/g', 'xy', 0o644)]);
  });

  it('does not merge across an operation on the same path, an ancestor or a hardlink to it', () => {
    const chmod: FsOperation = { op: 'chmod', path: '/f', mode: 0o600 };
    expect(logOf(write('/f', 'a', 0o644), chmod, write('/f', 'ab'))).toEqual([
      write('/f', 'a', 0o644),
      chmod,
      write('/f', 'ab'),
    ]);

    const rename: FsOperation = { op: 'rename', from: '/d', to: '/e' };
    expect(logOf(write('/d/f', 'a', 0o644), rename, write('/d/f', 'b', 0o644))).toHaveLength(3);

    const link: FsOperation = { op: 'hardlink', path: '/g', target: '/f' };
    expect(logOf(write('/f', 'a', 0o644), link, write('/f', 'ab'))).toEqual([
      write('/f', 'a', 0o644),
      link,
      write('/f', 'ab'),
    ]);

    const remove: FsOperation = { op: 'remove', path: '/', recursive: true };
    expect(logOf(write('/f', 'a', 0o644), remove, write('/f', 'b', 0o644))).toHaveLength(3);
  });

  it('merges repeated chmod, chown and utimes of one path', () => {
    expect(
      logOf(
        { op: 'chmod', path: '/f', mode: 0o600 },
        { op: 'chmod', path: '/f', mode: 0o755 },
        { op: 'utimes', path: '/g', mtime: 1 },
        { op: 'utimes', path: '/g', mtime: 2 },
        { op: 'chown', path: '/h', uid: 1, gid: 1 },
        { op: 'chown', path: '/h', uid: 2, gid: 2 },
      ),
    ).toEqual([
      { op: 'chmod', path: '/f', mode: 0o755 },
      { op: 'utimes', path: '/g', mtime: 2 },
      { op: 'chown', path: '/h', uid: 2, gid: 2 },
    ]);
  });

  it('never merges mkdir, symlink, rename or remove', () => {
    const ops: FsOperation[] = [
      { op: 'mkdir', path: '/a', mode: 0o755 },
      { op: 'remove', path: '/a', recursive: false },
      { op: 'mkdir', path: '/a', mode: 0o755 },
      { op: 'symlink', path: '/l', target: 'x' },
      { op: 'remove', path: '/l', recursive: false },
      { op: 'symlink', path: '/l', target: 'y' },
    ];
    expect(logOf(...ops)).toEqual(ops);
  });
});
