import type { FsNode } from '../domain/fs/node.ts';
import type { ShellState } from '../domain/session/events.ts';

export type { ShellState };

/**
 * What exec reads: the container's merged view at the moment the command starts. Paths are
 * normalised and absolute (see `normalizePath`); nothing here follows symlinks.
 */
export interface BaseFs {
  /** The node at `path`, or null. Symlinks are returned as symlinks, never followed. */
  lookup(path: string): Promise<FsNode | null>;
  /** The direct children of the directory `dir` (empty when it has none). */
  list(dir: string): Promise<FsNode[]>;
  /** The content of a regular file (or a resolved hardlink), by `node.digest`. */
  read(node: FsNode): Promise<Uint8Array>;
}

/**
 * One change a command made to the container's filesystem, in the order it made them. Applying the
 * list in order to the view the command started from yields the view the command left behind
 * (`applyOperations` in memoryFs.ts is the executable definition). Every path is normalised and
 * physical: symlinks in it are already resolved inside the container root, except the last
 * component of `symlink`, `hardlink` (path), `remove` and `rename`, which name the entry itself.
 *
 * - writeFile: create or replace the regular file at `path` with `content` (the full content, also
 *   after an append). `mode` is set when the file is created; when absent the existing file keeps
 *   its mode and owner. The parent directory exists.
 * - mkdir: create the directory `path` (absent before; parent exists). mkdir -p emits one per level.
 * - symlink: create the symlink `path` → raw `target` (absent before).
 * - hardlink: create `path` as another name of the regular file `target` (absent before).
 * - chmod / chown / utimes: change metadata of an existing entry (mode: permission bits 07777;
 *   mtime: seconds since the epoch).
 * - rename: move the entry `from` (with its subtree) to `to`, replacing a non-directory or an empty
 *   directory at `to`, as rename(2).
 * - remove: delete the entry at `path`; `recursive` when it is a directory removed with its subtree.
 */
export type FsOperation =
  | { op: 'writeFile'; path: string; content: Uint8Array; mode?: number }
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'hardlink'; path: string; target: string }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'rename'; from: string; to: string }
  | { op: 'remove'; path: string; recursive: boolean }
  | { op: 'utimes'; path: string; mtime: number };

/** The resource limits of one exec; see limits.ts for the defaults. */
export interface ExecLimits {
  /** Wall-clock time of the whole command line, in milliseconds. */
  wallTimeMs: number;
  /** stdout + stderr together, in bytes. */
  maxOutputBytes: number;
  /** Commands executed (builtins, functions and programs, nested `bash -c` included). */
  maxCommands: number;
  /** Iterations of one shell loop (for/while/until), and of awk, sed and jq loops. */
  maxLoopIterations: number;
  /** Function call depth. */
  maxCallDepth: number;
  /** Bytes written to files in total (appends count what they append; cp what it copies). */
  maxBytesWritten: number;
  /** Size of any one file the command writes. */
  maxFileSize: number;
}

export type ExecLimitName =
  | 'wallTime'
  | 'outputBytes'
  | 'commands'
  | 'loopIterations'
  | 'callDepth'
  | 'bytesWritten'
  | 'fileSize'
  /** Another interpreter safeguard (string length, array size, brace expansion, heredoc size…). */
  | 'interpreter'
  /** Not a limit: the caller's AbortSignal stopped the command. */
  | 'aborted';

export interface LimitHit {
  limit: ExecLimitName;
  /** The configured value that was exceeded (absent for `interpreter`). */
  value?: number;
  message: string;
}

export interface ExecOptions {
  /** The container id; HOSTNAME is its first 12 characters (without a `sha256:` prefix). */
  containerId?: string;
  /** Starting directory (the container's WorkingDir); default `/`. Must exist and be a directory. */
  workingDir?: string;
  /**
   * The container's environment (image config `Env` plus overrides), as `KEY=VALUE` strings or a
   * record. Applied over the defaults (PATH, HOME=/root, USER=root, HOSTNAME); PWD always follows
   * the working directory.
   */
  env?: readonly string[] | Readonly<Record<string, string>>;
  /**
   * The state the shell was left in by the previous line of the same interactive shell (its
   * working directory and variables). When given, it replaces `workingDir` and `env`: the line
   * runs as the next one typed into that shell. When absent, the shell is a fresh one.
   */
  shell?: ShellState;
  /**
   * The line is typed into an interactive shell (a session's): the result says whether that shell
   * itself exited (`ExecResult.exited`). Output, status and state are the same either way.
   */
  interactive?: boolean;
  /**
   * The exit status of the previous line of the same interactive shell: what `$?` holds when the
   * line starts, as in bash (0 when absent: a session's first line). Only for an `interactive`
   * line; a nested shell (`bash -c`) starts with 0 as ever.
   */
  lastExitCode?: number;
  /** Standard input of the command line. */
  stdin?: string;
  limits?: Partial<ExecLimits>;
  /** Aborting stops the command like a kill: the writes made so far are kept. */
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The file operations performed, in order (coalesced, see docs/exec.md). */
  operations: FsOperation[];
  /** Set when a limit stopped the command; exitCode is then 137 and stderr ends with a `strata:` line. */
  limitHit?: LimitHit;
  /**
   * The shell's state after the command line: where the next line of the same shell starts.
   * A command stopped by a limit, or ended by an error of the interpreter, leaves it as it was.
   */
  shell: ShellState;
  /**
   * Set when the line was typed into an interactive shell (`options.interactive`) and that shell itself ran
   * `exit` (`cd /tmp && exit 3`, `false || exit 4`) or was ended by `set -e`: an interactive session
   * ends there, with `exitCode`. Not set for an `exit` in a subshell, `bash -c` or a pipeline, nor
   * for a syntax error or a limit.
   */
  exited?: true;
}
