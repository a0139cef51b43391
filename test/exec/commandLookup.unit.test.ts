import { describe, expect, it } from 'vitest';
import type { TreeSpec } from '../../src/exec/memoryFs.ts';
import { isShellScript } from '../../src/exec/shellView.ts';
import { runStrata } from './harness.ts';

// A Debian-like image: real binaries (ELF) on PATH, a shell script, /bin → usr/bin.
const elf = new Uint8Array([
  0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0, 0x0a, 0x28, 0x29, 0,
]);
const binary = (mode = 0o755) => ({ content: elf, mode });
const image: TreeSpec = {
  '/bin': { symlink: 'usr/bin' },
  '/usr/bin/ls': binary(),
  '/usr/bin/cat': binary(),
  '/usr/bin/apt-get': binary(),
  '/usr/bin/python3': binary(),
  '/usr/bin/perl': binary(),
  '/usr/sbin/useradd': binary(),
  '/usr/local/bin/node': binary(),
  '/usr/local/bin/jq': binary(),
  '/usr/local/bin/docker-entrypoint.sh': {
    content: '#!/bin/sh\nset -e\necho "entrypoint $*"\n',
    mode: 0o755,
  },
  '/usr/local/bin/tool.py': { content: '#!/usr/bin/env python3\nprint("hi")\n', mode: 0o755 },
  '/app/server': binary(),
  '/app/build.sh': {
    content: '#!/usr/bin/env bash\necho building > /app/out.txt\necho built\n',
    mode: 0o755,
  },
  '/app/plain': { content: 'echo plain script\n', mode: 0o755 },
  '/etc/hostname': 'box\n',
};

const notFound = (name: string) => `bash: ${name}: command not found\n`;

describe('commands that need a kernel, a network or another runtime', () => {
  const missing = [
    'apt-get update',
    'apt install -y curl',
    'curl -fsSL https://example.com',
    'wget https://example.com',
    'ps aux',
    'kill -9 1',
    'mount',
    'docker ps',
    'systemctl restart nginx',
    'ping -c1 8.8.8.8',
    'ip addr',
    'python -V',
    'python3 -c "print(1)"',
    'node --version',
    'perl -e 1',
    'useradd bob',
    'sudo ls',
    'id -u',
    'uname -a',
    'js-exec -c 1',
  ];
  for (const command of missing) {
    const name = command.split(' ')[0]!;
    it(`${name}: command not found, status 127, nothing written`, async () => {
      const { stdout, stderr, exitCode, result } = await runStrata(image, `${command} > /out.txt`);
      expect({ stdout, stderr, exitCode }).toEqual({ stdout: '', stderr: notFound(name), exitCode: 127 });
      // The redirection opened (truncated) its target before the lookup, as in bash.
      expect(result.operations).toEqual([
        { op: 'writeFile', path: '/out.txt', content: new Uint8Array(0), mode: 0o644 },
      ]);
    });
  }

  it('also when reached through xargs, command, exec, env or timeout', async () => {
    for (const script of [
      'echo 1 | xargs node',
      'command apt-get install x',
      'exec python3',
      'timeout 5 node',
      'bash -c "ps"',
      'sh -c "curl x"',
    ]) {
      const { stderr, exitCode } = await runStrata(image, script);
      expect(stderr, script).toMatch(/command not found\n$/);
      expect(exitCode, script).toBe(127);
    }
  });

  it('refuses to run an image binary by path instead of parsing it as a script', async () => {
    const byPath = await runStrata(image, '/usr/bin/apt-get update');
    expect(byPath).toMatchObject({
      stdout: '',
      stderr: 'bash: /usr/bin/apt-get: Permission denied\n',
      exitCode: 126,
    });
    const relative = await runStrata(image, 'cd /app && ./server --port 80');
    expect(relative).toMatchObject({
      stdout: '',
      stderr: 'bash: ./server: Permission denied\n',
      exitCode: 126,
    });
  });

  it('still shows the binaries as they are to ls, stat and find', async () => {
    const { stdout } = await runStrata(
      image,
      "stat -c '%a %s %n' /usr/bin/apt-get /usr/local/bin/node; find /usr/sbin -type f",
    );
    expect(stdout).toBe(
      `755 ${elf.length} /usr/bin/apt-get\n755 ${elf.length} /usr/local/bin/node\n/usr/sbin/useradd\n`,
    );
  });
});

describe('commands just-bash implements', () => {
  it('run whatever binaries the image has, before or after them on PATH', async () => {
    // /usr/local/bin/jq (a binary) precedes /usr/bin on PATH; the image has no grep at all.
    const { stdout, exitCode } = await runStrata(
      image,
      'echo \'{"a":1}\' | jq .a; grep box /etc/hostname; ls /app',
    );
    expect({ stdout, exitCode }).toEqual({ stdout: '1\nbox\nbuild.sh\nplain\nserver\n', exitCode: 0 });
  });

  it('are reported by command -v and type at their usual place', async () => {
    const { stdout } = await runStrata(image, 'command -v sed; type grep');
    expect(stdout).toBe('/usr/bin/sed\ngrep is /usr/bin/grep\n');
  });

  it('work in an image without /usr/bin', async () => {
    const { stdout } = await runStrata({ '/app/x': 'x\n' }, 'cat /app/x | wc -c');
    expect(stdout.trim()).toBe('2');
  });
});

describe('shell scripts of the image', () => {
  it('run when found on PATH or given by path', async () => {
    const onPath = await runStrata(image, 'docker-entrypoint.sh postgres');
    expect(onPath).toMatchObject({ stdout: 'entrypoint postgres\n', exitCode: 0 });
    const byPath = await runStrata(image, '/app/build.sh && cat /app/out.txt');
    expect(byPath).toMatchObject({ stdout: 'built\nbuilding\n', exitCode: 0 });
    const plain = await runStrata(image, '/app/plain');
    expect(plain.stdout).toBe('plain script\n');
  });

  it('run when the command itself wrote them', async () => {
    const { stdout } = await runStrata(
      image,
      "printf '#!/bin/sh\\necho made $1\\n' > /m.sh && chmod +x /m.sh && /m.sh it",
    );
    expect(stdout).toBe('made it\n');
  });

  it('for another interpreter are not run', async () => {
    const { stderr, exitCode } = await runStrata(image, 'tool.py');
    expect({ stderr, exitCode }).toEqual({ stderr: notFound('tool.py'), exitCode: 127 });
  });

  it('are told from binaries by their first bytes', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(isShellScript(enc('#!/bin/sh\n'))).toBe(true);
    expect(isShellScript(enc('#!/usr/bin/env -S bash -e\n'))).toBe(true);
    expect(isShellScript(enc('#!/bin/busybox sh\n'))).toBe(true);
    expect(isShellScript(enc('echo no shebang\n'))).toBe(true);
    expect(isShellScript(enc('#!/usr/bin/python3\n'))).toBe(false);
    expect(isShellScript(elf)).toBe(false);
    expect(isShellScript(new Uint8Array([0x41, 0, 0x42]))).toBe(false);
  });
});
