import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { type CliContext, errLine } from './context.ts';
import { DaemonError } from './errors.ts';
import { shortId } from './format/table.ts';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The shell's working directory after the line. */
  workingDir: string;
  /** The line's own shell ran `exit` (`cd /tmp && exit 3`) or `set -e` ended it: the session ends. */
  exited: boolean;
}

/** A container shell's prompt: `root@<12-char id>:/tmp# ` (`~` for /root and below, as bash shows HOME). */
export function shellPrompt(containerId: string, workingDir: string | undefined): string {
  const cwd = workingDir || '/';
  const dir = cwd === '/root' ? '~' : cwd.startsWith('/root/') ? `~${cwd.slice('/root'.length)}` : cwd;
  return `root@${shortId(containerId)}:${dir}# `;
}

/** `exit`, `exit 3`: what ends an attached shell (bash: without N, the last command's status). */
export function parseExit(line: string): { code: number | undefined } | undefined {
  const match = /^\s*exit(?:\s+(-?\d+))?\s*;?\s*$/.exec(line);
  if (!match) return undefined;
  return { code: match[1] === undefined ? undefined : ((Number(match[1]) % 256) + 256) % 256 };
}

/**
 * Reads command lines from stdin as an attached shell does: with a prompt and line editing on a
 * terminal, silently from a pipe. A line ending in `\` continues on the next (prompt `> `); blank
 * lines are skipped; `exit [N]` or end of input (Ctrl-D) ends the loop with N or the last
 * command's status, as bash does; Ctrl-C drops the line being typed. `run` sends each line to
 * the server and returns its status — `{ exited }` when the line's shell itself exited
 * (`cd /tmp && exit 3`), which ends the loop too — or undefined when the shell cannot go on.
 */
export async function shellLoop(
  ctx: CliContext,
  prompt: () => string,
  run: (line: string) => Promise<number | { exited: number } | undefined>,
): Promise<{ exitCode: number; ended: 'exit' | 'eof' | 'gone' }> {
  const tty = ctx.stdinIsTTY;
  const rl = createInterface({
    input: ctx.stdin,
    ...(tty
      ? { output: ctx.out as unknown as Writable, terminal: true, prompt: prompt() }
      : { terminal: false }),
    historySize: tty ? 1000 : 0,
  });
  let pending = '';
  const showPrompt = () => {
    if (!tty) return;
    rl.setPrompt(pending ? '> ' : prompt());
    rl.prompt();
  };
  rl.on('SIGINT', () => {
    // bash: `^C`, the typed line is dropped, a fresh prompt.
    pending = '';
    ctx.out.write('^C\n');
    const editor = rl as unknown as { line: string; cursor: number };
    editor.line = '';
    editor.cursor = 0;
    showPrompt();
  });
  let last = 0;
  showPrompt();
  try {
    for await (const raw of rl) {
      const text = pending + raw;
      if (text.endsWith('\\')) {
        pending = `${text.slice(0, -1)}`;
        showPrompt();
        continue;
      }
      pending = '';
      if (text.trim() === '') {
        showPrompt();
        continue;
      }
      const exit = parseExit(text);
      if (exit) return { exitCode: exit.code ?? last, ended: 'exit' };
      const status = await run(text);
      if (status === undefined) return { exitCode: last, ended: 'gone' };
      if (typeof status === 'object') return { exitCode: status.exited, ended: 'exit' };
      last = status;
      showPrompt();
    }
    if (tty) ctx.out.write('exit\n');
    return { exitCode: last, ended: 'eof' };
  } finally {
    rl.close();
  }
}

const execSelection = 'exitCode stdout stderr workingDir exited';

export async function execLine(
  ctx: CliContext,
  container: string,
  command: string,
  session?: string,
  stdin?: string,
): Promise<ExecResult> {
  return ctx.api.mutate<ExecResult>(
    'exec',
    {
      container: { type: 'String!', value: container },
      command: { type: 'String!', value: command },
      ...(session ? { session: { type: 'ID', value: session } } : {}),
      ...(stdin !== undefined ? { stdin: { type: 'String', value: stdin } } : {}),
    },
    execSelection,
  );
}

/** All of stdin, as text (`exec -i` from a pipe or a file). */
export async function readStdin(ctx: CliContext): Promise<string> {
  let text = '';
  ctx.stdin.setEncoding('utf8');
  for await (const chunk of ctx.stdin) text += chunk as string;
  return text;
}

export function printOutput(ctx: CliContext, result: ExecResult): void {
  if (result.stdout) ctx.out.write(result.stdout);
  if (result.stderr) ctx.err.write(result.stderr);
}

/**
 * Runs one line of a session's shell and prints its output; `shell.workingDir` follows the
 * shell's `cd` (the next prompt's). A line whose shell ran `exit` is `{ exited: status }`.
 * A refusal of the server is printed and is status 1 (or ends
 * the shell when the container is gone or stopped).
 */
async function runLine(
  ctx: CliContext,
  shell: { containerId: string; session: string; workingDir?: string | undefined },
  command: string,
): Promise<number | { exited: number } | undefined> {
  try {
    const result = await execLine(ctx, shell.containerId, command, shell.session);
    printOutput(ctx, result);
    shell.workingDir = result.workingDir;
    return result.exited ? { exited: result.exitCode } : result.exitCode;
  } catch (error) {
    if (!(error instanceof DaemonError)) throw error;
    errLine(ctx, error.display);
    if (error.code === 'NOT_FOUND' || /is not running|has ended|is paused/.test(error.message))
      return undefined;
    return 1;
  }
}

/** Opens a shell: attached (`run -it`, `start -ai`) it is the container's main process; not attached (`exec -it`), its end leaves the container running. */
export async function startSession(ctx: CliContext, container: string, attach = true): Promise<string> {
  return (
    await ctx.api.mutate<{ id: string }>(
      'startSession',
      {
        container: { type: 'String!', value: container },
        ...(attach ? {} : { attach: { type: 'Boolean', value: false } }),
      },
      'id',
    )
  ).id;
}

export async function endSession(ctx: CliContext, session: string, exitCode: number): Promise<void> {
  await ctx.api.mutate(
    'endSession',
    { session: { type: 'ID!', value: session }, exitCode: { type: 'Int', value: exitCode } },
    'id',
  );
}

/**
 * `run -it` / `start -ai`: a session is the container's main shell. Each line is one step of it,
 * in the shell the previous lines left (`cd`, variables); `exit [N]` (anywhere the shell itself
 * runs it: `cd /tmp && exit 3`) or Ctrl-D ends it, and the
 * container stops with that status, as in Docker. Returns the status (the CLI exits with it).
 */
export async function attachSession(
  ctx: CliContext,
  container: { containerId: string; workingDir?: string | undefined },
): Promise<number> {
  const session = await startSession(ctx, container.containerId);
  const shell = { ...container, session };
  const { exitCode, ended } = await shellLoop(
    ctx,
    () => shellPrompt(shell.containerId, shell.workingDir),
    (line) => runLine(ctx, shell, line),
  );
  if (ended === 'gone') {
    // The container was stopped or removed under the shell (docker stop from elsewhere): its status is the container's.
    try {
      await endSession(ctx, session, exitCode);
    } catch {}
    return 137;
  }
  await endSession(ctx, session, exitCode);
  return exitCode;
}

/**
 * One command as the container's whole life (`run IMAGE CMD…`): a session of one step, then the
 * container stops with its status. `stdin`: what `run -i` pipes to the command.
 */
export async function runOnce(
  ctx: CliContext,
  containerId: string,
  command: string,
  stdin?: string,
): Promise<number> {
  const session = await startSession(ctx, containerId);
  let status: number;
  try {
    const result = await execLine(ctx, containerId, command, session, stdin);
    printOutput(ctx, result);
    status = result.exitCode;
  } catch (error) {
    if (!(error instanceof DaemonError)) throw error;
    errLine(ctx, error.display);
    status = 126;
  }
  await endSession(ctx, session, status);
  return status;
}

/**
 * `exec -it CONTAINER bash`: a second shell in the container, fresh from the image config; its
 * lines share its state as in any shell. `exit` ends it and leaves the container running.
 */
export async function execShell(
  ctx: CliContext,
  container: { containerId: string; workingDir?: string | undefined },
): Promise<number> {
  const session = await startSession(ctx, container.containerId, false);
  const shell = { ...container, session };
  const { exitCode } = await shellLoop(
    ctx,
    () => shellPrompt(shell.containerId, shell.workingDir),
    (line) => runLine(ctx, shell, line),
  );
  try {
    await endSession(ctx, session, exitCode);
  } catch (error) {
    // The container went away under the shell: the session ends with it.
    if (!(error instanceof DaemonError)) throw error;
  }
  return exitCode;
}
