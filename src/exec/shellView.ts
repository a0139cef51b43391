import { AsyncLocalStorage } from 'node:async_hooks';
import type { CpOptions, FileContent, FsStat, IFileSystem, MkdirOptions, RmOptions } from 'just-bash';
import { DefenseInDepthBox } from 'just-bash';
import { isFsError } from './fsErrors.ts';
import { redirectionError, type ShellErrorClasses } from './shellErrors.ts';
import type { WorkingFs } from './workingFs.ts';

type ReadFileOptions = Parameters<IFileSystem['readFile']>[1];
type WriteFileOptions = Parameters<IFileSystem['writeFile']>[2];

/**
 * Which side of just-bash is calling the filesystem: `false` while the interpreter itself runs
 * (command lookup, `test`, redirections, cd), `true` inside a command (cat, ls, find…).
 * runCommand enters the interpreter side around every (nested) script execution and every
 * command runs wrapped on the command side (see commands.ts).
 */
const insideCommand = new AsyncLocalStorage<boolean>();

export const runOnCommandSide = <T>(fn: () => T): T => insideCommand.run(true, fn);
export const runOnShellSide = <T>(fn: () => T): T => insideCommand.run(false, fn);
const onShellSide = () => insideCommand.getStore() === false;

/** Scripts this large are not sniffed: they count as binaries. */
const maxSniffBytes = 256 * 1024;
const shellInterpreters = new Set(['sh', 'bash', 'dash', 'ash']);

/**
 * True when bash could run `bytes` as a shell script: a `#!` line naming a shell (directly, through
 * `env` or `busybox sh`), or no `#!` line and no sign of a binary (ELF magic or a NUL byte).
 */
export function isShellScript(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x23 && bytes[1] === 0x21) {
    const end = bytes.indexOf(0x0a);
    const line = new TextDecoder().decode(bytes.subarray(2, end === -1 ? Math.min(bytes.length, 256) : end));
    const words = line.trim().split(/\s+/);
    let program = words.shift()?.split('/').pop() ?? '';
    if (program === 'env' || program === 'busybox') {
      while (words[0]?.startsWith('-')) words.shift();
      program = words.shift()?.split('/').pop() ?? '';
    }
    return shellInterpreters.has(program);
  }
  const head = bytes.subarray(0, 4096);
  if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return false;
  return !head.includes(0);
}

const trusted = <T>(call: () => Promise<T>): Promise<T> => DefenseInDepthBox.runTrustedAsync(call);

const stubStat = (): FsStat => ({
  isFile: true,
  isDirectory: false,
  isSymbolicLink: false,
  mode: 0o755,
  size: 0,
  mtime: new Date(0),
});

/**
 * The filesystem the shell is given: the WorkingFs, except for what the interpreter's command lookup
 * asks (exists/stat on the interpreter side). just-bash finds a program by looking for it on PATH in
 * the filesystem and runs any other executable file it finds there as a shell script. In a
 * container image those files are real binaries (ELF) that cannot run here, so on the
 * interpreter side:
 * - `/bin/<name>` and `/usr/bin/<name>` exist for every command the shell implements (whether or not
 *   the image has that binary), so lookup finds just-bash's implementation;
 * - an executable regular file that is not a shell script reports no execute bits, so lookup passes
 *   it by (`bash: apt-get: command not found`, exit 127) and running it by path is refused
 *   (`Permission denied`, exit 126) instead of parsing machine code as a script.
 * Commands (ls, stat, find, cat…) see the filesystem as it is.
 */
export class ShellView implements IFileSystem {
  private readonly sniffed = new Map<string, boolean>();

  constructor(
    private readonly fs: WorkingFs,
    private readonly commandNames: ReadonlySet<string>,
    private readonly shellErrors: ShellErrorClasses = { failCommand: null, stop: null },
  ) {}

  async exists(path: string): Promise<boolean> {
    if (onShellSide() && this.isCommandPath(path)) return true;
    return trusted(() => this.fs.exists(path));
  }

  async stat(path: string): Promise<FsStat> {
    if (!onShellSide()) return trusted(() => this.fs.stat(path));
    if (this.isCommandPath(path)) {
      try {
        return await trusted(() => this.fs.stat(path));
      } catch (error) {
        if (isFsError(error)) return stubStat();
        throw error;
      }
    }
    const stat = await trusted(() => this.fs.stat(path));
    if (!stat.isFile || (stat.mode & 0o111) === 0 || (await this.runnable(path, stat))) return stat;
    return { ...stat, mode: stat.mode & ~0o111 };
  }

  private isCommandPath(path: string): boolean {
    const match = /^\/(?:usr\/)?bin\/([^/]+)$/.exec(path);
    return match !== null && this.commandNames.has(match[1]!);
  }

  private async runnable(path: string, stat: FsStat): Promise<boolean> {
    if (stat.size > maxSniffBytes) return false;
    const key = `${path}\0${stat.size}\0${stat.mtime.getTime()}`;
    let known = this.sniffed.get(key);
    if (known === undefined) {
      known = isShellScript(await trusted(() => this.fs.readFileBuffer(path)));
      this.sniffed.set(key, known);
    }
    return known;
  }

  // Everything else is the WorkingFs as it is. All of it is host code: just-bash's defense-in-depth
  // blocks timers, process.env and the like inside a command, which the WorkingFs, its limit hooks
  // and the BaseFs behind it (a database client) may use.
  readFile(path: string, options?: ReadFileOptions) {
    return trusted(() => this.fs.readFile(path, options));
  }
  readFileBytes(path: string) {
    return trusted(() => this.fs.readFileBytes(path));
  }
  readFileBuffer(path: string) {
    return trusted(() => this.fs.readFileBuffer(path));
  }
  /** On the interpreter side a write is a redirection: its failure fails that command only. */
  async writeFile(path: string, content: FileContent, options?: WriteFileOptions) {
    try {
      await trusted(() => this.fs.writeFile(path, content, options));
    } catch (error) {
      if (onShellSide() && isFsError(error)) throw redirectionError(this.shellErrors, path, error);
      throw error;
    }
  }
  async appendFile(path: string, content: FileContent, options?: WriteFileOptions) {
    try {
      await trusted(() => this.fs.appendFile(path, content, options));
    } catch (error) {
      if (onShellSide() && isFsError(error)) throw redirectionError(this.shellErrors, path, error);
      throw error;
    }
  }
  lstat(path: string) {
    return trusted(() => this.fs.lstat(path));
  }
  mkdir(path: string, options?: MkdirOptions) {
    return trusted(() => this.fs.mkdir(path, options));
  }
  readdir(path: string) {
    return trusted(() => this.fs.readdir(path));
  }
  readdirWithFileTypes(path: string) {
    return trusted(() => this.fs.readdirWithFileTypes(path));
  }
  rm(path: string, options?: RmOptions) {
    return trusted(() => this.fs.rm(path, options));
  }
  cp(src: string, dest: string, options?: CpOptions) {
    return trusted(() => this.fs.cp(src, dest, options));
  }
  mv(src: string, dest: string) {
    return trusted(() => this.fs.mv(src, dest));
  }
  resolvePath(base: string, path: string) {
    return DefenseInDepthBox.runTrusted(() => this.fs.resolvePath(base, path));
  }
  getAllPaths() {
    return DefenseInDepthBox.runTrusted(() => this.fs.getAllPaths());
  }
  chmod(path: string, mode: number) {
    return trusted(() => this.fs.chmod(path, mode));
  }
  symlink(target: string, linkPath: string) {
    return trusted(() => this.fs.symlink(target, linkPath));
  }
  link(existingPath: string, newPath: string) {
    return trusted(() => this.fs.link(existingPath, newPath));
  }
  readlink(path: string) {
    return trusted(() => this.fs.readlink(path));
  }
  realpath(path: string) {
    return trusted(() => this.fs.realpath(path));
  }
  utimes(path: string, atime: Date, mtime: Date) {
    return trusted(() => this.fs.utimes(path, atime, mtime));
  }
}
