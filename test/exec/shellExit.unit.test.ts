/**
 * An interactive shell ends when its own top-level shell runs `exit` (or `set -e` stops it),
 * wherever in the line: `ExecResult.exited` says so for a line of an interactive shell (`options.interactive`).
 * An `exit` in a subshell, `bash -c` or a pipeline, and a syntax error, do not end it.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell parameter expansions in command lines
import { describe, expect, it } from 'vitest';
import { MemoryBaseFs } from '../../src/exec/memoryFs.ts';
import { runCommand } from '../../src/exec/runCommand.ts';
import type { ExecResult, ShellState } from '../../src/exec/types.ts';
import { containerId } from './harness.ts';

const base = MemoryBaseFs.from({ '/tmp': { dir: true, mode: 0o1777 }, '/root': { dir: true, mode: 0o700 } });

/** The state of a fresh shell in the container (what the first line of a session starts from). */
async function freshState(): Promise<ShellState> {
  return (await runCommand(base, ':', { containerId })).shell;
}

/** `line` as the next line of a session's shell. */
async function line(command: string): Promise<ExecResult> {
  return runCommand(base, command, { containerId, interactive: true, shell: await freshState() });
}

describe('a line whose top-level shell runs exit ends the session', () => {
  it.each([
    ['cd /tmp && exit 3', 3, ''],
    ['false || exit 4', 4, ''],
    ['if true; then exit 5; fi', 5, ''],
    ['echo bye; exit', 0, 'bye\n'],
    ['false; exit', 1, ''],
    ['exit', 0, ''],
    ['exit 300', 44, ''],
    ['f() { exit 6; }; f; echo not reached', 6, ''],
    ["eval 'exit 7'", 7, ''],
    ['exit 3 && echo no', 3, ''],
    ['set -e; false', 1, ''],
    ['set -e; false || false; echo no', 1, ''],
    ['for i in 1 2; do echo $i; exit 8; done', 8, '1\n'],
  ])('%j ends with status %i', async (command, status, stdout) => {
    const result = await line(command);
    expect(result).toMatchObject({ exited: true, exitCode: status, stdout });
  });

  it.each([
    '( exit 3 )',
    "bash -c 'exit 3'",
    'exit 3 | cat',
    'echo hi | exit 3',
    '(set -e; false); echo yes',
    'set -e; false && true',
    'false',
    'echo ${x:?not set}',
    'set -u; echo $y',
    'set -eu; echo $y',
    'PATH=/nowhere; ls',
    'echo a; false',
    'cat <<EOF\nhi\nEOF',
    'x=1',
    '',
    '# exit',
    "echo 'exit 3'",
  ])('%j does not end it', async (command) => {
    expect((await line(command)).exited).toBeUndefined();
  });

  it.each(['if true; then', "echo 'unterminated", 'echo ${a/', 'exit 3; fi'])(
    'a syntax error (%j) is printed and does not end it, as in an interactive bash',
    async (command) => {
      const result = await line(command);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/syntax error|unexpected EOF/);
      expect(result.exited).toBeUndefined();
    },
  );

  it('a non-interactive exec never reports it, the first line of a shell does', async () => {
    expect((await runCommand(base, 'cd /tmp && exit 3', { containerId })).exited).toBeUndefined();
    const shell = await freshState();
    expect((await runCommand(base, 'cd /tmp && exit 3', { containerId, shell })).exited).toBeUndefined();
    expect(await runCommand(base, 'cd /tmp && exit 3', { containerId, interactive: true })).toMatchObject({
      exited: true,
      exitCode: 3,
    });
  });

  it.each([
    'echo a; false',
    'echo $?; false; echo $?',
    'x=1; echo "$x" >&2; (exit 4)',
    'set -e; false && true',
    'echo ${x:?not set}',
    'set -u; echo $y',
    'if true; then',
    'exit 3 | cat; echo ${PIPESTATUS[@]}',
    'cd /tmp && exit 3',
    'set -e; false',
  ])('%j prints and returns exactly what it did without the probe', async (command) => {
    const plain = await runCommand(base, command, { containerId });
    const probed = await line(command);
    expect({ stdout: probed.stdout, stderr: probed.stderr, exitCode: probed.exitCode }).toEqual({
      stdout: plain.stdout,
      stderr: plain.stderr,
      exitCode: plain.exitCode,
    });
    expect(probed.shell).toEqual(plain.shell);
  });
});
