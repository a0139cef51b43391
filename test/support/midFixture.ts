/**
 * A mid-size fixture image for the oracle tests, built in seconds with umoci from the small
 * fixture's busybox base plus generated files, and cached beside the other fixtures:
 *
 *   const layout = await midFixtureLayout();   // OCI layout dir with tag `mid` (read-only)
 *
 * Layers: busybox base; `/gen` (≥ 2,000 files in 40 directories, three 1 MiB incompressible files,
 * setuid/setgid/sticky modes, owners other than root, relative/absolute/dangling symlinks, hardlinks,
 * a fifo, devices when built as root, long, spaced and non-ASCII names, fixed mtimes); then a layer
 * made by umoci from changes to it (deleted files and a deleted directory → whiteouts, a directory
 * replaced by a file, chmod/chown-only changes, a rewritten file, new files).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  link,
  lutimes,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fixtureCacheDir, smallFixtureLayout } from './fixtures.ts';

const run = promisify(execFile);

/** Bump to rebuild the cached mid fixture. */
const midFixtureVersion = 1;

export const midDirectories = 40;
export const midFilesPerDirectory = 60;

let built: Promise<string> | undefined;

export function midFixtureLayout(): Promise<string> {
  built ??= build();
  return built;
}

const root = () => process.getuid?.() === 0;

async function build(): Promise<string> {
  const small = await smallFixtureLayout();
  const key = createHash('sha256')
    .update(`${midFixtureVersion}\0${root() ? 'root' : 'rootless'}\0${small}`)
    .update(await readFile(new URL(import.meta.url)))
    .digest('hex')
    .slice(0, 16);
  const final = join(fixtureCacheDir(), `mid-${key}`);
  if (existsSync(join(final, 'layout', 'index.json'))) return join(final, 'layout');
  const work = await mkdtemp(join(fixtureCacheDir(), '.build-mid-'));
  try {
    const layout = join(work, 'layout');
    await cp(small, layout, { recursive: true });
    const rootless = root() ? [] : ['--rootless'];
    const umoci = (args: string[]) => run('umoci', args, { maxBuffer: 64 * 1024 * 1024 });
    await umoci(['unpack', ...rootless, '--image', `${layout}:base`, join(work, 'b1')]);
    await generate(join(work, 'b1', 'rootfs'));
    await umoci([
      'repack',
      '--history.created',
      '2024-01-01T00:00:00Z',
      '--history.created_by',
      'generated /gen',
      '--image',
      `${layout}:mid`,
      join(work, 'b1'),
    ]);
    await umoci(['unpack', ...rootless, '--image', `${layout}:mid`, join(work, 'b2')]);
    await change(join(work, 'b2', 'rootfs'));
    await umoci([
      'repack',
      '--history.created',
      '2024-01-01T00:00:00Z',
      '--history.created_by',
      'changes to /gen',
      '--image',
      `${layout}:mid`,
      join(work, 'b2'),
    ]);
    await umoci([
      'config',
      '--image',
      `${layout}:mid`,
      '--created',
      '2024-01-01T00:00:00Z',
      '--config.cmd',
      '/bin/sh',
      '--no-history',
    ]);
    await umoci(['gc', '--layout', layout]);
    await rm(join(work, 'b1'), { recursive: true, force: true });
    await rm(join(work, 'b2'), { recursive: true, force: true });
    try {
      await rename(work, final);
    } catch (error) {
      if (!existsSync(join(final, 'layout', 'index.json'))) throw error;
      await rm(work, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return join(final, 'layout');
}

/** A small deterministic PRNG (mulberry32). */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const mtime = 1_700_000_000;

async function generate(rootfs: string): Promise<void> {
  const next = random(42);
  const gen = join(rootfs, 'gen');
  await mkdir(gen);
  const modes = [0o644, 0o600, 0o640, 0o755, 0o4755, 0o2755, 0o444, 0o6711];
  const owners: [number, number][] = [
    [0, 0],
    [1000, 1000],
    [65534, 65534],
    [0, 42],
  ];
  for (let d = 0; d < midDirectories; d++) {
    const dir = join(gen, `d${String(d).padStart(2, '0')}`);
    await mkdir(dir);
    for (let f = 0; f < midFilesPerDirectory; f++) {
      const path = join(dir, `f${String(f).padStart(3, '0')}.txt`);
      const size = Math.floor(next() * 3000);
      const line = `dir ${d} file ${f} `;
      await writeFile(path, line.repeat(Math.ceil(size / line.length)).slice(0, size));
      await chmod(path, modes[(d + f) % modes.length]!);
      if (root()) await chown(path, ...owners[(d * 7 + f) % owners.length]!);
      await utimes(path, mtime + d * 100 + f, mtime + d * 100 + f);
    }
  }
  const blobs = join(gen, 'blobs');
  await mkdir(blobs);
  for (let i = 0; i < 3; i++) {
    const data = Buffer.alloc(1024 * 1024);
    for (let j = 0; j < data.length; j += 4) data.writeUInt32LE(Math.floor(next() * 2 ** 32), j);
    await writeFile(join(blobs, `random-${i}.bin`), data);
    await utimes(join(blobs, `random-${i}.bin`), mtime, mtime);
  }
  const special = join(gen, 'special');
  await mkdir(special);
  await mkdir(join(special, 'sticky'));
  await chmod(join(special, 'sticky'), 0o1777);
  await mkdir(join(special, 'private'));
  await chmod(join(special, 'private'), 0o700);
  await mkdir(join(special, 'empty'));
  if (root()) await chown(join(special, 'private'), 1000, 1000);
  await writeFile(join(special, 'with space.txt'), 'space\n');
  await writeFile(join(special, 'ünïcødé-файл.txt'), 'unicode\n');
  const long = `${'long-name-'.repeat(12)}end.txt`;
  await mkdir(join(special, 'a'.repeat(60), 'b'.repeat(60)), { recursive: true });
  await writeFile(join(special, 'a'.repeat(60), 'b'.repeat(60), long), 'long path\n');
  await writeFile(join(special, 'empty.txt'), '');
  await symlink('../d00/f000.txt', join(special, 'relative-link'));
  await symlink('/gen/d01/f001.txt', join(special, 'absolute-link'));
  await symlink('/does/not/exist', join(special, 'dangling-link'));
  await symlink('../d02', join(special, 'dir-link'));
  await link(join(gen, 'd03', 'f003.txt'), join(special, 'hardlink-to-f003'));
  await link(join(gen, 'd03', 'f003.txt'), join(special, 'hardlink-to-f003-again'));
  await run('mkfifo', ['-m', '0600', join(special, 'fifo')]);
  if (root()) {
    await run('mknod', ['-m', '0666', join(special, 'null'), 'c', '1', '3']);
    await run('mknod', ['-m', '0660', join(special, 'loop9'), 'b', '7', '9']);
  }
  for (const name of ['relative-link', 'absolute-link', 'dangling-link', 'dir-link']) {
    await lutimes(join(special, name), mtime, mtime);
  }
  for (const name of [
    'with space.txt',
    'ünïcødé-файл.txt',
    'empty.txt',
    'fifo',
    ...(root() ? ['null', 'loop9'] : []),
  ]) {
    await utimes(join(special, name), mtime, mtime);
  }
}

async function change(rootfs: string): Promise<void> {
  const gen = join(rootfs, 'gen');
  await rm(join(gen, 'd04', 'f004.txt'));
  await rm(join(gen, 'd05'), { recursive: true });
  await rm(join(gen, 'd06'), { recursive: true });
  await writeFile(join(gen, 'd06'), 'a file where a directory was\n');
  await chmod(join(gen, 'd07', 'f007.txt'), 0o4711);
  if (root()) await chown(join(gen, 'd08', 'f008.txt'), 4242, 4343);
  await writeFile(join(gen, 'd09', 'f009.txt'), 'rewritten\n');
  await mkdir(join(gen, 'd40'));
  for (let f = 0; f < 10; f++) await writeFile(join(gen, 'd40', `new${f}.txt`), `new ${f}\n`);
  await rm(join(gen, 'special', 'dangling-link'));
  await symlink('d00', join(gen, 'special', 'dangling-link'));
  await rm(join(rootfs, 'etc', 'hostname'));
}
