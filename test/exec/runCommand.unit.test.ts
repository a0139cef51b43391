import { describe, expect, it } from 'vitest';
import { isStrataError } from '../../src/domain/errors.ts';
import type { FsNode } from '../../src/domain/fs/node.ts';
import { MemoryBaseFs, type TreeSpec } from '../../src/exec/memoryFs.ts';
import { runCommand } from '../../src/exec/runCommand.ts';
import type { BaseFs, FsOperation } from '../../src/exec/types.ts';
import { containerId, runStrata, text } from './harness.ts';

const image: TreeSpec = {
  '/etc/hostname': '4f1c2d3e5a6b\n',
  '/etc/passwd':
    'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\napp:x:1000:1000::/home/app:/bin/sh\n',
  '/etc/group': 'root:x:0:\nwww-data:x:33:\nstaff:x:50:\napp:x:1000:\n',
  '/root': { dir: true, mode: 0o700 },
  '/srv/app/index.html': '<h1>hi</h1>\n',
  '/srv/app/static/site.css': 'body{}\n',
  '/data/a.txt': 'alpha\n',
  '/data/blob.bin': new Uint8Array([0, 1, 2, 200, 255, 10]),
  '/shortcut': { symlink: '/data' },
  '/esc': { symlink: '../../../../etc' },
};

const summary = (ops: FsOperation[]) =>
  ops.map((op) => {
    if (op.op === 'writeFile')
      return `${op.op} ${op.path} ${JSON.stringify(text(op.content))}${op.mode === undefined ? '' : ` ${op.mode.toString(8)}`}`;
    if (op.op === 'rename') return `rename ${op.from} ${op.to}`;
    if (op.op === 'chmod' || op.op === 'mkdir') return `${op.op} ${op.path} ${op.mode.toString(8)}`;
    if (op.op === 'chown') return `chown ${op.path} ${op.uid}:${op.gid}`;
    if (op.op === 'remove') return `remove ${op.path}${op.recursive ? ' -r' : ''}`;
    if (op.op === 'utimes') return `utimes ${op.path}`;
    return `${op.op} ${op.path} -> ${op.target}`;
  });

describe('a command that fails midway keeps the writes it made before', () => {
  it('after a failing command in a ; list', async () => {
    const { result, exitCode } = await runStrata(image, 'echo a > f; false; echo b > g');
    expect(exitCode).toBe(0);
    expect(summary(result.operations)).toEqual(['writeFile /f "a\\n" 644', 'writeFile /g "b\\n" 644']);
  });

  it('in an && list', async () => {
    const { result, exitCode, stderr } = await runStrata(image, 'echo a > f && cat missing && echo b > g');
    expect({ exitCode, stderr }).toEqual({
      exitCode: 1,
      stderr: 'cat: missing: No such file or directory\n',
    });
    expect(summary(result.operations)).toEqual(['writeFile /f "a\\n" 644']);
  });

  it('with set -e', async () => {
    const { result, exitCode } = await runStrata(image, 'set -e; echo a > f; false; echo b > g');
    expect(exitCode).toBe(1);
    expect(summary(result.operations)).toEqual(['writeFile /f "a\\n" 644']);
  });

  it('with exit N', async () => {
    const { result, exitCode, stdout } = await runStrata(image, 'echo a > f; echo out; exit 42; echo b > g');
    expect({ exitCode, stdout }).toEqual({ exitCode: 42, stdout: 'out\n' });
    expect(summary(result.operations)).toEqual(['writeFile /f "a\\n" 644']);
  });
});

describe('redirections bash cannot open', () => {
  it('fail that command with bash’s message and the command line goes on', async () => {
    const { stdout, stderr, exitCode, result } = await runStrata(
      image,
      'echo x > /nodir/f; echo "status $?"; echo y > /etc/hostname/f || echo fallback; echo ok > /ok',
    );
    expect(stdout).toBe('status 1\nfallback\n');
    expect(stderr).toBe(
      'bash: /nodir/f: No such file or directory\nbash: /etc/hostname/f: Not a directory\n',
    );
    expect(exitCode).toBe(0);
    expect(summary(result.operations)).toEqual(['writeFile /ok "ok\\n" 644']);
  });

  it('are refused on the mounted trees and swallowed by /dev/null', async () => {
    const { stdout, stderr, result } = await runStrata(
      { ...image, '/proc': { dir: true } },
      'echo x > /proc/x; echo hidden > /dev/null; ls /dev/null; cat /dev/null | wc -c; mkdir /proc/y',
    );
    expect(stdout).toBe('/dev/null\n0\n');
    expect(stderr).toBe(
      "bash: /proc/x: Read-only file system\nmkdir: cannot create directory '/proc/y': Read-only file system\n",
    );
    expect(result.operations).toEqual([]);
  });

  it('on a compound command end the command line (a just-bash limitation)', async () => {
    const { stdout, stderr, exitCode } = await runStrata(image, '{ echo a; } > /nodir/f; echo after');
    expect({ stdout, stderr, exitCode }).toEqual({
      stdout: '',
      stderr: 'bash: /nodir/f: No such file or directory\n',
      exitCode: 1,
    });
  });
});

describe('paths and symlinks', () => {
  it('never leave the container root', async () => {
    const { stdout, result } = await runStrata(
      image,
      'cat /esc/hostname; cd /esc && cat ../../../etc/hostname; ln -s ../../../../../../root /up; ls -d /up/; echo x > /up/f',
    );
    expect(stdout).toBe('4f1c2d3e5a6b\n4f1c2d3e5a6b\n/up/\n');
    expect(summary(result.operations)).toEqual([
      'symlink /up -> ../../../../../../root',
      'writeFile /root/f "x\\n" 644',
    ]);
  });

  it('write through symlinks, list and remove through symlinked directories', async () => {
    const { stdout, result } = await runStrata(
      image,
      'echo changed > /shortcut/a.txt; ls /shortcut; rm /shortcut/blob.bin; mkdir -p /shortcut/new/deeper',
    );
    expect(stdout).toBe('a.txt\nblob.bin\n');
    expect(summary(result.operations)).toEqual([
      'writeFile /data/a.txt "changed\\n"',
      'remove /data/blob.bin',
      'mkdir /data/new 755',
      'mkdir /data/new/deeper 755',
    ]);
  });

  it('copy and move binary content unchanged', async () => {
    const { after } = await runStrata(
      image,
      'cp /data/blob.bin /copy.bin && mv /copy.bin /moved.bin && cat /data/blob.bin >> /moved.bin',
    );
    const node = (await after.lookup('/moved.bin'))!;
    expect([...(await after.read(node))]).toEqual([0, 1, 2, 200, 255, 10, 0, 1, 2, 200, 255, 10]);
  });
});

describe('the operations', () => {
  it('coalesce appends to one writeFile per file', async () => {
    const { result } = await runStrata(image, 'for i in 1 2 3; do echo $i >> /log; echo . >> /dots; done');
    expect(summary(result.operations)).toEqual([
      'writeFile /log "1\\n2\\n3\\n" 644',
      'writeFile /dots ".\\n.\\n.\\n" 644',
    ]);
  });

  it('keep their order where it matters', async () => {
    const { result, after } = await runStrata(
      image,
      'echo a > /f; chmod 600 /f; echo b >> /f; ln /f /g; echo c >> /f',
    );
    expect(summary(result.operations)).toEqual([
      'writeFile /f "a\\n" 644',
      'chmod /f 600',
      'writeFile /f "a\\nb\\n"',
      'hardlink /g -> /f',
      'writeFile /f "a\\nb\\nc\\n"',
    ]);
    expect((await after.lookup('/f'))?.mode).toBe(0o600);
  });

  it('record a whole directory move as one rename', async () => {
    const { result, stdout } = await runStrata(
      image,
      'mv /srv/app /srv/site && cat /srv/site/static/site.css',
    );
    expect(stdout).toBe('body{}\n');
    expect(summary(result.operations)).toEqual(['rename /srv/app /srv/site']);
  });

  it('are empty for a read-only command', async () => {
    const { result } = await runStrata(
      image,
      'ls -R / > /dev/null; find / -name "*.txt"; grep -r alpha /data; cat /etc/passwd | wc -l',
    );
    expect(result.operations).toEqual([]);
  });
});

describe('chown and chgrp', () => {
  it('record ownership by name or number, recursively', async () => {
    const { result, exitCode } = await runStrata(
      image,
      'chown -R www-data:www-data /srv/app && chgrp staff /data/a.txt && chown 1000 /data && chown app: /root',
    );
    expect(exitCode).toBe(0);
    expect(summary(result.operations)).toEqual([
      'chown /srv/app 33:33',
      'chown /srv/app/index.html 33:33',
      'chown /srv/app/static 33:33',
      'chown /srv/app/static/site.css 33:33',
      'chown /data/a.txt 0:50',
      'chown /data 1000:0',
      'chown /root 1000:1000',
    ]);
  });

  it('report unknown users and missing files as coreutils does', async () => {
    const { stderr, exitCode, result } = await runStrata(
      image,
      'chown nobody /data; chown root /missing; chgrp nogroup /data',
    );
    expect(stderr).toBe(
      "chown: invalid user: 'nobody'\nchown: cannot access '/missing': No such file or directory\nchgrp: invalid group: 'nogroup'\n",
    );
    expect(exitCode).toBe(1);
    expect(result.operations).toEqual([]);
  });
});

describe('the environment of a container shell', () => {
  it('has HOME, PATH, PWD, USER and the short container id as hostname', async () => {
    const { stdout } = await runStrata(
      image,
      'echo "$HOME|$PATH|$PWD|$USER|$HOSTNAME|$UID"; whoami; hostname; pwd',
    );
    expect(stdout).toBe(
      '/root|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|/|root|4f1c2d3e5a6b|0\nroot\n4f1c2d3e5a6b\n/\n',
    );
  });

  it('starts in the working directory with the container’s variables', async () => {
    const { stdout, result } = await runStrata(
      image,
      'pwd; echo "$APP_ENV $PWD"; echo hi > rel.txt; cd ~ && pwd',
      {
        workingDir: '/srv/app',
        env: ['APP_ENV=production', 'PATH=/usr/local/bin:/usr/bin:/bin'],
      },
    );
    expect(stdout).toBe('/srv/app\nproduction /srv/app\n/root\n');
    expect(summary(result.operations)).toEqual(['writeFile /srv/app/rel.txt "hi\\n" 644']);
  });

  it('takes stdin', async () => {
    const { stdout, result } = await runStrata(image, 'tr a-z A-Z > /up.txt; cat /up.txt', {
      stdin: 'from stdin\n',
    });
    expect(stdout).toBe('FROM STDIN\n');
    expect(result.operations).toHaveLength(1);
  });

  it('refuses a working directory that does not exist', async () => {
    await expect(runCommand(MemoryBaseFs.from(image), 'pwd', { workingDir: '/nope' })).rejects.toSatisfy(
      (error: unknown) => isStrataError(error) && error.code === 'VALIDATION',
    );
  });
});

describe('the base behind exec', () => {
  it('is host code: it may use timers and process.env while a command reads through it', async () => {
    const inner = MemoryBaseFs.from(image);
    const hostLike: BaseFs = {
      lookup: async (path) => {
        await new Promise((resolve) => setImmediate(resolve));
        return inner.lookup(path);
      },
      list: async (dir) => {
        await new Promise((resolve) => setTimeout(resolve, 0));
        return inner.list(dir);
      },
      read: async (node: FsNode) => {
        void process.env.HOME;
        await new Promise((resolve) => setTimeout(resolve, 1));
        return inner.read(node);
      },
    };
    const result = await runCommand(hostLike, 'cat /data/a.txt; ls /srv/app; echo more >> /data/a.txt', {
      containerId,
    });
    expect({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode }).toEqual({
      stdout: 'alpha\nindex.html\nstatic\n',
      stderr: '',
      exitCode: 0,
    });
    expect(summary(result.operations)).toEqual(['writeFile /data/a.txt "alpha\\nmore\\n"']);
  });

  it('failing makes runCommand fail with its error, not a shell message', async () => {
    const inner = MemoryBaseFs.from(image);
    const broken = new Error('database is gone');
    const failing: BaseFs = {
      lookup: (path) => inner.lookup(path),
      list: (dir) => inner.list(dir),
      read: async () => {
        throw broken;
      },
    };
    await expect(
      runCommand(failing, 'echo a > /f; cat /data/a.txt; echo b > /g', { containerId }),
    ).rejects.toBe(broken);
  });
});
