import { describe, expect, it } from 'vitest';
import type { TreeSpec } from '../../src/exec/memoryFs.ts';
import { runOracle, runStrata } from './harness.ts';

/**
 * The oracle: each script runs (a) in just-bash on its own InMemoryFs and (b) through runCommand
 * over a BaseFs holding the same tree. stdout, stderr, exit status and the final tree (the base
 * with the recorded operations applied) must agree. Scripts where InMemoryFs itself departs from
 * POSIX (writing through symlinks, into missing directories) are in semantics.unit.test.ts.
 */
const seed: TreeSpec = {
  '/etc/hostname': '4f1c2d3e5a6b\n',
  '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
  '/root': { dir: true, mode: 0o700 },
  '/tmp': { dir: true, mode: 0o755 },
  '/empty': { dir: true },
  '/data/a.txt': 'alpha\nbeta\n',
  '/data/b.log': 'one\ntwo\nthree\ntwo\n',
  '/data/sub/c.txt': 'gamma\n',
  '/data/run.sh': { content: 'echo running\n', mode: 0o755 },
  '/home/user/notes.txt': 'hello world\nhello again\n',
  '/shortcut': { symlink: '/data' },
};

const battery: Record<string, string> = {
  // redirections
  'redirect into a new file': 'echo hello > /out.txt; cat /out.txt',
  'append several times': 'echo a > f; echo b >> f; echo c >> f; cat f; wc -l f',
  'overwrite a base file': "printf 'x\\ny\\n' > /data/a.txt; cat /data/a.txt",
  'append to a base file': 'echo delta >> /data/a.txt; cat /data/a.txt',
  'stderr into stdout': 'cat /data/a.txt /missing 2>&1; echo "status $?"',
  'stderr into a file': 'ls /nope 2> /err.txt; echo $?; cat /err.txt',
  'stdout and stderr apart': 'echo out; echo err >&2',
  'group redirected': '{ echo one; echo two; } > /grp.txt; cat /grp.txt',
  'input redirect and pipe': 'cat < /data/a.txt | tr a-z A-Z > /upper.txt; cat /upper.txt',
  'here document': 'cat > /doc.txt <<EOF\nline 1\n  line 2\nEOF\ncat /doc.txt',
  'noclobber off then truncate': ': > /data/b.log; wc -c /data/b.log',
  'tee into two files': 'echo teed | tee /t1 /t2; cat /t1 /t2',
  // partial writes and lists
  'a failure in a list keeps earlier writes': 'echo a > /f1; false; echo b > /f2; ls /',
  'and-list stops at the failure': 'echo a > /f1 && cat /missing && echo b > /f2; echo "exit $?"',
  'or-list': 'cat /missing 2>/err || echo fallback > /fb; cat /fb',
  'exit status': 'echo a; exit 3; echo b',
  'exit in a list': 'echo x > /x && exit 7',
  // mkdir
  'mkdir -p': 'mkdir -p /x/y/z && ls -R /x',
  'mkdir an existing directory': 'mkdir /data; echo $?',
  'mkdir without parent': 'mkdir /no/such/dir; echo $?',
  'mkdir -p below a base directory': 'mkdir -p /data/sub/new/deeper; ls /data/sub',
  'mkdir several': 'mkdir /m1 /m2 /data/m3 && ls /',
  // rm
  'rm -r a base directory': 'rm -r /data && ls /',
  'rm a directory without -r': 'rm /data; echo $?',
  'rm a missing file': 'rm /missing; echo $?; rm -f /missing; echo $?',
  'rm -rf below a directory': 'rm -rf /data/sub; ls /data',
  rmdir: 'rmdir /empty; ls /; rmdir /data; echo $?',
  'rm then recreate': 'rm -r /data/sub && mkdir /data/sub && echo new > /data/sub/d.txt && ls /data/sub',
  'rm a file read before': 'cat /data/a.txt > /keep; rm /data/a.txt; cat /keep; ls /data',
  // mv
  'mv a file': 'mv /data/a.txt /data/renamed.txt; ls /data; cat /data/renamed.txt',
  'mv a directory': 'mv /data/sub /moved; ls -R /moved; ls /data',
  'mv into a directory': 'mv /data/a.txt /empty/; ls /empty',
  'mv a missing file': 'mv /missing /x; echo $?',
  'mv over an existing file': 'mv /data/a.txt /data/b.log; cat /data/b.log; ls /data',
  'mv then write the old name': 'mv /data/a.txt /a2 && echo again > /data/a.txt && cat /a2 /data/a.txt',
  // cp
  'cp a file': 'cp /data/a.txt /copy.txt; cat /copy.txt',
  'cp -r a directory': 'cp -r /data /data2; ls -R /data2',
  'cp a directory without -r': 'cp /data /x; echo $?',
  'cp into a directory': 'cp /data/a.txt /data/sub/ && ls /data/sub',
  'cp then change the copy': 'cp /data/a.txt /c && echo more >> /c && cat /data/a.txt /c',
  // ln
  'symlink to a file': 'ln -s /data/a.txt /link; cat /link; readlink /link',
  'symlink to a directory': 'ln -s /data /dlink; ls /dlink',
  'relative symlink': 'cd /data && ln -s sub/c.txt rel && cat rel && readlink rel',
  'symlink over an existing name': 'ln -s /x /data/a.txt; echo $?',
  'hard link': 'ln /data/a.txt /hard; cat /hard',
  'read through a base symlink': 'cat /shortcut/a.txt; ls /shortcut',
  // chmod
  'chmod octal': "chmod 755 /data/a.txt; stat -c '%a %n' /data/a.txt",
  'chmod -R': "chmod -R 700 /data/sub; stat -c '%a %n' /data/sub /data/sub/c.txt",
  'chmod symbolic': 'chmod u+x,g-r /data/a.txt; stat -c %a /data/a.txt',
  'chmod a missing file': 'chmod 600 /missing; echo $?',
  // find
  'find files': 'find /data -type f | sort',
  'find by name': "find / -name '*.txt' | sort",
  'find directories': 'find /data -type d',
  'find with maxdepth': 'find /data -maxdepth 1 | sort',
  'find after writes': 'mkdir -p /data/new && touch /data/new/n.txt && find /data -name "*.txt" | sort',
  // globbing
  'glob in echo': 'echo /data/*.txt',
  'glob in ls': 'ls /data/*',
  'glob in for': 'for f in /data/*; do echo "[$f]"; done',
  'glob without match': 'echo /nomatch*',
  'glob sees new files': 'touch /data/new1.txt /data/new2.txt; echo /data/*.txt',
  'glob character class': 'echo /data/[ab].*',
  // text tools
  grep: 'grep -n two /data/b.log; grep -c a /data/a.txt; grep -r hello /home',
  'grep no match': 'grep zzz /data/a.txt; echo $?',
  'sed -i': "sed -i 's/alpha/ALPHA/' /data/a.txt; cat /data/a.txt",
  'head and tail': 'head -n 2 /data/b.log; tail -n 1 /data/b.log',
  'sort uniq wc': 'sort /data/b.log | uniq | wc -l',
  'pipeline into a file': 'cat /data/b.log | sort | head -1 > /first.txt; cat /first.txt',
  awk: 'awk \'{print NR": "$0}\' /data/a.txt',
  'cut and tr': "echo 'a:b:c' | cut -d: -f2 | tr b B",
  // shell language
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
  'variables and quoting': 'X="a b"; echo "$X" \'$X\' $X; echo ${UNSET:-default}',
  'while loop writing': 'n=0; while [ $n -lt 3 ]; do n=$((n+1)); echo $n >> /count; done; cat /count',
  'if and test':
    'if [ -f /data/a.txt ]; then echo yes; else echo no; fi; [ -d /data ] && echo dir; [ -e /nope ] || echo none',
  'cd and relative paths':
    'cd /data && pwd && ls && cd sub && cat c.txt && echo rel > r.txt && cat /data/sub/r.txt',
  functions: 'greet() { echo "hi $1"; }; greet you > /greet; cat /greet',
  'command substitution': 'echo "$(wc -l < /data/b.log) lines"',
  environment: 'echo $HOME $USER $PWD; echo $PATH',
  touch: 'touch /data/a.txt /newfile; ls /; cat /data/a.txt',
  case: 'case "$(cat /etc/hostname)" in 4f1c*) echo match;; *) echo no;; esac',
  // errors of the usual tools
  'cat a directory': 'cat /data; echo $?',
  'cat through a file': 'cat /etc/hostname/x; echo $?',
  'cat a missing file': 'cat missing.txt',
  'ls a missing path': 'ls /nope',
  'unknown command': 'frobnicate --now',
  'syntax error': 'echo (',
};

describe('runCommand agrees with just-bash on its own InMemoryFs', () => {
  for (const [name, script] of Object.entries(battery)) {
    it(name, async () => {
      const oracle = await runOracle(seed, script);
      const strata = await runStrata(seed, script);
      expect({ stdout: strata.stdout, stderr: strata.stderr, exitCode: strata.exitCode }).toEqual({
        stdout: oracle.stdout,
        stderr: oracle.stderr,
        exitCode: oracle.exitCode,
      });
      expect(strata.tree).toEqual(oracle.tree);
      expect(strata.result.limitHit).toBeUndefined();
    });
  }
});
