/**
 * The Docker tutorial as a newcomer types it, with the real `strata` entry (node bin/strata.js)
 * against a real server and an image pulled from a real registry on loopback (Debian's
 * docker-registry; the small busybox fixture pushed there as `ubuntu` by skopeo):
 * pull, run -it --name with commands piped in (cd and variables carry from line to line), exit,
 * start -ai (a new shell, the file still there), a second container without it, diff, commit,
 * rm, replay and blame; then exec: -i with a script, -i with data, -it as a second shell.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell parameter expansions in command lines
import { beforeAll, describe, expect, it } from 'vitest';
import { hasFixtureTools, skopeo, smallFixtureLayout } from '../support/fixtures.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../support/registry.ts';
import { eachBackend } from '../support/strata.ts';
import { cliServer } from './cliHarness.ts';

const slow = 300_000;
/** A command that printed `stdout`, nothing on stderr, and succeeded. */
const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });
const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const normalize = (text: string) =>
  text.replace(/\[\d+\]/g, '[N]').replace(/session [0-9a-f-]{36}/g, 'session S');

describe.skipIf(!hasRegistry() || !hasFixtureTools())('the Docker tutorial, pulled from a registry', () => {
  let registry: TestRegistry;
  let ubuntu = '';
  beforeAll(async () => {
    registry = await startRegistry();
    await skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--format',
      'v2s2',
      `oci:${await smallFixtureLayout()}:base`,
      `docker://${registry.host}/ubuntu:latest`,
    ]);
    ubuntu = `${registry.host}/ubuntu`;
    return () => registry.stop();
  }, 120_000);

  eachBackend('the Docker tutorial with the strata CLI', (getStrata) => {
    const s = cliServer(getStrata);
    const cli = (...args: Parameters<typeof s.cli>) => s.cli(...args);

    it(
      'strata pull from the local registry, as docker pull prints it',
      async () => {
        const pull = await cli(['pull', ubuntu]);
        expect(pull.stderr).toBe('');
        expect(pull.code).toBe(0);
        expect(lines(pull.stdout)).toEqual([
          'Using default tag: latest',
          'latest: Pulling from ubuntu',
          expect.stringMatching(/^[0-9a-f]{12}: Pull complete$/),
          expect.stringMatching(/^Digest: sha256:[0-9a-f]{64}$/),
          `Status: Downloaded newer image for ${ubuntu}:latest`,
          `${ubuntu}:latest`,
        ]);
        const images = lines((await cli(['images'])).stdout);
        expect(images[0]).toBe(
          `${'REPOSITORY'.padEnd(ubuntu.length + 3)}TAG       IMAGE ID       CREATED       SIZE`,
        );
        expect(images[1]).toMatch(
          new RegExp(
            `^${ubuntu.replaceAll('.', '\\.')} +latest {4}[0-9a-f]{12} {3}\\d+ years ago +\\d+(\\.\\d+)?MB$`,
          ),
        );
      },
      slow,
    );

    it(
      'run -it --name web: one shell for all the piped lines (cd, export, variables); exit stops it',
      async () => {
        const run = await cli(['run', '-it', '--name', 'web', ubuntu], {
          input: [
            'pwd',
            'echo $PATH',
            'cd /root',
            'echo hello > hi.txt',
            'cat hi.txt',
            'pwd',
            'export GREETING=hello',
            'NAME=web',
            'echo "$GREETING from $NAME in $(pwd)"',
            "sh -c 'echo child sees ${GREETING:-nothing} and ${NAME:-nothing}'",
            'exit',
            '',
          ].join('\n'),
        });
        expect(run).toEqual({
          stdout: [
            '/',
            '/bin:/usr/bin:/sbin:/usr/sbin',
            'hello',
            '/root',
            'hello from web in /root',
            'child sees hello and nothing',
            '',
          ].join('\n'),
          stderr: '',
          code: 0,
        });
        const ps = lines((await cli(['ps', '-a'])).stdout);
        expect(ps[0]).toMatch(/^CONTAINER ID {3}IMAGE +COMMAND +CREATED +STATUS +PORTS {5}NAMES$/);
        expect(ps[1]).toMatch(
          new RegExp(
            `^[0-9a-f]{12} {3}${ubuntu.replaceAll('.', '\\.')} +"/bin/sh" {3}.+ ago +Exited \\(0\\) .+ ago +web$`,
          ),
        );
        expect(ps).toHaveLength(2);
      },
      slow,
    );

    it(
      'start -ai web: a new shell from the image config; the file is still there; exit 3 is the status',
      async () => {
        const start = await cli(['start', '-ai', 'web'], {
          input: 'pwd\ncat /root/hi.txt\necho "${GREETING:-unset}"\ncat hi.txt\nexit 3\n',
        });
        expect(start).toEqual({
          stdout: '/\nhello\nunset\n',
          stderr: 'cat: hi.txt: No such file or directory\n',
          code: 3,
        });
        expect((await cli(['ps', '-a', '--format', '{{.Names}} {{.Status}}'])).stdout).toMatch(
          /^web Exited \(3\) .+ ago\n$/,
        );
      },
      slow,
    );

    it(
      'a second container from the same image does not have the file; diff shows what web changed',
      async () => {
        expect(await cli(['run', '--name', 'other', ubuntu, 'cat', '/root/hi.txt'])).toEqual({
          stdout: '',
          stderr: 'cat: /root/hi.txt: No such file or directory\n',
          code: 1,
        });
        expect(await cli(['diff', 'web'])).toEqual(ok('C /root\nA /root/hi.txt\n'));
        expect(await cli(['diff', 'other'])).toEqual(ok(''));
      },
      slow,
    );

    it(
      'commit makes an image that has the file',
      async () => {
        const commit = await cli(['commit', '-m', 'hello file', 'web', 'myimg']);
        expect(commit).toEqual(ok(expect.stringMatching(/^sha256:[0-9a-f]{64}\n$/)));
        expect(await cli(['run', '--rm', 'myimg', 'cat', '/root/hi.txt'])).toEqual(ok('hello\n'));
        expect(lines((await cli(['history', 'myimg'])).stdout)[1]).toMatch(/ 6B {8}hello file$/);
      },
      slow,
    );

    it(
      'replay and blame show the history: each line with its output and changes, who wrote the file',
      async () => {
        const replay = await cli(['replay', 'web']);
        expect(replay.stderr).toBe('');
        expect(normalize(replay.stdout)).toBe(
          [
            `[N] created web from ${ubuntu} (command: /bin/sh)`,
            '[N] started',
            '[N] session S attached',
            '[N] $ pwd',
            '/',
            '[N] $ echo $PATH',
            '/bin:/usr/bin:/sbin:/usr/sbin',
            '[N] $ cd /root',
            '[N] $ echo hello > hi.txt',
            'C /root',
            'A /root/hi.txt',
            '[N] $ cat hi.txt',
            'hello',
            '[N] $ pwd',
            '/root',
            '[N] $ export GREETING=hello',
            '[N] $ NAME=web',
            '[N] $ echo "$GREETING from $NAME in $(pwd)"',
            'hello from web in /root',
            "[N] $ sh -c 'echo child sees ${GREETING:-nothing} and ${NAME:-nothing}'",
            'child sees hello and nothing',
            '[N] session S ended: exit 0',
            '[N] stopped (exit 0)',
            '[N] started',
            '[N] session S attached',
            '[N] $ pwd',
            '/',
            '[N] $ cat /root/hi.txt',
            'hello',
            '[N] $ echo "${GREETING:-unset}"',
            'unset',
            '[N] $ cat hi.txt',
            'cat: hi.txt: No such file or directory',
            'exit 1',
            '[N] session S ended: exit 3',
            '[N] stopped (exit 3)',
            '',
          ].join('\n'),
        );
        const blame = lines((await cli(['blame', 'web', '/root/hi.txt'])).stdout);
        expect(blame).toEqual([
          expect.stringMatching(/^POSITION {3}CREATED +OPERATION {3}SIZE {6}SOURCE$/),
          expect.stringMatching(/^\d+ +.+ ago +write {7}6B {8}\$ echo hello > hi\.txt$/),
        ]);
      },
      slow,
    );

    it(
      'rm removes the container: gone from ps -a, its name free again',
      async () => {
        expect(await cli(['rm', 'web'])).toEqual(ok('web\n'));
        expect(lines((await cli(['ps', '-a', '--format', '{{.Names}}'])).stdout)).toEqual(['other']);
        expect(await cli(['diff', 'web'])).toEqual({
          stdout: '',
          stderr: 'Error response from daemon: No such container: web\n',
          code: 1,
        });
        const again = await cli(['run', '--rm', '--name', 'web', ubuntu, 'ls', '/root']);
        expect(again).toEqual(ok(''));
      },
      slow,
    );

    it(
      'exec -i runs a piped script in one shell; -i feeds data to a command; -it is a second shell',
      async () => {
        expect((await cli(['run', '-d', '--name', 'box', ubuntu])).code).toBe(0);
        const script = [
          'cd /tmp',
          'for i in 1 2; do',
          '  echo "line $i" >> list.txt',
          'done',
          'cat list.txt',
          'exit 4',
          'echo not reached',
          '',
        ].join('\n');
        expect(await cli(['exec', '-i', 'box', 'sh'], { input: script })).toEqual({
          stdout: 'line 1\nline 2\n',
          stderr: '',
          code: 4,
        });
        expect(
          await cli(['exec', '-i', 'box', 'sh', '-c', 'cat > /tmp/copy.txt'], { input: 'data\n' }),
        ).toEqual(ok(''));
        expect((await cli(['exec', 'box', 'cat', '/tmp/copy.txt'])).stdout).toBe('data\n');
        expect(await cli(['run', '-i', '--rm', ubuntu, 'wc', '-l'], { input: 'a\nb\n' })).toEqual(ok('2\n'));

        const shell = await cli(['exec', '-it', 'box', 'sh'], {
          input: 'cd /tmp\nX=1\npwd; echo $X\nexit\n',
        });
        expect(shell).toEqual(ok('/tmp\n1\n'));
        // A separate exec is a fresh shell; the container kept running.
        expect(await cli(['exec', 'box', 'sh', '-c', 'pwd; echo "${X:-unset}"'])).toEqual(ok('/\nunset\n'));
        expect((await cli(['ps', '--format', '{{.Names}} {{.State}}'])).stdout).toBe('box running\n');
        expect((await cli(['diff', 'box'])).stdout).toBe('C /tmp\nA /tmp/copy.txt\nA /tmp/list.txt\n');
      },
      slow,
    );
  });
});
