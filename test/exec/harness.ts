import { Bash, type IFileSystem, InMemoryFs } from 'just-bash';
import { MemoryBaseFs, type TreeSpec } from '../../src/exec/memoryFs.ts';
import { defaultPath, runCommand } from '../../src/exec/runCommand.ts';
import type { ExecOptions, ExecResult } from '../../src/exec/types.ts';

/** One filesystem entry as both sides can describe it. */
export interface Described {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  content?: string;
  target?: string;
}
export type Tree = Record<string, Described>;

export interface Outcome {
  stdout: string;
  stderr: string;
  exitCode: number;
  tree: Tree;
}

export const containerId = 'sha256:4f1c2d3e5a6b7c8d9e0f11223344556677889900aabbccddeeff001122334455';

/** The same environment on both sides. */
export const shellEnv = {
  PATH: defaultPath,
  HOME: '/root',
  USER: 'root',
  HOSTNAME: '4f1c2d3e5a6b',
  PWD: '/',
  OLDPWD: '/',
};

const decoder = new TextDecoder();
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

/** Seeds just-bash's InMemoryFs with the tree a TreeSpec describes. */
async function seedInMemory(spec: TreeSpec): Promise<InMemoryFs> {
  const fs = new InMemoryFs();
  for (const [path, value] of Object.entries(spec)) {
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    if (parent !== '/') fs.mkdirSync(parent, { recursive: true });
    if (typeof value === 'string' || value instanceof Uint8Array) fs.writeFileSync(path, value);
    else if ('content' in value)
      fs.writeFileSync(path, value.content, undefined, { mode: value.mode ?? 0o644 });
    else if ('dir' in value) {
      fs.mkdirSync(path, { recursive: true });
      await fs.chmod(path, value.mode ?? 0o755);
    } else if ('symlink' in value) await fs.symlink(value.symlink, path);
    else await fs.link(value.hardlink, path);
  }
  return fs;
}

const fsMethods = [
  'readFile',
  'readFileBytes',
  'readFileBuffer',
  'writeFile',
  'appendFile',
  'exists',
  'stat',
  'mkdir',
  'readdir',
  'readdirWithFileTypes',
  'rm',
  'cp',
  'mv',
  'resolvePath',
  'getAllPaths',
  'chmod',
  'symlink',
  'link',
  'readlink',
  'lstat',
  'realpath',
  'utimes',
] as const;

/** Only the IFileSystem methods: without mkdirSync Bash lays out no /bin, /dev or /proc of its own. */
function bare(fs: InMemoryFs): IFileSystem {
  const view: Record<string, unknown> = {};
  for (const name of fsMethods) view[name] = (fs[name] as (...args: unknown[]) => unknown).bind(fs);
  return view as unknown as IFileSystem;
}

async function describeInMemory(fs: InMemoryFs): Promise<Tree> {
  const tree: Tree = {};
  const walk = async (path: string) => {
    for (const name of await fs.readdir(path)) {
      const child = path === '/' ? `/${name}` : `${path}/${name}`;
      const stat = await fs.lstat(child);
      if (stat.isSymbolicLink)
        tree[child] = { type: 'symlink', mode: 0o777, target: await fs.readlink(child) };
      else if (stat.isDirectory) {
        tree[child] = { type: 'dir', mode: stat.mode };
        await walk(child);
      } else tree[child] = { type: 'file', mode: stat.mode, content: latin1(await fs.readFileBuffer(child)) };
    }
  };
  await walk('/');
  return tree;
}

export async function describeMemoryBase(base: MemoryBaseFs): Promise<Tree> {
  const tree: Tree = {};
  for (const node of base.allNodes()) {
    if (node.path === '/') continue;
    if (node.type === 'symlink')
      tree[node.path] = { type: 'symlink', mode: 0o777, target: node.linkTarget ?? '' };
    else if (node.type === 'dir') tree[node.path] = { type: 'dir', mode: node.mode };
    else tree[node.path] = { type: 'file', mode: node.mode, content: latin1(await base.read(node)) };
  }
  return tree;
}

/** (a) just-bash alone, on its own InMemoryFs seeded with `spec`. */
export async function runOracle(spec: TreeSpec, script: string): Promise<Outcome> {
  const fs = await seedInMemory(spec);
  const shell = new Bash({
    fs: bare(fs),
    cwd: '/',
    env: shellEnv,
    processInfo: { pid: 1, ppid: 0, uid: 0, gid: 0 },
  });
  const result = await shell.exec(script, { rawScript: true });
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    exitCode: result.exitCode,
    tree: await describeInMemory(fs),
  };
}

/** (b) runCommand over a BaseFs seeded with `spec`, its operations applied to a copy of the base. */
export async function runStrata(
  spec: TreeSpec,
  script: string,
  options: ExecOptions = {},
): Promise<Outcome & { result: ExecResult; after: MemoryBaseFs }> {
  const base = MemoryBaseFs.from(spec);
  const result = await runCommand(base, script, { containerId, ...options });
  const after = base.apply(result.operations);
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    exitCode: result.exitCode,
    tree: await describeMemoryBase(after),
    result,
    after,
  };
}

export const text = (bytes: Uint8Array) => decoder.decode(bytes);
