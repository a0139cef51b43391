import { Bash } from 'just-bash';
import { validationError } from '../domain/errors.ts';
import { shellCommands } from './commands.ts';
import { isFsError } from './fsErrors.ts';
import { limitHit, resolveExecLimits } from './limits.ts';
import { loadShellErrorClasses, redirectionMessage, stopError } from './shellErrors.ts';
import { exitProbe, loadExitProbeSupport } from './shellExit.ts';
import {
  bashEnvironment,
  capturedShell,
  execEnvironment,
  exportedNames,
  freshShell,
  isolateExports,
  restoreShell,
  setStartStatus,
  variableName,
} from './shellState.ts';
import { startStatusPlugin } from './shellStatus.ts';
import { runOnShellSide, ShellView } from './shellView.ts';
import type { BaseFs, ExecLimits, ExecOptions, ExecResult, LimitHit, ShellState } from './types.ts';
import { normalize, WorkingFs } from './workingFs.ts';

/** Docker's default PATH for Linux containers. */
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Exit status of a command stopped by a limit, as of a process killed by SIGKILL. */
export const limitExitCode = 137;

/** How long a command may outlive its deadline before its result is taken as it stands. */
const deadlineGraceMs = 2_000;

const hostnameOf = (options: ExecOptions) =>
  (options.containerId ?? '').replace(/^sha256:/, '').slice(0, 12) || 'localhost';

function environment(options: ExecOptions, workingDir: string): Record<string, string> {
  const hostname = hostnameOf(options);
  const env: Record<string, string> = { PATH: defaultPath, HOME: '/root', USER: 'root', HOSTNAME: hostname };
  const given = options.env ?? {};
  const pairs: [string, string][] = Array.isArray(given)
    ? (given as readonly string[]).map((entry) => {
        const cut = entry.indexOf('=');
        return cut === -1 ? [entry, ''] : [entry.slice(0, cut), entry.slice(cut + 1)];
      })
    : Object.entries(given as Record<string, string>);
  for (const [key, value] of pairs) {
    if (!variableName.test(key)) throw validationError(`invalid environment variable name "${key}"`, { key });
    env[key] = value;
  }
  env.PWD = workingDir;
  env.OLDPWD = workingDir;
  return env;
}

/**
 * The limits just-bash enforces itself report through a stderr line and exit status 126
 * (124 for its deadline); recognise them to report them as Strata's.
 */
function interpreterLimit(exitCode: number, lastLine: string, limits: ExecLimits): LimitHit | null {
  if (exitCode === 124 && /^bash: .*(execution deadline|execution aborted)/.test(lastLine)) {
    return limitHit('wallTime', limits.wallTimeMs);
  }
  if (exitCode !== 126) return null;
  // awk, sed and jq report their own loop limits ("awk: awk: while loop exceeded maximum iterations (N)").
  if (/ exceeded maximum iterations \(\d+\)$/.test(lastLine))
    return limitHit('loopIterations', limits.maxLoopIterations);
  if (!lastLine.startsWith('bash: ')) return null;
  const setting = /increase executionLimits\.(\w+)/.exec(lastLine)?.[1];
  if (setting === 'maxOutputSize') return limitHit('outputBytes', limits.maxOutputBytes);
  if (setting === 'maxCommandCount') return limitHit('commands', limits.maxCommands);
  if (setting === 'maxCallDepth') return limitHit('callDepth', limits.maxCallDepth);
  if (setting && /Iterations$/.test(setting)) return limitHit('loopIterations', limits.maxLoopIterations);
  if (/: iteration limit exceeded \(\d+\)$/.test(lastLine))
    return limitHit('loopIterations', limits.maxLoopIterations);
  if (setting || /(limit exceeded|maximum depth \(\d+\) exceeded|too many)/.test(lastLine)) {
    return limitHit('interpreter', undefined, lastLine.slice('bash: '.length));
  }
  return null;
}

function withoutLastLine(text: string): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const cut = body.lastIndexOf('\n');
  return cut === -1 ? '' : body.slice(0, cut + 1);
}

const stoppedLine = (reason: LimitHit) => `strata: exec stopped: ${reason.message}\n`;

const lastLineOf = (text: string): string => {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body.slice(body.lastIndexOf('\n') + 1);
};

/** A previous line's exit status as `$?` holds it: modulo 256, as bash's (0 when absent). */
function statusOf(code: number | undefined): number {
  if (code === undefined) return 0;
  if (!Number.isInteger(code))
    throw validationError(`invalid last exit code ${code}: not an integer`, { lastExitCode: code });
  return ((code % 256) + 256) % 256;
}

type ShellInternals = { execInScope?: (...args: unknown[]) => Promise<unknown> };

/**
 * Runs `command` (a bash command line) against `base`, the container's merged view at this moment,
 * with just-bash as the interpreter. Nothing is written anywhere: the result lists the file
 * operations the command performed, in order, for the container decider to append.
 *
 * Failures of the command are results (exit status, stderr). A limit stops the command like a kill:
 * exit status 137, a `strata:` line on stderr, `limitHit`, and the operations made before it.
 * Invalid options throw StrataError VALIDATION; a failing base (database, content store) throws
 * whatever the base threw.
 */
export async function runCommand(
  base: BaseFs,
  command: string,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const limits = resolveExecLimits(options.limits);
  const controller = new AbortController();
  let hit: LimitHit | null = null;
  let hostError: { error: unknown } | null = null;
  const stop = (reason: LimitHit) => {
    hit ??= reason;
    controller.abort();
  };

  const shellErrors = await loadShellErrorClasses();
  const working = new WorkingFs(
    base,
    { maxFileSize: limits.maxFileSize, maxBytesWritten: limits.maxBytesWritten },
    {
      onLimit: (limit, value, path) => {
        const reason = limitHit(limit, value, path);
        stop(reason);
        // Stops the interpreter where it stands, keeping the output so far; the abort above
        // catches a command that swallows the error.
        return stopError(shellErrors, stoppedLine(reason)) ?? undefined;
      },
      onHostError: (error) => {
        hostError ??= { error };
        controller.abort();
      },
    },
  );

  let before: ShellState;
  if (options.shell) {
    // The next line of a shell: its directory may have been removed since, which bash tolerates.
    before = { ...options.shell, cwd: normalize(options.shell.cwd) };
  } else {
    const workingDir = normalize(options.workingDir ?? '/');
    try {
      if (!(await working.stat(workingDir)).isDirectory) throw new Error('not a directory');
    } catch (error) {
      if (hostError) throw (hostError as { error: unknown }).error;
      if (!isFsError(error) && !(error instanceof Error && error.message === 'not a directory')) throw error;
      throw validationError(`working directory ${workingDir} does not exist in the container`, {
        workingDir,
      });
    }
    before = freshShell(environment(options, workingDir), workingDir);
  }

  const { commands, names } = shellCommands(working, hostnameOf(options));
  // Whether the line's own shell ran `exit` (see shellExit.ts): only an interactive shell asks.
  const probe = options.interactive ? exitProbe(await loadExitProbeSupport()) : undefined;
  if (probe) names.add(probe.command.name);
  // The next line of an interactive shell starts with `$?` at the previous line's status, as in bash.
  const startStatus = options.interactive ? statusOf(options.lastExitCode) : 0;
  const statusPlugin = startStatus !== 0 ? startStatusPlugin() : undefined;
  const shell = new Bash({
    fs: new ShellView(working, names, shellErrors),
    cwd: before.cwd,
    env: bashEnvironment(before),
    customCommands: probe ? [...commands, probe.command] : commands,
    ...(probe?.coverage ? { coverage: probe.coverage } : {}),
    processInfo: { pid: 1, ppid: 0, uid: 0, gid: 0 },
    executionLimits: {
      maxExecutionTimeMs: limits.wallTimeMs,
      maxOutputSize: limits.maxOutputBytes,
      // The probe's statement, and the status plugin's, are one command more each than the line's.
      maxCommandCount: limits.maxCommands + (probe ? 1 : 0) + (statusPlugin ? 1 : 0),
      maxLoopIterations: limits.maxLoopIterations,
      maxAwkIterations: limits.maxLoopIterations,
      maxSedIterations: limits.maxLoopIterations,
      maxJqIterations: limits.maxLoopIterations,
      maxCallDepth: limits.maxCallDepth,
    },
  });
  restoreShell(shell, before);
  if (statusPlugin) shell.registerTransformPlugin(statusPlugin);
  if (probe) shell.registerTransformPlugin(probe.plugin);
  // Every (nested) script execution runs on the interpreter side of the ShellView.
  const internals = shell as unknown as ShellInternals;
  const execInScope = internals.execInScope;
  if (typeof execInScope !== 'function') throw new Error('just-bash changed: Bash.execInScope is missing');
  const exported = exportedNames(shell);
  internals.execInScope = (...args: unknown[]) => {
    const nested = typeof args[3] === 'number' && args[3] > 0;
    // A nested shell (`bash -c`, depth > 0) exports into a copy: just-bash would share the set.
    if (nested) isolateExports(shell, exported);
    // It starts with `$?` at 0, as a new bash does; the line itself with the previous line's.
    setStartStatus(shell, nested ? 0 : startStatus);
    return runOnShellSide(() => execInScope.apply(shell, args));
  };

  const onAbort = () => stop(limitHit('aborted', undefined));
  const signal = options.signal;
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const deadline = setTimeout(() => stop(limitHit('wallTime', limits.wallTimeMs)), limits.wallTimeMs);
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<null>((resolve) => {
    controller.signal.addEventListener('abort', () => {
      graceTimer = setTimeout(() => resolve(null), deadlineGraceMs);
    });
  });

  let outcome: {
    stdout: string;
    stderr: string;
    exitCode: number;
    env?: Record<string, string>;
    /** Set on the results made here for errors just-bash let through: they do not end the shell. */
    escaped?: boolean;
  } | null;
  try {
    outcome = await Promise.race([
      shell
        .exec(command, {
          stdin: options.stdin ?? '',
          signal: controller.signal,
          rawScript: true,
          env: execEnvironment(before),
        })
        .catch((error: unknown) => {
          // An error just-bash does not handle ends the command line (see shellErrors.ts).
          if (hostError || hit) return { stdout: '', stderr: '', exitCode: limitExitCode, escaped: true };
          if (isFsError(error))
            return { stdout: '', stderr: redirectionMessage(error.path, error), exitCode: 1, escaped: true };
          const stderr = (error as { stderr?: unknown } | null)?.stderr;
          if (error instanceof Error && error.name === 'GlobError' && typeof stderr === 'string') {
            return { stdout: '', stderr, exitCode: 1, escaped: true };
          }
          throw error;
        }),
      grace,
    ]);
  } finally {
    clearTimeout(deadline);
    clearTimeout(graceTimer);
    signal?.removeEventListener('abort', onAbort);
  }
  const operations = working.operations();
  // Whatever the shell still does after this point is cut off from the filesystem.
  working.stop(new Error('exec finished'));
  if (hostError) throw (hostError as { error: unknown }).error;

  let { stdout, stderr, exitCode } = outcome ?? { stdout: '', stderr: '', exitCode: limitExitCode };
  const lastLine = lastLineOf(stderr);
  const fromInterpreter = interpreterLimit(exitCode, lastLine, limits);
  const reason: LimitHit | null = hit ?? fromInterpreter;
  if (!reason) {
    const after = outcome?.env ? capturedShell(exported, outcome.env, before) : before;
    const exited = probe && outcome && !outcome.escaped ? probe.exited(outcome) : false;
    return {
      exitCode,
      stdout,
      stderr,
      operations,
      shell: after,
      ...(exited ? { exited: true as const } : {}),
    };
  }
  const line = stoppedLine(reason);
  if (fromInterpreter) stderr = withoutLastLine(stderr);
  if (!stderr.endsWith(line)) stderr += line;
  exitCode = limitExitCode;
  return { exitCode, stdout, stderr, operations, limitHit: reason, shell: before };
}
