/**
 * `$?` carries over between the lines of an interactive shell, as in bash: each line starts with
 * it at the previous line's exit status (`options.lastExitCode`; 0 for the first line). A
 * non-interactive exec, and a nested `bash -c`, start with 0.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBaseFs } from '../../src/exec/memoryFs.ts';
import { limitExitCode, runCommand } from '../../src/exec/runCommand.ts';
import type { ExecOptions, ExecResult, ShellState } from '../../src/exec/types.ts';
import { containerId } from './harness.ts';

const image = MemoryBaseFs.from({ '/tmp': { dir: true, mode: 0o1777 }, '/root': { dir: true, mode: 0o700 } });

/** Types `lines` into one interactive shell, each with the state and status the previous left. */
async function session(lines: readonly string[], options: ExecOptions = {}): Promise<ExecResult[]> {
  let base = image;
  let shell: ShellState | undefined;
  let lastExitCode: number | undefined;
  const results: ExecResult[] = [];
  for (const line of lines) {
    const result = await runCommand(base, line, {
      containerId,
      interactive: true,
      ...options,
      ...(shell ? { shell } : {}),
      ...(lastExitCode !== undefined ? { lastExitCode } : {}),
    });
    base = base.apply(result.operations);
    shell = result.shell;
    lastExitCode = result.exitCode;
    results.push(result);
  }
  return results;
}

const outputs = (results: ExecResult[]) => results.map((r) => [r.stdout + r.stderr, r.exitCode]);

describe('$? across the lines of an interactive shell', () => {
  it('the next line starts with the previous line status', async () => {
    expect(outputs(await session(['false', 'echo $?']))).toEqual([
      ['', 1],
      ['1\n', 0],
    ]);
    const [missing, status] = await session(['ls /missing', 'echo $?']);
    expect(missing!.exitCode).toBe(2);
    expect(status!.stdout).toBe('2\n');
  });

  it('the first line starts with 0, and so does a line after a successful one', async () => {
    expect(outputs(await session(['echo $?', 'true', 'echo $?']))).toEqual([
      ['0\n', 0],
      ['', 0],
      ['0\n', 0],
    ]);
  });

  it('$? within a line works as before', async () => {
    const [, line] = await session(['false', 'echo $?; (exit 7); echo $?; true; echo $?']);
    expect(line!.stdout).toBe('1\n7\n0\n');
  });

  it('a nested bash -c starts with 0, as a new bash does', async () => {
    const [, line] = await session(['false', "echo $?; bash -c 'echo nested $?'"]);
    expect(line!.stdout).toBe('1\nnested 0\n');
  });

  it('a comment line keeps the status; exit without N uses it', async () => {
    const results = await session(['false', '# nothing', 'echo $?']);
    expect(outputs(results)).toEqual([
      ['', 1],
      ['', 1],
      ['1\n', 0],
    ]);
    const [, exited] = await session(['ls /missing', 'exit']);
    expect(exited).toMatchObject({ exited: true, exitCode: 2 });
  });

  it('a plain assignment after a failing line succeeds, as in bash, and sees the old $?', async () => {
    const results = await session([
      'false',
      'NAME=web',
      'false',
      'X=$?; echo "$X $?"',
      'false',
      'A=1 && B=$? && echo "$A$B"',
      'false',
      'Y=$(exit 3)',
      'false',
      'Z=1; exit',
    ]);
    expect(outputs(results)).toEqual([
      ['', 1],
      ['', 0],
      ['', 1],
      ['1 0\n', 0],
      ['', 1],
      ['10\n', 0],
      ['', 1],
      ['', 3],
      ['', 1],
      ['', 0],
    ]);
    expect(results[1]!.shell.vars).toEqual({ NAME: 'web' });
    expect(results[9]!.exited).toBe(true);
  });

  it('the shell state recorded is the same as without a carried status', async () => {
    const [, after] = await session(['false', 'cd /tmp; V=1']);
    const [, fresh] = await session(['true', 'cd /tmp; V=1']);
    expect(after!.shell).toEqual(fresh!.shell);
  });

  it('a stopped line carries its status 137', async () => {
    const results = await session(['while true; do :; done', 'echo $?'], {
      limits: { maxLoopIterations: 10 },
    });
    expect(results[0]!.exitCode).toBe(limitExitCode);
    expect(results[1]!.stdout).toBe(`${limitExitCode}\n`);
  });

  it('the assignment fix costs no command of the line: maxCommands stays fair', async () => {
    const [, line] = await session(['false', 'A=1; true; true'], { limits: { maxCommands: 3 } });
    expect(line).toMatchObject({ exitCode: 0, stderr: '' });
    const [, over] = await session(['false', 'A=1; true; true; true'], { limits: { maxCommands: 3 } });
    expect(over!.exitCode).toBe(limitExitCode);
  });
});

describe('a non-interactive exec', () => {
  it('starts with $? at 0 whatever it is given', async () => {
    const result = await runCommand(image, 'echo $?', { containerId, lastExitCode: 2 });
    expect(result.stdout).toBe('0\n');
    const assigned = await runCommand(image, 'X=1', { containerId, lastExitCode: 2 });
    expect(assigned.exitCode).toBe(0);
  });
});
