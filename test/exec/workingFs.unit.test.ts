import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FsNode } from '../../src/domain/fs/node.ts';
import { isFsError } from '../../src/exec/fsErrors.ts';
import { MemoryBaseFs, type TreeSpec } from '../../src/exec/memoryFs.ts';
import type { BaseFs } from '../../src/exec/types.ts';
import { WorkingFs } from '../../src/exec/workingFs.ts';
import { describeMemoryBase, type Tree, text } from './harness.ts';

const big = 'x'.repeat(100_000);
const spec: TreeSpec = {
  '/etc/hostname': 'box\n',
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n',
  '/data/a.txt': 'alpha\n',
  '/data/big.bin': big,
  '/data/sub/c.txt': 'gamma\n',
  '/data/hl': { hardlink: '/data/a.txt' },
  '/esc': { symlink: '../../../../etc' },
  '/data/abs': { symlink: '/etc/hostname' },
  '/data/up': { symlink: '../../../../../../etc/hostname' },
  '/lnk': { symlink: '/etc/hostname' },
  '/dangling': { symlink: '/data/new.txt' },
  '/loop': { symlink: '/loop2' },
  '/loop2': { symlink: '/loop' },
  '/empty': { dir: true },
};

/** A BaseFs that counts what is asked of it. */
class CountingBase implements BaseFs {
  lookups = 0;
  lists = 0;
  reads: string[] = [];
  constructor(private readonly inner: BaseFs) {}
  lookup(path: string) {
    this.lookups++;
    return this.inner.lookup(path);
  }
  list(dir: string) {
    this.lists++;
    return this.inner.list(dir);
  }
  read(node: FsNode) {
    this.reads.push(node.path);
    return this.inner.read(node);
  }
}

const limits = { maxFileSize: 1 << 30, maxBytesWritten: 1 << 30 };
const hooks = {
  onLimit: () => undefined,
  onHostError: (error: unknown) => {
    throw error;
  },
};

function working(tree: TreeSpec = spec) {
  const base = MemoryBaseFs.from(tree);
  const counting = new CountingBase(base);
  return { base, counting, fs: new WorkingFs(counting, limits, hooks) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (isFsError(error)) return error.code;
    throw error;
  }
}

/** The WorkingFs's own view of its tree (devices under /dev left out: they are not in layers). */
async function describeWorking(fs: WorkingFs): Promise<Tree> {
  const tree: Tree = {};
  const walk = async (dir: string) => {
    for (const name of await fs.readdir(dir)) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (path === '/dev') continue;
      const stat = await fs.lstat(path);
      if (stat.isSymbolicLink) tree[path] = { type: 'symlink', mode: 0o777, target: await fs.readlink(path) };
      else if (stat.isDirectory) {
        tree[path] = { type: 'dir', mode: stat.mode };
        await walk(path);
      } else
        tree[path] = {
          type: 'file',
          mode: stat.mode,
          content: Buffer.from(await fs.readFileBuffer(path)).toString('latin1'),
        };
    }
  };
  await walk('/');
  return tree;
}

describe('WorkingFs: symlinks stay inside the container root', () => {
  it('resolves relative targets with .. at the root and absolute targets from the root', async () => {
    const { fs } = working();
    expect(await fs.readFile('/esc/hostname')).toBe('box\n');
    expect(await fs.realpath('/esc')).toBe('/etc');
    expect(await fs.readFile('/data/abs')).toBe('box\n');
    expect(await fs.readFile('/data/up')).toBe('box\n');
    expect(await fs.realpath('/data/up')).toBe('/etc/hostname');
    expect(await fs.readdir('/esc')).toEqual(['hostname', 'passwd']);
  });

  it('writes through symlinks to the physical path, and creates a dangling target', async () => {
    const { fs } = working();
    await fs.writeFile('/lnk', 'changed\n');
    await fs.writeFile('/esc/motd', 'hi\n');
    await fs.writeFile('/dangling', 'new\n');
    expect(fs.operations().map((op) => op.op === 'writeFile' && op.path)).toEqual([
      '/etc/hostname',
      '/etc/motd',
      '/data/new.txt',
    ]);
    expect(await fs.readlink('/lnk')).toBe('/etc/hostname');
    expect(await fs.readFile('/etc/hostname')).toBe('changed\n');
  });

  it('removes and renames the link itself, not its target', async () => {
    const { fs } = working();
    await fs.rm('/lnk');
    await fs.mv('/data/abs', '/moved');
    expect(fs.operations()).toEqual([
      { op: 'remove', path: '/lnk', recursive: false },
      { op: 'rename', from: '/data/abs', to: '/moved' },
    ]);
    expect(await fs.readFile('/etc/hostname')).toBe('box\n');
    expect(await fs.readFile('/moved')).toBe('box\n');
  });

  it('reports loops, missing parents and files used as directories', async () => {
    const { fs } = working();
    expect(await codeOf(fs.readFile('/loop'))).toBe('ELOOP');
    expect(await codeOf(fs.writeFile('/nodir/f', 'x'))).toBe('ENOENT');
    expect(await codeOf(fs.writeFile('/etc/hostname/f', 'x'))).toBe('ENOTDIR');
    expect(await codeOf(fs.mkdir('/a/b'))).toBe('ENOENT');
    expect(await codeOf(fs.symlink('x', '/nodir/l'))).toBe('ENOENT');
    expect(await codeOf(fs.writeFile('/data', 'x'))).toBe('EISDIR');
    expect(await codeOf(fs.rm('/data'))).toBe('ENOTEMPTY');
    expect(await codeOf(fs.mv('/data', '/data/sub/x'))).toBe('EINVAL');
    expect(await codeOf(fs.mv('/data/sub', '/etc'))).toBe('ENOTEMPTY');
    expect(await codeOf(fs.mv('/data/a.txt', '/empty'))).toBe('EISDIR');
    expect(fs.operations()).toEqual([]);
  });
});

describe('WorkingFs: devices and mounted trees', () => {
  it('swallows writes to /dev/null, reads devices as empty, refuses /dev/full and /proc', async () => {
    const { fs } = working();
    await fs.writeFile('/dev/null', 'gone');
    await fs.appendFile('/dev/null', 'gone');
    expect((await fs.readFileBuffer('/dev/zero')).length).toBe(0);
    expect(await fs.readdir('/dev')).toContain('null');
    expect(await codeOf(fs.writeFile('/dev/full', 'x'))).toBe('ENOSPC');
    expect(await codeOf(fs.mkdir('/proc/x', { recursive: true }))).toBe('EROFS');
    expect(await codeOf(fs.writeFile('/dev/shm-file', 'x'))).toBe('EROFS');
    expect(fs.operations()).toEqual([]);
  });
});

describe('WorkingFs: base content is read lazily', () => {
  it('lists, stats, moves, chmods and removes without reading content', async () => {
    const { fs, counting } = working();
    await fs.readdir('/data');
    await fs.stat('/data/big.bin');
    await fs.chmod('/data/big.bin', 0o600);
    await fs.mv('/data', '/data2');
    await fs.readdir('/data2/sub');
    await fs.rm('/data2', { recursive: true });
    expect(counting.reads).toEqual([]);
  });

  it('reads a file once, and once more only to append to it', async () => {
    const { fs, counting } = working();
    expect((await fs.readFileBuffer('/data/big.bin')).length).toBe(big.length);
    await fs.readFile('/data/big.bin');
    expect(counting.reads).toEqual(['/data/big.bin']);
    await fs.appendFile('/data/a.txt', 'beta\n');
    await fs.appendFile('/data/a.txt', 'gamma\n');
    expect(counting.reads).toEqual(['/data/big.bin', '/data/a.txt']);
    const [op] = fs.operations();
    expect(op).toMatchObject({ op: 'writeFile', path: '/data/a.txt' });
    expect(text((op as { content: Uint8Array }).content)).toBe('alpha\nbeta\ngamma\n');
  });

  it('reads a hardlink of the image through its digest', async () => {
    const { fs } = working();
    expect(await fs.readFile('/data/hl')).toBe('alpha\n');
    expect((await fs.stat('/data/hl')).identity).toBe((await fs.stat('/data/a.txt')).identity);
  });
});

describe('WorkingFs: overlay semantics', () => {
  it('hides the image children of a directory removed and created again', async () => {
    const { fs } = working();
    await fs.rm('/data', { recursive: true });
    await fs.mkdir('/data');
    expect(await fs.readdir('/data')).toEqual([]);
    expect(await fs.exists('/data/a.txt')).toBe(false);
  });

  it('moves a directory of the image as one rename, its content visible at the new place', async () => {
    const { fs } = working();
    await fs.mv('/data', '/srv');
    expect(fs.operations()).toEqual([{ op: 'rename', from: '/data', to: '/srv' }]);
    expect(await fs.readFile('/srv/sub/c.txt')).toBe('gamma\n');
    expect(await fs.exists('/data')).toBe(false);
  });

  it('records mkdir -p level by level with the physical paths', async () => {
    const { fs } = working();
    await fs.mkdir('/esc/a/b', { recursive: true });
    expect(fs.operations()).toEqual([
      { op: 'mkdir', path: '/etc/a', mode: 0o755 },
      { op: 'mkdir', path: '/etc/a/b', mode: 0o755 },
    ]);
  });
});

// Random sequences of filesystem calls: whatever succeeds is recorded, and replaying the record on
// the image (with every operation's precondition checked) must give the tree the WorkingFs shows.
const names = ['a', 'b', 'data', 'sub', 'esc'];
const path = fc
  .array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 })
  .map((segments) => `/${segments.join('/')}`);
const content = fc.constantFrom('', 'x', 'hello\n', 'more\n');
const call = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), path, content }),
  fc.record({ kind: fc.constant('append' as const), path, content }),
  fc.record({ kind: fc.constant('mkdir' as const), path, recursive: fc.boolean() }),
  fc.record({ kind: fc.constant('rm' as const), path, recursive: fc.boolean() }),
  fc.record({ kind: fc.constant('cp' as const), path, to: path }),
  fc.record({ kind: fc.constant('mv' as const), path, to: path }),
  fc.record({ kind: fc.constant('chmod' as const), path, mode: fc.constantFrom(0o600, 0o755, 0o4755) }),
  fc.record({
    kind: fc.constant('symlink' as const),
    path,
    target: fc.constantFrom('a', '/data', '../b', 'nowhere'),
  }),
  fc.record({
    kind: fc.constant('link' as const),
    path: fc.oneof(path, fc.constantFrom('/data/a', '/data/sub/b')),
    to: path,
  }),
  fc.record({ kind: fc.constant('touch' as const), path }),
);
type Call = typeof call extends fc.Arbitrary<infer T> ? T : never;

async function perform(fs: WorkingFs, c: Call): Promise<void> {
  switch (c.kind) {
    case 'write':
      return fs.writeFile(c.path, c.content);
    case 'append':
      return fs.appendFile(c.path, c.content);
    case 'mkdir':
      return fs.mkdir(c.path, { recursive: c.recursive });
    case 'rm':
      return fs.rm(c.path, { recursive: c.recursive });
    case 'cp':
      return fs.cp(c.path, c.to, { recursive: true });
    case 'mv':
      return fs.mv(c.path, c.to);
    case 'chmod':
      return fs.chmod(c.path, c.mode);
    case 'symlink':
      return fs.symlink(c.target, c.path);
    case 'link':
      return fs.link(c.path, c.to);
    case 'touch':
      return fs.utimes(c.path, new Date(), new Date(1_000_000));
  }
}

describe('WorkingFs: the recorded operations replay to the same tree', () => {
  it('holds for random call sequences', async () => {
    const image: TreeSpec = {
      '/data/a': 'image a\n',
      '/data/sub/b': 'image b\n',
      '/b': { dir: true },
      '/esc': { symlink: '../../data' },
      '/data/hl': { hardlink: '/data/a' },
    };
    const kinds = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(call, { maxLength: 25 }), async (calls) => {
        const base = MemoryBaseFs.from(image);
        const fs = new WorkingFs(base, limits, hooks);
        for (const c of calls) {
          try {
            await perform(fs, c);
          } catch (error) {
            if (!isFsError(error)) throw error;
          }
        }
        for (const op of fs.operations()) kinds.add(op.op);
        const replayed = base.apply(fs.operations());
        expect(await describeMemoryBase(replayed)).toEqual(await describeWorking(fs));
      }),
      { numRuns: 300 },
    );
    // The sequences do reach every kind of operation.
    expect([...kinds].sort()).toEqual([
      'chmod',
      'hardlink',
      'mkdir',
      'remove',
      'rename',
      'symlink',
      'utimes',
      'writeFile',
    ]);
  });
});
