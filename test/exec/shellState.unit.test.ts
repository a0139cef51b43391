/**
 * The lines of one interactive shell share its state, as in `docker run -it ubuntu`: each line
 * runs with the `shell` the previous one returned (cwd, exported and plain variables).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell parameter expansions in command lines
import { describe, expect, it } from 'vitest';
import { MemoryBaseFs, type TreeSpec } from '../../src/exec/memoryFs.ts';
import { defaultPath, limitExitCode, runCommand } from '../../src/exec/runCommand.ts';
import type { ExecOptions, ExecResult, ShellState } from '../../src/exec/types.ts';
import { containerId } from './harness.ts';

const image: TreeSpec = {
  '/root': { dir: true, mode: 0o700 },
  '/tmp': { dir: true, mode: 0o1777 },
  '/srv/app/index.html': '<h1>hi</h1>\n',
};

/** Types `lines` into one shell, each with the state the previous left; returns each line's result. */
async function session(lines: readonly string[], options: ExecOptions = {}): Promise<ExecResult[]> {
  let base = MemoryBaseFs.from(image);
  let shell: ShellState | undefined;
  const results: ExecResult[] = [];
  for (const line of lines) {
    const result = await runCommand(base, line, { containerId, ...options, ...(shell ? { shell } : {}) });
    base = base.apply(result.operations);
    shell = result.shell;
    results.push(result);
  }
  return results;
}

const printed = (results: ExecResult[]) => results.map((r) => r.stdout + r.stderr);

const freshEnv = { PATH: defaultPath, HOME: '/root', USER: 'root', HOSTNAME: '4f1c2d3e5a6b' };

describe('the shell state across the lines of a session', () => {
  it('cd persists: pwd, relative paths and cd - follow it', async () => {
    const results = await session([
      'cd /tmp',
      'pwd',
      'echo hi > note.txt',
      'cat /tmp/note.txt; ls',
      'cd -',
      'pwd',
      'cd ~; pwd',
    ]);
    expect(printed(results)).toEqual(['', '/tmp\n', '', 'hi\nnote.txt\n', '/\n', '/\n', '/root\n']);
    expect(results[2]!.operations).toMatchObject([{ op: 'writeFile', path: '/tmp/note.txt' }]);
    expect(results[0]!.shell).toEqual({ cwd: '/tmp', oldCwd: '/', env: freshEnv, vars: {} });
  });

  it('exported variables persist and reach child processes; plain ones persist in the shell only', async () => {
    const results = await session([
      'export GREETING=hello',
      'NAME=web',
      'echo "$GREETING $NAME"',
      "bash -c 'echo child:$GREETING:${NAME-unset}'",
      'export -p | grep -E " (GREETING|NAME)="',
      'export NAME',
      "bash -c 'echo child:$NAME'",
    ]);
    expect(printed(results)).toEqual([
      '',
      '',
      'hello web\n',
      'child:hello:unset\n',
      'declare -x GREETING="hello"\n',
      '',
      'child:web\n',
    ]);
    expect(results[2]!.shell).toEqual({
      cwd: '/',
      oldCwd: '/',
      env: { ...freshEnv, GREETING: 'hello' },
      vars: { NAME: 'web' },
    });
    expect(results[6]!.shell.env.NAME).toBe('web');
    expect(results[6]!.shell.vars).toEqual({});
  });

  it('unset and export -n persist, also of the variables every shell starts with', async () => {
    const results = await session([
      'export A=1',
      'unset A; unset PATH',
      'echo "${A-gone} ${PATH-none}"',
      'export -n HOME',
      "echo $HOME; bash -c 'echo child:${HOME-unset}' 2>&1 || true",
    ]);
    expect(printed(results)[2]).toBe('gone none\n');
    expect(results[3]!.shell.vars).toEqual({ HOME: '/root' });
    expect(results[3]!.shell.env).not.toHaveProperty('PATH');
    expect(printed(results)[4]!.split('\n')[0]).toBe('/root');
  });

  it("a child shell's export does not export the parent's variable", async () => {
    const results = await session([
      'W=1',
      "bash -c 'export W=2; echo child:$W'; echo parent:$W",
      "bash -c 'echo child:${W-unset}'",
    ]);
    expect(printed(results)).toEqual(['', 'child:2\nparent:1\n', 'child:unset\n']);
    expect(results[1]!.shell.vars).toEqual({ W: '1' });
  });

  it('a changed IFS stays in effect on the next line', async () => {
    const results = await session(['IFS=:', 'x="a:b"; for i in $x; do echo $i; done']);
    expect(printed(results)).toEqual(['', 'a\nb\n']);
  });

  it('the working directory may disappear under the shell, as in bash', async () => {
    const results = await session(['mkdir /d && cd /d', 'rmdir /d', 'pwd', 'cd /srv/app && ls']);
    expect(printed(results)).toEqual(['', '', '/d\n', 'index.html\n']);
  });

  it('a line stopped by a limit leaves the state as it was before it', async () => {
    const results = await session(
      ['cd /tmp; X=1', 'cd /; Y=2; while true; do :; done', 'pwd; echo "$X ${Y-unset}"'],
      {
        limits: { maxLoopIterations: 100 },
      },
    );
    expect(results[1]!.exitCode).toBe(limitExitCode);
    expect(results[1]!.shell).toEqual(results[0]!.shell);
    expect(printed(results)[2]).toBe('/tmp\n1 unset\n');
  });
});

describe('a fresh shell starts from the container config, as in Docker', () => {
  it('the image Env over the defaults, in WorkingDir', async () => {
    const [result] = await session(['pwd; echo "$PATH|$APP_ENV|$HOME"'], {
      workingDir: '/srv/app',
      env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'APP_ENV=production'],
    });
    expect(result!.stdout).toBe('/srv/app\n/usr/local/bin:/usr/bin:/bin|production|/root\n');
    expect(result!.shell).toEqual({
      cwd: '/srv/app',
      oldCwd: '/srv/app',
      env: { ...freshEnv, PATH: '/usr/local/bin:/usr/bin:/bin', APP_ENV: 'production' },
      vars: {},
    });
  });

  it('without WorkingDir, at /', async () => {
    const [result] = await session(['pwd']);
    expect(result!.stdout).toBe('/\n');
  });
});
