/**
 * The strata CLI's commands, with the real entry (node bin/strata.js) against a real server, over
 * an image imported in the test (so they run without a registry): run -it with commands piped to
 * it, exit, start -ai, a second container, diff, commit, rm, exec, Docker's errors and exit codes,
 * inspect, system df, tag/rmi, events, then what Docker cannot do: replay, blame, at.
 * dockerTutorial.e2e.test.ts is the tutorial itself, with an image pulled from a registry.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { importImage } from '../../src/app/importImage.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { eachBackend } from '../support/strata.ts';
import { dir, file } from '../support/tarBuilder.ts';
import { cliServer } from './cliHarness.ts';

const slow = 300_000;
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

eachBackend('the strata CLI over an imported image', (getStrata) => {
  const s = cliServer(getStrata, async (strata) => {
    const twoWeeksAgo = new Date(Date.now() - 15 * 24 * 3600 * 1000).toISOString();
    await importImage(
      strata,
      memoryImage(
        [
          [
            dir('bin'),
            dir('etc'),
            file('etc/motd', 'Welcome to Ubuntu\n'),
            dir('root', { mode: 0o700 }),
            dir('tmp', { mode: 0o1777 }),
          ],
          [file('etc/hostname', 'ubuntu\n')],
        ],
        {
          tag: 'ubuntu:latest',
          cmd: ['/bin/bash'],
          created: twoWeeksAgo,
          // memoryImage's type leaves out `created`; the OCI config takes it (docker history's CREATED).
          history: [
            { created: twoWeeksAgo, created_by: '/bin/sh -c #(nop) ADD file:1a2b3c in / ' },
            { created: twoWeeksAgo, created_by: '/bin/sh -c echo ubuntu > /etc/hostname' },
            { created: twoWeeksAgo, created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
          ] as unknown as { created_by: string; empty_layer?: boolean }[],
        },
      ),
    );
  });
  const cli = (...args: Parameters<typeof s.cli>) => s.cli(...args);
  let sessionStart = 0;
  let echoStep = 0;

  it(
    'lists the image as docker images does',
    async () => {
      const images = await cli(['images']);
      expect(images.code).toBe(0);
      expect(lines(images.stdout)[0]).toBe('REPOSITORY   TAG       IMAGE ID       CREATED       SIZE');
      expect(lines(images.stdout)[1]).toMatch(/^ubuntu {7}latest {4}[0-9a-f]{12} {3}2 weeks ago {3}\d+B$/);
      const history = await cli(['history', 'ubuntu']);
      expect(lines(history.stdout)).toEqual([
        'IMAGE          CREATED       CREATED BY                                SIZE      COMMENT',
        expect.stringMatching(
          /^[0-9a-f]{12} {3}2 weeks ago {3}\/bin\/sh -c #\(nop\) {2}CMD \["bash"\] {11}0B {8}$/,
        ),
        '<missing>      2 weeks ago   /bin/sh -c echo ubuntu > /etc/hostname    7B        ',
        expect.stringMatching(
          /^<missing> {6}2 weeks ago {3}\/bin\/sh -c #\(nop\) ADD file:1a2b3c in \/ {4}\d+B +$/,
        ),
      ]);
    },
    slow,
  );

  it(
    'run -it --name web ubuntu: a shell reading commands from a pipe; exit stops the container',
    async () => {
      const run = await cli(['run', '-it', '--name', 'web', 'ubuntu'], {
        input: 'echo hello > /root/hi.txt\ncat /root/hi.txt\nexit\n',
      });
      expect(run).toEqual({ stdout: 'hello\n', stderr: '', code: 0 });
      const ps = await cli(['ps', '-a']);
      expect(lines(ps.stdout)[0]).toMatch(
        /^CONTAINER ID {3}IMAGE {5}COMMAND {7}CREATED +STATUS +PORTS {5}NAMES$/,
      );
      expect(lines(ps.stdout)[1]).toMatch(
        /^[0-9a-f]{12} {3}ubuntu {4}"\/bin\/bash" {3}.+ ago +Exited \(0\) .+ ago +web$/,
      );
      expect(lines(ps.stdout)).toHaveLength(2);
      expect((await cli(['ps'])).stdout).toBe(
        'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
      );
    },
    slow,
  );

  it(
    'start -ai web: the file is still there; exit N is the exit code of the container and of the CLI',
    async () => {
      const start = await cli(['start', '-ai', 'web'], { input: 'cat /root/hi.txt\nexit 3\n' });
      expect(start).toEqual({ stdout: 'hello\n', stderr: '', code: 3 });
      const ps = await cli(['ps', '-a', '--format', '{{.Names}} {{.State}} {{.Status}}']);
      expect(ps.stdout).toMatch(/^web exited Exited \(3\) .+ ago\n$/);
      const json = JSON.parse((await cli(['ps', '-a', '-s', '--format', 'json'])).stdout);
      expect(json).toMatchObject({
        Names: 'web',
        Image: 'ubuntu',
        Command: '"/bin/bash"',
        State: 'exited',
        Size: expect.stringMatching(/^6B \(virtual \d+B\)$/),
      });
    },
    slow,
  );

  it(
    'a second container from the same image does not have the file; a command runs once and is the exit code',
    async () => {
      const other = await cli(['run', '--name', 'other', 'ubuntu', 'cat', '/root/hi.txt']);
      expect(other).toEqual({
        stdout: '',
        stderr: 'cat: /root/hi.txt: No such file or directory\n',
        code: 1,
      });
      const apt = await cli(['run', '--rm', 'ubuntu', 'apt-get', 'update']);
      expect(apt).toEqual({ stdout: '', stderr: 'bash: apt-get: command not found\n', code: 127 });
      expect(lines((await cli(['ps', '-a', '--format', '{{.Names}}'])).stdout).sort()).toEqual([
        'other',
        'web',
      ]);
      expect((await cli(['diff', 'web'])).stdout).toBe('C /root\nA /root/hi.txt\n');
      expect((await cli(['diff', 'other'])).stdout).toBe('');
    },
    slow,
  );

  it(
    'commit web myimg makes an image that has the file',
    async () => {
      const commit = await cli(['commit', '-m', 'hello file', 'web', 'myimg']);
      expect(commit.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
      const id = commit.stdout.slice('sha256:'.length, 'sha256:'.length + 12);
      expect(lines((await cli(['images'])).stdout)[1]).toMatch(
        new RegExp(`^myimg {8}latest {4}${id} {3}.+ ago +\\d+B$`),
      );
      expect(lines((await cli(['history', 'myimg'])).stdout)[1]).toMatch(
        new RegExp(`^${id} .+ ago +.+ +6B {8}hello file$`),
      );
      expect((await cli(['create', '--name', 'fromimg', 'myimg'])).stdout).toMatch(/^[0-9a-f]{64}\n$/);
      expect(await cli(['cp', 'fromimg:/root/hi.txt', '-'])).toEqual({
        stdout: 'hello\n',
        stderr: '',
        code: 0,
      });
      expect(await cli(['run', '--rm', 'myimg', 'cat', '/root/hi.txt'])).toEqual({
        stdout: 'hello\n',
        stderr: '',
        code: 0,
      });
    },
    slow,
  );

  it(
    'replay, blame and at show the history',
    async () => {
      const replay = await cli(['replay', 'web']);
      expect(replay.code).toBe(0);
      const normalize = (text: string) =>
        text.replace(/\[\d+\]/g, '[N]').replace(/session [0-9a-f-]{36}/g, 'session S');
      // The history up to the first session's echo step.
      const untilEcho = [
        '[N] created web from ubuntu (command: /bin/bash)',
        '[N] started',
        '[N] session S attached',
        '[N] $ echo hello > /root/hi.txt',
        'C /root',
        'A /root/hi.txt',
      ];
      expect(normalize(replay.stdout)).toBe(
        [
          ...untilEcho,
          '[N] $ cat /root/hi.txt',
          'hello',
          '[N] session S ended: exit 0',
          '[N] stopped (exit 0)',
          '[N] started',
          '[N] session S attached',
          '[N] $ cat /root/hi.txt',
          'hello',
          '[N] session S ended: exit 3',
          '[N] stopped (exit 3)',
          '',
        ].join('\n'),
      );
      sessionStart = Number(/\[(\d+)\] session/.exec(replay.stdout)![1]);
      echoStep = Number(/\[(\d+)\] \$ echo hello/.exec(replay.stdout)![1]);

      const past = await cli(['at', String(echoStep), '--', 'replay', 'web']);
      expect(normalize(past.stdout)).toBe([...untilEcho, ''].join('\n'));
      const secondSession = [...replay.stdout.matchAll(/session ([0-9a-f-]{36}) attached/g)][1]![1]!;
      expect(normalize((await cli(['replay', secondSession])).stdout)).toBe(
        ['[N] session S attached', '[N] $ cat /root/hi.txt', 'hello', '[N] session S ended: exit 3', ''].join(
          '\n',
        ),
      );

      const blame = await cli(['blame', 'web', '/root/hi.txt']);
      expect(lines(blame.stdout)).toEqual([
        expect.stringMatching(/^POSITION {3}CREATED +OPERATION {3}SIZE {6}SOURCE$/),
        expect.stringMatching(/^\d+ +.+ ago +write {7}6B {8}\$ echo hello > \/root\/hi\.txt$/),
      ]);
      const blameRoot = await cli(['blame', 'web', '/root']);
      expect(lines(blameRoot.stdout).slice(1)).toEqual([
        expect.stringMatching(
          / layer {7}- {9}layer 0 [0-9a-f]{12}: \/bin\/sh -c #\(nop\) ADD file:1a2b3c in \/ $/,
        ),
        expect.stringMatching(/ copy-up {5}- {9}\$ echo hello > \/root\/hi\.txt$/),
      ]);

      expect(await cli(['at', String(echoStep), '--', 'ls', '-1', 'web', '/root'])).toEqual({
        stdout: 'hi.txt\n',
        stderr: '',
        code: 0,
      });
      expect((await cli(['at', String(sessionStart), '--', 'ls', '-1', 'web', '/root'])).stdout).toBe('');
      expect((await cli(['at', String(echoStep), '--', 'ls', 'web', '/root'])).stdout).toMatch(
        /^-rw-r--r-- 0 0 6 \d{4}-\d\d-\d\d \d\d:\d\d hi\.txt\n$/,
      );
      expect((await cli(['at', String(echoStep), '--', 'cat', 'web', '/root/hi.txt'])).stdout).toBe(
        'hello\n',
      );
      expect((await cli(['at', String(sessionStart), '--', 'diff', 'web'])).stdout).toBe('');
      expect(
        (await cli(['at', String(echoStep), '--', 'ps', '-a', '--format', '{{.Names}} {{.State}}'])).stdout,
      ).toBe('web running\n');
      expect(
        (await cli(['at', String(sessionStart), '--', 'images', '--format', '{{.Repository}}'])).stdout,
      ).toBe('ubuntu\n');
      const refused = await cli(['at', String(echoStep), '--', 'rm', 'web']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^Error: "strata at" runs read commands only .*, not "rm"\n$/);
    },
    slow,
  );

  it(
    'rm fails while the container runs, works after stop or with -f; its past stays readable',
    async () => {
      expect(await cli(['start', 'web'])).toEqual({ stdout: 'web\n', stderr: '', code: 0 });
      expect(await cli(['rm', 'web'])).toEqual({
        stdout: '',
        stderr:
          'Error response from daemon: cannot remove container "/web": container is running: stop the container before removing or force remove\n',
        code: 1,
      });
      expect(await cli(['stop', 'web'])).toEqual({ stdout: 'web\n', stderr: '', code: 0 });
      expect(await cli(['rm', 'web'])).toEqual({ stdout: 'web\n', stderr: '', code: 0 });
      const detached = await cli(['run', '-d', '--name', 'bg', 'ubuntu']);
      expect(detached.stdout).toMatch(/^[0-9a-f]{64}\n$/);
      expect((await cli(['ps', '--format', '{{.Names}} {{.Status}}'])).stdout).toMatch(/^bg Up .+\n$/);
      expect(await cli(['rm', '-f', 'bg'])).toEqual({ stdout: 'bg\n', stderr: '', code: 0 });
      expect(await cli(['rm', 'web'])).toEqual({
        stdout: '',
        stderr: 'Error response from daemon: No such container: web\n',
        code: 1,
      });
      expect((await cli(['at', String(echoStep), '--', 'cat', 'web', '/root/hi.txt'])).stdout).toBe(
        'hello\n',
      );
    },
    slow,
  );

  it(
    "exec: argv joined into a command line, sh -c passed as it is, the shell's exit codes",
    async () => {
      await cli(['run', '-d', '--name', 'shell', 'ubuntu']);
      expect(await cli(['exec', 'shell', 'echo', 'a  b', "it's"])).toEqual({
        stdout: "a  b it's\n",
        stderr: '',
        code: 0,
      });
      expect(await cli(['exec', 'shell', 'sh', '-c', 'echo one > /tmp/x && cat /tmp/x'])).toEqual({
        stdout: 'one\n',
        stderr: '',
        code: 0,
      });
      expect(await cli(['exec', 'shell', 'nosuchcmd'])).toEqual({
        stdout: '',
        stderr: 'bash: nosuchcmd: command not found\n',
        code: 127,
      });
      const shell = await cli(['exec', '-it', 'shell', 'bash'], { input: 'cat /tmp/x\nexit\n' });
      expect(shell).toEqual({ stdout: 'one\n', stderr: '', code: 0 });
      expect((await cli(['ps', '--format', '{{.Names}} {{.State}}'])).stdout).toBe('shell running\n');
      const notRunning = await cli(['exec', 'other', 'ls']);
      expect(notRunning.code).toBe(1);
      expect(notRunning.stderr).toMatch(
        /^Error response from daemon: Container [0-9a-f]{64} is not running\n$/,
      );
    },
    slow,
  );

  it(
    "Docker's errors and exit codes",
    async () => {
      expect(await cli(['ps', '--bogus'])).toEqual({
        stdout: '',
        stderr: "unknown flag: --bogus\nSee 'strata ps --help'.\n",
        code: 125,
      });
      expect(await cli(['run', '--pull=never', 'nope'])).toEqual({
        stdout: '',
        stderr: "strata: Error response from daemon: No such image: nope:latest.\nSee 'strata run --help'.\n",
        code: 125,
      });
      const conflict = await cli(['run', '--name', 'other', 'ubuntu']);
      expect(conflict.code).toBe(125);
      expect(conflict.stderr).toMatch(
        /^strata: Error response from daemon: Conflict\. The container name "\/other" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\nSee 'strata run --help'\.\n$/,
      );
      expect(await cli(['inspect', '--type', 'image', 'nope'])).toEqual({
        stdout: '[]\n',
        stderr: 'Error: No such image: nope\n',
        code: 1,
      });
      expect(await cli(['inspect', 'nope'])).toEqual({
        stdout: '[]\n',
        stderr: 'Error: No such object: nope\n',
        code: 1,
      });
      expect(await cli(['history', 'nope'])).toEqual({
        stdout: '',
        stderr: 'Error response from daemon: No such image: nope\n',
        code: 1,
      });
      expect(await cli(['start', 'nope'])).toEqual({
        stdout: '',
        stderr:
          'Error response from daemon: No such container: nope\nError: failed to start containers: nope\n',
        code: 1,
      });
      expect(await cli(['cp', 'shell:/nope', '-'])).toEqual({
        stdout: '',
        stderr: 'Error response from daemon: Could not find the file /nope in container shell\n',
        code: 1,
      });
      const arity = await cli(['diff']);
      expect(arity.code).toBe(1);
      expect(arity.stderr).toBe(
        "\"strata diff\" requires exactly 1 argument.\nSee 'strata diff --help'.\n\nUsage:  strata diff CONTAINER\n\nInspect changes to files or directories on a container's filesystem\n",
      );
      expect(await cli(['bogus'])).toEqual({
        stdout: '',
        stderr: "strata: 'bogus' is not a strata command.\nSee 'strata --help'\n",
        code: 1,
      });
      const down = await cli(['ps'], { env: { STRATA_URL: 'http://127.0.0.1:9/graphql' } });
      expect(down).toEqual({
        stdout: '',
        stderr:
          'Cannot connect to the Strata server at http://127.0.0.1:9/graphql. Is the strata server running? (strata serve; STRATA_URL names another)\n',
        code: 1,
      });
    },
    slow,
  );

  it(
    'inspect and system df',
    async () => {
      const [container] = JSON.parse((await cli(['inspect', 'other'])).stdout);
      expect(container).toMatchObject({
        Name: '/other',
        Path: 'cat',
        Args: ['/root/hi.txt'],
        State: { Status: 'exited', Running: false, ExitCode: 1 },
        Config: { Image: 'ubuntu', Cmd: ['cat', '/root/hi.txt'] },
      });
      expect(await cli(['inspect', '-f', '{{.State.Status}} {{.Config.Image}} {{.Name}}', 'other'])).toEqual({
        stdout: 'exited ubuntu /other\n',
        stderr: '',
        code: 0,
      });
      const [image] = JSON.parse((await cli(['inspect', 'ubuntu'])).stdout);
      expect(image).toMatchObject({
        RepoTags: ['ubuntu:latest'],
        Architecture: 'amd64',
        Os: 'linux',
        Config: { Cmd: ['/bin/bash'] },
        RootFS: {
          Type: 'layers',
          Layers: [expect.stringMatching(/^sha256:/), expect.stringMatching(/^sha256:/)],
        },
      });

      const df = lines((await cli(['system', 'df'])).stdout);
      expect(df[0]).toBe('TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE');
      expect(df[1]).toMatch(/^Images {10}2 {9}2 {9}\d+B +\d+B \(\d+%\)$/);
      expect(df[2]).toMatch(/^Containers {6}3 {9}1 {9}\d+B +\d+B \(\d+%\)$/);
      expect(df.slice(3)).toEqual([
        'Local Volumes   0         0         0B        0B',
        'Build Cache     0         0         0B        0B',
      ]);
      const verbose = (await cli(['system', 'df', '-v'])).stdout;
      expect(verbose).toMatch(
        /^Images space usage:\n\nREPOSITORY {3}TAG {7}IMAGE ID {7}CREATED +SIZE +SHARED SIZE {3}UNIQUE SIZE {3}CONTAINERS\n/,
      );
      expect(verbose).toContain('\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND ');
      expect(verbose).toContain(
        '\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n',
      );
    },
    slow,
  );

  it(
    'tag, rmi and version',
    async () => {
      expect(await cli(['tag', 'myimg', 'myimg:v2'])).toEqual({ stdout: '', stderr: '', code: 0 });
      expect(
        lines((await cli(['images', 'myimg', '--format', '{{.Repository}}:{{.Tag}}'])).stdout).sort(),
      ).toEqual(['myimg:latest', 'myimg:v2']);
      expect(await cli(['rmi', 'myimg:v2'])).toEqual({ stdout: 'Untagged: myimg:v2\n', stderr: '', code: 0 });
      expect(await cli(['rmi', 'nope'])).toEqual({
        stdout: '',
        stderr: 'Error response from daemon: No such image: nope\n',
        code: 1,
      });
      const inUse = await cli(['rmi', 'myimg']);
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toMatch(
        /^Error response from daemon: conflict: unable to remove repository reference "myimg" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}\n$/,
      );
      expect((await cli(['version'])).stdout).toMatch(
        /^Client:\n Version: +\d+\.\d+\.\d+\n[\s\S]*\nServer:\n Version: +\S+\n Event store: +(pglite|postgres)\n$/,
      );
    },
    slow,
  );

  it(
    'events streams new events over SSE until Ctrl-C; --since/--until replays a range',
    async () => {
      const response = await fetch(s.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ head }' }),
      });
      const head = ((await response.json()) as { data: { head: number } }).data.head;
      const child = spawn(
        process.execPath,
        [fileURLToPath(new URL('../../bin/strata.js', import.meta.url)), 'events', '--since', String(head)],
        {
          env: { ...process.env, STRATA_URL: s.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await cli(['restart', 'shell']);
      const deadline = Date.now() + 60_000;
      while (!out.includes('ContainerRestarted') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(err).toBe('');
      expect(lines(out)).toContainEqual(
        expect.stringMatching(
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container ContainerRestarted [0-9a-f]{64} \(position=\d+, startedAt=.+\)$/,
        ),
      );

      const range = await cli(['events', '--since', '0', '--until', '5', '--format', 'json']);
      const events = lines(range.stdout).map((l) => JSON.parse(l));
      expect(events.map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
      expect(events.map((e) => e.type)).toContain('ImageCreated');
    },
    slow,
  );
});
