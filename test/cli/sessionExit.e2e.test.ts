/**
 * `exit` anywhere the attached shell itself runs it ends the session, as in bash: with the real
 * `strata` entry against a real server, `cd /tmp && exit 3` piped to `run -it` ends the shell
 * with status 3 and stops the container with ExitCode 3; `( exit 4 )` does not end it.
 */
import { expect, it } from 'vitest';
import { importImage } from '../../src/app/importImage.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { eachBackend } from '../support/strata.ts';
import { dir } from '../support/tarBuilder.ts';
import { cliServer } from './cliHarness.ts';

const slow = 300_000;

eachBackend('exit inside a longer line of an attached shell', (getStrata) => {
  const s = cliServer(getStrata, async (strata) => {
    await importImage(
      strata,
      memoryImage([[dir('bin'), dir('root', { mode: 0o700 }), dir('tmp', { mode: 0o1777 })]], {
        tag: 'ubuntu:latest',
        cmd: ['/bin/bash'],
      }),
    );
  });
  const state = async (name: string) =>
    JSON.parse((await s.cli(['inspect', name])).stdout)[0].State as { Status: string; ExitCode: number };

  it(
    'run -it: `cd /tmp && exit 3` ends the shell; the lines after it are not run; the container exits 3',
    async () => {
      const run = await s.cli(['run', '-it', '--name', 'web', 'ubuntu'], {
        input: 'echo one\n( exit 4 )\necho still here\ncd /tmp && exit 3\necho not run\n',
      });
      expect(run).toEqual({ stdout: 'one\nstill here\n', stderr: '', code: 3 });
      expect(await state('web')).toMatchObject({ Status: 'exited', Running: false, ExitCode: 3 });
    },
    slow,
  );

  it(
    'start -ai: `false || exit 4`, and a syntax error before it does not end the shell',
    async () => {
      const start = await s.cli(['start', '-ai', 'web'], {
        input: 'if true; then\necho after\nfalse || exit 4\necho not run\n',
      });
      expect(start.stdout).toBe('after\n');
      expect(start.code).toBe(4);
      expect(await state('web')).toMatchObject({ Status: 'exited', ExitCode: 4 });
    },
    slow,
  );

  it(
    'exec -it: `echo bye; exit 5` ends the second shell and leaves the container running',
    async () => {
      await s.cli(['run', '-d', '--name', 'bg', 'ubuntu']);
      const shell = await s.cli(['exec', '-it', 'bg', 'bash'], { input: 'echo bye; exit 5\necho not run\n' });
      expect(shell).toEqual({ stdout: 'bye\n', stderr: '', code: 5 });
      expect(await state('bg')).toMatchObject({ Status: 'running' });
    },
    slow,
  );
});
