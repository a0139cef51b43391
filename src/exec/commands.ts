import type { Command, ExecResult } from 'just-bash';
import { defineCommand, getCommandNames } from 'just-bash';
import { joinPath } from '../domain/fs/paths.ts';
import { isFsError } from './fsErrors.ts';
import { runOnCommandSide } from './shellView.ts';
import type { WorkingFs } from './workingFs.ts';

const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', exitCode: 0 });
const fail = (stderr: string, exitCode = 1): ExecResult => ({ stdout: '', stderr, exitCode });

/**
 * just-bash's own commands, each wrapped so that it runs on the command side of the filesystem
 * (see ShellView); the wrapper hands the call to the original implementation unchanged.
 */
function commandSideWrappers(): Command[] {
  return getCommandNames().map((name) =>
    defineCommand(name, (args, ctx) => {
      const original = ctx.origCommand;
      if (!original) return Promise.resolve(fail(`bash: ${name}: command not found\n`, 127));
      return runOnCommandSide(() => original(args));
    }),
  );
}

/**
 * Names just-bash knows but would answer with something other than bash's "command not found"
 * (it reports python as unavailable "in browser environments"). Nothing here runs them.
 */
const notFound = (name: string) =>
  defineCommand(name, async () => fail(`bash: ${name}: command not found\n`, 127));

/** exec runs as root, as `docker exec` does by default. */
const whoami = defineCommand('whoami', async (args) =>
  args.length > 0
    ? fail(`whoami: extra operand '${args[0]}'\nTry 'whoami --help' for more information.\n`)
    : ok('root\n'),
);

/** The container's hostname (the kernel's, not $HOSTNAME which a script may change). */
const hostname = (name: string) =>
  defineCommand('hostname', async (args) =>
    args.length > 0 ? fail('hostname: you must be root to change the host name\n') : ok(`${name}\n`),
  );

interface Account {
  name: string;
  id: number;
  group?: number;
}

async function accounts(working: WorkingFs, file: '/etc/passwd' | '/etc/group'): Promise<Account[]> {
  let text: string;
  try {
    text = await working.readFile(file);
  } catch (error) {
    if (isFsError(error)) return [];
    throw error;
  }
  const result: Account[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || fields[0] === '' || !/^\d+$/.test(fields[2]!)) continue;
    const group = fields[3] !== undefined && /^\d+$/.test(fields[3]) ? Number(fields[3]) : undefined;
    result.push({ name: fields[0]!, id: Number(fields[2]), ...(group === undefined ? {} : { group }) });
  }
  return result;
}

/**
 * chown and chgrp: just-bash has no notion of owners, Strata's layers do. OWNER and GROUP are names
 * from the container's /etc/passwd and /etc/group, or numbers. Options: -R, -h, -f; -v and -c are
 * accepted and print nothing.
 */
function ownershipCommand(working: WorkingFs, name: 'chown' | 'chgrp'): Command {
  const usage = `Try '${name} --help' for more information.\n`;
  return defineCommand(name, async (args, ctx) => {
    let recursive = false;
    let dereference = true;
    let quiet = false;
    const operands: string[] = [];
    let options = true;
    for (const arg of args) {
      if (options && arg === '--') options = false;
      else if (options && arg.startsWith('--') && arg.length > 2) {
        if (arg === '--recursive') recursive = true;
        else if (arg === '--no-dereference') dereference = false;
        else if (arg === '--dereference') dereference = true;
        else if (arg === '--silent' || arg === '--quiet') quiet = true;
        else if (arg !== '--verbose' && arg !== '--changes')
          return fail(`${name}: unrecognized option '${arg}'\n${usage}`);
      } else if (options && arg.startsWith('-') && arg.length > 1) {
        for (const flag of arg.slice(1)) {
          if (flag === 'R') recursive = true;
          else if (flag === 'h') dereference = false;
          else if (flag === 'f') quiet = true;
          else if (flag !== 'v' && flag !== 'c')
            return fail(`${name}: invalid option -- '${flag}'\n${usage}`);
        }
      } else operands.push(arg);
    }
    const [spec, ...files] = operands;
    if (spec === undefined) return fail(`${name}: missing operand\n${usage}`);
    if (files.length === 0) return fail(`${name}: missing operand after '${spec}'\n${usage}`);

    let userPart: string | undefined;
    let groupPart: string | undefined;
    if (name === 'chgrp') groupPart = spec;
    else {
      const colon = spec.indexOf(':');
      userPart = colon === -1 ? spec : spec.slice(0, colon);
      groupPart = colon === -1 ? undefined : spec.slice(colon + 1);
      if (userPart === '') userPart = undefined;
    }
    let uid: number | undefined;
    let gid: number | undefined;
    if (userPart !== undefined) {
      const user = /^\d+$/.test(userPart)
        ? { name: userPart, id: Number(userPart) }
        : (await accounts(working, '/etc/passwd')).find((a) => a.name === userPart);
      if (!user) return fail(`${name}: invalid user: '${spec}'\n`);
      uid = user.id;
      // `user:` means the user's login group.
      if (groupPart === '') gid = 'group' in user ? user.group : undefined;
    }
    if (groupPart !== undefined && groupPart !== '') {
      const group = /^\d+$/.test(groupPart)
        ? { name: groupPart, id: Number(groupPart) }
        : (await accounts(working, '/etc/group')).find((a) => a.name === groupPart);
      if (!group) return fail(`${name}: invalid group: '${name === 'chgrp' ? groupPart : spec}'\n`);
      gid = group.id;
    }

    let stderr = '';
    let exitCode = 0;
    const apply = async (path: string, follow: boolean): Promise<void> => {
      const owner = await working.ownerOf(path, follow);
      await working.chown(path, uid ?? owner.uid, gid ?? owner.gid, follow);
      if (!recursive) return;
      const stat = follow ? await working.stat(path) : await working.lstat(path);
      if (!stat.isDirectory) return;
      for (const child of await working.readdir(path)) await apply(joinPath(path, child), false);
    };
    for (const file of files) {
      try {
        await apply(ctx.fs.resolvePath(ctx.cwd, file), dereference);
      } catch (error) {
        if (!isFsError(error)) throw error;
        exitCode = 1;
        if (quiet) continue;
        stderr +=
          error.code === 'ENOENT' || error.code === 'ENOTDIR'
            ? `${name}: cannot access '${file}': ${error.code === 'ENOENT' ? 'No such file or directory' : 'Not a directory'}\n`
            : `${name}: changing ownership of '${file}': ${error.code === 'EROFS' ? 'Read-only file system' : 'Operation not permitted'}\n`;
      }
    }
    return { stdout: '', stderr, exitCode };
  });
}

/** The commands of an exec shell and the names the interpreter must find on PATH. */
export function shellCommands(working: WorkingFs, host: string): { commands: Command[]; names: Set<string> } {
  const commands = [
    ...commandSideWrappers(),
    whoami,
    hostname(host),
    notFound('python'),
    notFound('python3'),
    ownershipCommand(working, 'chown'),
    ownershipCommand(working, 'chgrp'),
  ];
  return { commands, names: new Set(commands.map((command) => command.name)) };
}
