import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/client/args.ts';
import { longListing, modeString } from '../../src/cli/client/commands/files.ts';
import { progressBar, splitRepoTag } from '../../src/cli/client/commands/images.ts';
import { containerInspect } from '../../src/cli/client/commands/inspect.ts';
import { formatStep } from '../../src/cli/client/commands/replay.ts';
import { eventLine } from '../../src/cli/client/commands/system.ts';
import type { CliError } from '../../src/cli/client/errors.ts';
import { renderList } from '../../src/cli/client/format/list.ts';
import { commandLine, isInteractiveShell, shellQuote } from '../../src/cli/client/format/shellQuote.ts';
import { containerStatus } from '../../src/cli/client/format/status.ts';
import { ellipsis, shortId, table } from '../../src/cli/client/format/table.ts';
import { applyTemplate, goValue } from '../../src/cli/client/format/template.ts';
import {
  ago,
  formatG,
  goTime,
  humanDuration,
  humanSize,
  rfc3339Nano,
  shortSize,
} from '../../src/cli/client/format/units.ts';
import { createContext } from '../../src/cli/client/run.ts';
import { parseExit, shellLoop, shellPrompt } from '../../src/cli/client/session.ts';

describe('sizes as go-units prints them', () => {
  it('HumanSize: decimal units, 4 significant digits, trailing zeros dropped', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1000)).toBe('1kB');
    expect(humanSize(1234)).toBe('1.234kB');
    expect(humanSize(7_800_000)).toBe('7.8MB');
    expect(humanSize(77_862_400)).toBe('77.86MB');
    expect(humanSize(1e12)).toBe('1TB');
    expect(humanSize(1.5e24)).toBe('1.5YB');
  });
  it('HumanSizeWithPrecision(…, 3): what docker images, ps -s and history show', () => {
    expect(shortSize(5)).toBe('5B');
    expect(shortSize(1234)).toBe('1.23kB');
    expect(shortSize(77_862_400)).toBe('77.9MB');
    expect(shortSize(72_800_000)).toBe('72.8MB');
    expect(shortSize(100_000)).toBe('100kB');
  });
  it("rounds exact ties to even and switches to Go's exponent form as %g does", () => {
    expect(formatG(1.125, 3)).toBe('1.12');
    expect(formatG(1.375, 3)).toBe('1.38');
    expect(formatG(1.0625, 4)).toBe('1.062');
    expect(shortSize(1_125_000)).toBe('1.12MB');
    expect(shortSize(999_500)).toBe('1e+03kB');
    expect(humanSize(999_950)).toBe('1000kB');
    expect(formatG(12.5, 3)).toBe('12.5');
  });
});

describe('durations as go-units HumanDuration', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  it.each([
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [s, '1 second'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [2 * m, '2 minutes'],
    [59 * m, '59 minutes'],
    [60 * m, 'About an hour'],
    [89 * m, 'About an hour'],
    [90 * m, '2 hours'],
    [47 * h, '47 hours'],
    [48 * h, '2 days'],
    [13 * d, '13 days'],
    [14 * d, '2 weeks'],
    [59 * d, '8 weeks'],
    [60 * d, '2 months'],
    [729 * d, '24 months'],
    [730 * d, '2 years'],
  ])('%d ms → %s', (ms, text) => expect(humanDuration(ms)).toBe(text));

  it('ago, Go time strings, RFC 3339 with trimmed nanoseconds', () => {
    const now = Date.parse('2026-05-01T12:02:00Z');
    expect(ago('2026-05-01T12:00:00Z', now)).toBe('2 minutes ago');
    expect(ago(null, now)).toBe('N/A');
    expect(goTime('2026-05-01T12:00:00.123Z')).toBe('2026-05-01 12:00:00 +0000 UTC');
    expect(rfc3339Nano('2026-05-01T12:00:00.120Z')).toBe('2026-05-01T12:00:00.12Z');
    expect(rfc3339Nano('2026-05-01T12:00:00.000Z')).toBe('2026-05-01T12:00:00Z');
    expect(rfc3339Nano(null)).toBe('0001-01-01T00:00:00Z');
  });
});

describe("docker's tables (tabwriter: minwidth 10, padding 3)", () => {
  it('lays out docker images exactly as docker does', () => {
    expect(
      table(
        ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
        [['ubuntu', 'latest', 'a8780b506fa4', '2 weeks ago', '77.8MB']],
      ),
    ).toBe(
      'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n' +
        'ubuntu       latest    a8780b506fa4   2 weeks ago   77.8MB\n',
    );
  });
  it('pads every column but the last, counting characters not bytes', () => {
    expect(table(['A', 'B'], [['…', 'x']])).toBe('A         B\n…         x\n');
    expect(
      table(
        ['COMMAND', 'NAMES'],
        [[JSON.stringify(ellipsis('/bin/sh -c while true; do sleep 1; done', 20)), 'web']],
      ),
    ).toBe('COMMAND                  NAMES\n"/bin/sh -c while tr…"   web\n');
  });
  it('an empty last cell leaves the padding of the cell before it (docker history with no comment)', () => {
    expect(table(['SIZE', 'COMMENT'], [['0B', '']])).toBe('SIZE      COMMENT\n0B        \n');
  });
  it('ellipsis and short ids', () => {
    expect(ellipsis('abcdef', 6)).toBe('abcdef');
    expect(ellipsis('abcdefg', 6)).toBe('abcde…');
    expect(shortId('sha256:4afc54fdbf3e2bbfb9a98e5d8690eaa20ecd97a5ee479de4c82d3a301d3700e4')).toBe(
      '4afc54fdbf3e',
    );
  });
  it('--format json: one object per line, keys sorted; templates; table templates', () => {
    const rows = [{ Names: 'web', ID: 'abc' }];
    const columns = [
      { field: 'ID', header: 'CONTAINER ID' },
      { field: 'Names', header: 'NAMES' },
    ];
    expect(renderList(rows, columns, 'json')).toBe('{"ID":"abc","Names":"web"}\n');
    expect(renderList(rows, columns, '{{.Names}}: {{.ID}}')).toBe('web: abc\n');
    expect(renderList(rows, columns, 'table {{.Names}}\\t{{.ID}}')).toBe(
      'NAMES     CONTAINER ID\nweb       abc\n',
    );
  });
});

describe('Go templates for --format and inspect -f', () => {
  it('reads fields, nested fields, json, join', () => {
    const data = {
      State: { Status: 'running', Running: true },
      Args: ['a', 'b'],
      Labels: { b: '2', a: '1' },
      Config: null,
    };
    expect(applyTemplate('{{.State.Status}} {{.State.Running}}', data)).toBe('running true');
    expect(applyTemplate('{{json .State}}', data)).toBe('{"Status":"running","Running":true}');
    expect(applyTemplate('{{join .Args ","}}\\t{{.Args}}', data)).toBe('a,b\t[a b]');
    expect(goValue(data.Labels)).toBe('map[a:1 b:2]');
    expect(goValue(null)).toBe('<nil>');
    expect(() => applyTemplate('{{.Nope}}', data)).toThrow(/can't evaluate field Nope/);
  });
});

describe('shell quoting: argv → one command line for the shell', () => {
  it('quotes only what needs it, as a POSIX shell reads it back', () => {
    expect(shellQuote('ls')).toBe('ls');
    expect(shellQuote('/root/hi.txt')).toBe('/root/hi.txt');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    expect(shellQuote('*.txt')).toBe("'*.txt'");
  });
  it('joins argv, and passes sh -c / bash -c strings as they are', () => {
    expect(commandLine(['ls', '-l', '/root'])).toBe('ls -l /root');
    expect(commandLine(['echo', 'hello world', '>', 'f'])).toBe("echo 'hello world' '>' f");
    expect(commandLine(['sh', '-c', 'echo hi > /root/f && cat /root/f'])).toBe(
      'echo hi > /root/f && cat /root/f',
    );
    expect(commandLine(['/bin/bash', '-c', 'ls | wc -l'])).toBe('ls | wc -l');
    expect(commandLine(['sh', '-c', 'echo $0', 'name'])).toBe("sh -c 'echo $0' name");
  });
  it('tells an interactive shell from a command', () => {
    expect(isInteractiveShell(['bash'])).toBe(true);
    expect(isInteractiveShell(['/bin/sh', '-l'])).toBe(true);
    expect(isInteractiveShell(['sh', '-c', 'ls'])).toBe(false);
    expect(isInteractiveShell(['ls'])).toBe(false);
    expect(isInteractiveShell([])).toBe(false);
  });
});

describe("flags as docker's CLI parses them", () => {
  const specs = [
    { long: 'interactive', short: 'i', description: '' },
    { long: 'tty', short: 't', description: '' },
    { long: 'name', type: 'string' as const, description: '' },
    { long: 'message', short: 'm', type: 'string' as const, description: '' },
    { long: 'filter', short: 'f', type: 'list' as const, description: '' },
  ];
  it('combined booleans, --name value, --name=value, -m value, -mvalue, lists', () => {
    expect(parseArgs('run', specs, ['-it', '--name', 'web', 'ubuntu'], false)).toEqual({
      flags: { interactive: true, tty: true, name: 'web' },
      args: ['ubuntu'],
    });
    expect(parseArgs('run', specs, ['--name=web', '-mhello', 'x'], true).flags).toEqual({
      name: 'web',
      message: 'hello',
    });
    expect(parseArgs('events', specs, ['-f', 'a=1', '--filter', 'b=2'], true).flags).toEqual({
      filter: ['a=1', 'b=2'],
    });
    expect(parseArgs('rm', specs, ['web', '-i'], true)).toEqual({
      flags: { interactive: true },
      args: ['web'],
    });
  });
  it('stops at the first argument for commands that take a command line', () => {
    expect(parseArgs('exec', specs, ['-i', 'web', 'ls', '-l', '--name'], false)).toEqual({
      flags: { interactive: true },
      args: ['web', 'ls', '-l', '--name'],
    });
    expect(parseArgs('at', specs, ['42', '--', 'ls', 'web'], false).args).toEqual(['42', '--', 'ls', 'web']);
  });
  it('rejects unknown flags with status 125 and docker wording', () => {
    const refuse = (argv: string[]) => {
      try {
        parseArgs('ps', specs, argv, true);
      } catch (error) {
        return error as CliError;
      }
      throw new Error('accepted');
    };
    expect(refuse(['--bogus'])).toMatchObject({
      exitCode: 125,
      message: "unknown flag: --bogus\nSee 'strata ps --help'.",
    });
    expect(refuse(['-x'])).toMatchObject({
      exitCode: 125,
      message: "unknown shorthand flag: 'x' in -x\nSee 'strata ps --help'.",
    });
    expect(refuse(['--name'])).toMatchObject({
      exitCode: 125,
      message: "flag needs an argument: --name\nSee 'strata ps --help'.",
    });
  });
});

describe('container status as moby prints it', () => {
  const now = Date.parse('2026-05-01T12:10:00Z');
  it.each([
    [
      { state: 'RUNNING', exitCode: null, startedAt: '2026-05-01T12:08:00Z', finishedAt: null },
      'Up 2 minutes',
    ],
    [
      { state: 'PAUSED', exitCode: null, startedAt: '2026-05-01T12:00:00Z', finishedAt: null },
      'Up 10 minutes (Paused)',
    ],
    [
      { state: 'EXITED', exitCode: 3, startedAt: '2026-05-01T12:00:00Z', finishedAt: '2026-05-01T12:09:59Z' },
      'Exited (3) 1 second ago',
    ],
    [{ state: 'CREATED', exitCode: null, startedAt: null, finishedAt: null }, 'Created'],
    [{ state: 'REMOVING', exitCode: null, startedAt: null, finishedAt: null }, 'Removal In Progress'],
    [{ state: 'DEAD', exitCode: null, startedAt: null, finishedAt: null }, 'Dead'],
  ])('%o → %s', (fields, text) => expect(containerStatus(fields, now)).toBe(text));
});

describe('sessions', () => {
  it('prompt like a container shell, exit parsing like bash', () => {
    expect(shellPrompt('4afc54fdbf3e2bbfb9a98e5d8690eaa20ecd97a5ee479de4c82d3a301d3700e4', undefined)).toBe(
      'root@4afc54fdbf3e:/# ',
    );
    expect(shellPrompt('4afc54fdbf3e2bbf', '/root')).toBe('root@4afc54fdbf3e:~# ');
    expect(shellPrompt('4afc54fdbf3e2bbf', '/app')).toBe('root@4afc54fdbf3e:/app# ');
    expect(shellPrompt('4afc54fdbf3e2bbf', '/root/src')).toBe('root@4afc54fdbf3e:~/src# ');
    expect(shellPrompt('4afc54fdbf3e2bbf', '/rootfs')).toBe('root@4afc54fdbf3e:/rootfs# ');
    expect(parseExit('exit')).toEqual({ code: undefined });
    expect(parseExit('  exit 3 ')).toEqual({ code: 3 });
    expect(parseExit('exit 256')).toEqual({ code: 0 });
    expect(parseExit('exit -1')).toEqual({ code: 255 });
    expect(parseExit('exit_code=1')).toBeUndefined();
    expect(parseExit('echo exit')).toBeUndefined();
  });

  it('on a terminal: prompt, continuation lines, Ctrl-D prints exit and keeps the last status', async () => {
    const stdin = new PassThrough();
    const out = new PassThrough();
    let written = '';
    out.on('data', (c: Buffer) => (written += c.toString()));
    const ctx = createContext({ stdin, out, err: out, stdinIsTTY: true, stdoutIsTTY: true });
    const seen: string[] = [];
    let cwd = '/';
    const loop = shellLoop(
      ctx,
      () => shellPrompt('abcdef012345', cwd),
      async (line) => {
        seen.push(line);
        if (line === 'cd /tmp') cwd = '/tmp';
        return line.startsWith('false') ? 1 : 0;
      },
    );
    stdin.write('echo a \\\n');
    stdin.write('b\n');
    stdin.write('\n');
    stdin.write('cd /tmp\n');
    stdin.write('false\n');
    await new Promise((r) => setTimeout(r, 50));
    stdin.end();
    expect(await loop).toEqual({ exitCode: 1, ended: 'eof' });
    expect(seen).toEqual(['echo a b', 'cd /tmp', 'false']);
    expect(written).toContain('root@abcdef012345:/# ');
    // The prompt follows the shell's cd, as bash's \w does.
    expect(written).toContain('root@abcdef012345:/tmp# ');
    expect(written).toContain('> ');
    expect(written.endsWith('exit\n')).toBe(true);
  });

  it('from a pipe: no prompt, exit N ends it', async () => {
    const stdin = new PassThrough();
    const out = new PassThrough();
    let written = '';
    out.on('data', (c: Buffer) => (written += c.toString()));
    const ctx = createContext({ stdin, out, err: out, stdinIsTTY: false, stdoutIsTTY: false });
    const seen: string[] = [];
    stdin.end('ls\nexit 4\nnot run\n');
    expect(
      await shellLoop(
        ctx,
        () => 'root@abc:/# ',
        async (line) => {
          seen.push(line);
          return 0;
        },
      ),
    ).toEqual({ exitCode: 4, ended: 'exit' });
    expect(seen).toEqual(['ls']);
    expect(written).toBe('');
  });
});

describe('other formatting', () => {
  it('repository and tag', () => {
    expect(splitRepoTag('ubuntu:latest')).toEqual(['ubuntu', 'latest']);
    expect(splitRepoTag('localhost:5000/app:1.0')).toEqual(['localhost:5000/app', '1.0']);
    expect(splitRepoTag('localhost:5000/app')).toEqual(['localhost:5000/app', '<none>']);
  });
  it("docker pull's progress bar", () => {
    expect(progressBar(0, 1000, 10)).toBe('[>         ]       0B/1kB');
    expect(progressBar(500, 1000, 10)).toBe('[=====>    ]     500B/1kB');
    expect(progressBar(1000, 1000, 10)).toBe('[==========]      1kB/1kB');
  });
  it('ls -l modes', () => {
    expect(modeString('DIRECTORY', 0o755)).toBe('drwxr-xr-x');
    expect(modeString('FILE', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeString('DIRECTORY', 0o1777)).toBe('drwxrwxrwt');
    expect(modeString('FILE', 0o2644)).toBe('-rw-r-Sr--');
    expect(modeString('SYMLINK', 0o777)).toBe('lrwxrwxrwx');
    expect(
      longListing([
        {
          path: '/etc/motd',
          name: 'motd',
          type: 'FILE',
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: 6,
          mtime: 1_700_000_000,
          linkTarget: null,
        },
        {
          path: '/etc/l',
          name: 'l',
          type: 'SYMLINK',
          mode: 0o777,
          uid: 1000,
          gid: 1000,
          size: 0,
          mtime: 1_700_000_000,
          linkTarget: 'motd',
        },
      ]),
    ).toBe(
      '-rw-r--r--    0    0 6 2023-11-14 22:13 motd\nlrwxrwxrwx 1000 1000 0 2023-11-14 22:13 l -> motd\n',
    );
  });
  it('a replayed step', () => {
    expect(
      formatStep({
        index: 1,
        command: 'cat /nope',
        stdout: '',
        stderr: 'cat: /nope: No such file or directory\n',
        exitCode: 1,
        position: 9,
        limitHit: null,
        changes: [],
      }),
    ).toBe('[9] $ cat /nope\ncat: /nope: No such file or directory\nexit 1\n');
    expect(
      formatStep({
        index: 1,
        command: 'echo hi > /f; printf x',
        stdout: 'x',
        stderr: '',
        exitCode: 0,
        position: 3,
        limitHit: null,
        changes: [{ kind: 'A', path: '/f' }],
      }),
    ).toBe('[3] $ echo hi > /f; printf x\nx\nA /f\n');
  });
  it('an event line as docker events prints one', () => {
    expect(
      eventLine({
        position: 7,
        stream: `container-${'a'.repeat(64)}`,
        type: 'ContainerStopped',
        data: { exitCode: 0, finishedAt: '2026-05-01T12:00:00.000Z' },
        metadata: {},
        recordedAt: '2026-05-01T12:00:00.123Z',
      }),
    ).toBe(
      `2026-05-01T12:00:00.123000000Z container ContainerStopped ${'a'.repeat(64)} (exitCode=0, finishedAt=2026-05-01T12:00:00.000Z, position=7)`,
    );
  });
  it("docker inspect's container shape", () => {
    const inspected = containerInspect(
      {
        containerId: 'c'.repeat(64),
        name: 'web',
        created: '2026-05-01T12:00:00Z',
        state: 'PAUSED',
        exitCode: null,
        startedAt: '2026-05-01T12:00:01Z',
        finishedAt: null,
        restartCount: 0,
        command: ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;'],
        imageReference: 'nginx',
        image: {
          imageId: `sha256:${'i'.repeat(64)}`,
          size: 10,
          config: {
            os: 'linux',
            config: { Entrypoint: ['/docker-entrypoint.sh'], Env: ['A=1'], WorkingDir: '/app' },
          },
        },
      },
      false,
    );
    expect(inspected).toMatchObject({
      Path: '/docker-entrypoint.sh',
      Args: ['nginx', '-g', 'daemon off;'],
      State: {
        Status: 'paused',
        Running: true,
        Paused: true,
        StartedAt: '2026-05-01T12:00:01Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      },
      Name: '/web',
      Config: {
        Hostname: 'cccccccccccc',
        Cmd: ['nginx', '-g', 'daemon off;'],
        Entrypoint: ['/docker-entrypoint.sh'],
        Image: 'nginx',
        WorkingDir: '/app',
        Env: ['A=1'],
      },
    });
  });
});
